// The engine benchmark: every zoo model's train step in a Node raw session and in the browser's compute
// worker, side by side, on 1 and 2 wasm threads and on the calibrated ("auto") setting, with TensorFlow.js
// training the same model in the same page, and the GEMM and SIMD peaks measured on this machine. Sessions are
// compiled once; short rounds then alternate the engines so drift in machine load hits them alike, and a cell
// reports its best round: the one least disturbed by other processes on the machine.
import type { Page } from '@playwright/test'
import { MODEL_ZOO, type ZooModelName } from '../src/graph/zoo.ts'
import type { AutoTuned } from '../src/compute/auto-tune.ts'
import type { NodeSessions } from './node-sessions.ts'
import type { StepTimes } from './node-session.ts'

export interface EnginePlan {
  model: ZooModelName
  batchSize: number
  warmup: number
  steps: number
}

/** Steps per measurement, sized so each takes about a second on a laptop core; unknown models get a default. */
const STEPS: Partial<Record<ZooModelName, { warmup: number; steps: number }>> = { mlp: { warmup: 5, steps: 60 }, cnn: { warmup: 2, steps: 10 }, transformer: { warmup: 5, steps: 60 } }

export function enginePlans(batchSize: number): EnginePlan[] {
  return (Object.keys(MODEL_ZOO) as ZooModelName[]).map((model) => ({ model, batchSize, ...(STEPS[model] ?? { warmup: 2, steps: 8 }) }))
}

export interface EngineRow {
  model: ZooModelName
  batchSize: number
  /** "1", "2" or "auto". */
  setting: string
  threads: number
  microBatch: number
  flopsPerStep: number
  node: RoundFigure[]
  browser: RoundFigure[]
  /** TensorFlow.js wasm (one thread) in the same page, on the one-thread rows; a string says why not. */
  tfjs: RoundFigure[] | string | null
}

/** One round of one engine. */
export interface RoundFigure {
  samplesPerSecond: number
}

export const figure = (times: StepTimes, batchSize: number): RoundFigure => ({ samplesPerSecond: (batchSize * times.steps * 1000) / times.wallMs })

export interface Peaks {
  threads: number
  simdGflops: number
  gemmGflops: number
  gemmN: number
}

export interface EngineResult {
  rows: EngineRow[]
  peaks: Peaks[]
  calibrations: Record<string, AutoTuned>
  rounds: number
}

type Bench = NonNullable<Window['bench']>
const call = <K extends keyof Bench>(page: Page, method: K, ...args: Parameters<Bench[K]>): Promise<Awaited<ReturnType<Bench[K]>>> =>
  page.evaluate(([m, a]) => (window.bench![m] as (...x: unknown[]) => Promise<unknown>)(...a), [method, args] as const) as Promise<Awaited<ReturnType<Bench[K]>>>

export async function benchEngine(page: Page, node: NodeSessions, options: { rounds: number; batchSize: number; threads: number[]; log: (line: string) => void }): Promise<EngineResult> {
  const { log } = options
  const peaks: Peaks[] = []
  for (const threads of options.threads) {
    const simdGflops = await call(page, 'simdPeak', threads, 2000)
    const gemmGflops = await call(page, 'gemm', 1024, 8, 'wasm', threads)
    peaks.push({ threads, simdGflops, gemmGflops, gemmN: 1024 })
    log(`${threads} thread(s): wasm SIMD peak ${simdGflops.toFixed(1)} GFLOP/s, ORT GEMM 1024³ ${gemmGflops.toFixed(1)} GFLOP/s`)
  }
  const plans = enginePlans(options.batchSize)
  const calibrations: Record<string, AutoTuned> = {}
  const rows: EngineRow[] = []
  for (const plan of plans) {
    const tuned = await call(page, 'autoTune', plan.model, plan.batchSize, 'wasm')
    calibrations[plan.model] = tuned
    log(`${plan.model}: calibration chose ${tuned.engine.wasmThreads} thread(s), micro-batch ${tuned.engine.microBatch} (${tuned.samples.map((s) => `${s.wasmThreads}t/${s.microBatch}: ${s.samplesPerSecond.toFixed(0)}`).join(', ')})`)
    for (const threads of options.threads) rows.push({ ...plan, setting: String(threads), threads, microBatch: plan.batchSize, flopsPerStep: 0, node: [], browser: [], tfjs: threads === 1 ? [] : null })
    rows.push({ ...plan, setting: 'auto', threads: tuned.engine.wasmThreads, microBatch: tuned.engine.microBatch, flopsPerStep: 0, node: [], browser: [], tfjs: null })
  }
  const id = (row: EngineRow) => `${row.model}/${row.setting}`
  for (const row of rows) {
    const plan = plans.find((p) => p.model === row.model)!
    const opened = await node.send<{ flopsPerStep: number }>(row.threads, { op: 'open', id: id(row), model: row.model, batchSize: row.batchSize, microBatch: row.microBatch, warmup: plan.warmup })
    await call(page, 'open', id(row), row.model, row.batchSize, { backend: 'wasm', wasmThreads: row.threads, microBatch: row.microBatch }, plan.warmup)
    row.flopsPerStep = opened.flopsPerStep
  }
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const row of rows) {
        const plan = plans.find((p) => p.model === row.model)!
        const measureNode = async () => row.node.push(figure(await node.send<StepTimes>(row.threads, { op: 'steps', id: id(row), steps: plan.steps }), row.batchSize))
        const measureBrowser = async () => row.browser.push(figure(await call(page, 'steps', id(row), plan.steps), row.batchSize))
        // Alternate which engine goes first, so neither always runs right after the other warmed the caches.
        if (round % 2 === 0) await measureNode().then(measureBrowser)
        else await measureBrowser().then(measureNode)
        if (Array.isArray(row.tfjs)) {
          const tfjs = await call(page, 'tfjs', row.model, row.batchSize, plan.warmup, plan.steps)
          if (typeof tfjs === 'string') row.tfjs = tfjs
          else row.tfjs.push(figure(tfjs, row.batchSize))
        }
        const last = (xs: RoundFigure[]) => xs.at(-1)!.samplesPerSecond.toFixed(0)
        log(`round ${round + 1}: ${row.model} ${row.setting} thread(s): Node ${last(row.node)}, browser worker ${last(row.browser)}${Array.isArray(row.tfjs) ? `, TF.js ${last(row.tfjs)}` : ''} samples/s`)
      }
    }
  } finally {
    for (const row of rows) {
      await node.send(row.threads, { op: 'close', id: id(row) })
      await call(page, 'close', id(row))
    }
  }
  return { rows, peaks, calibrations, rounds: options.rounds }
}

/** Best of the rounds: the round least disturbed by whatever else the machine was doing. */
export const best = (xs: readonly RoundFigure[]): number => Math.max(...xs.map((x) => x.samplesPerSecond))

export function engineTable(result: EngineResult): string[] {
  const lines = [
    `Samples/s, best of ${result.rounds} alternating rounds. The browser worker is timed on the page (posting batches and every progress message included).`,
    '',
    '| model | batch | wasm threads | micro-batch | Node raw session | browser worker | browser ÷ Node | TF.js wasm (same page) | worker ÷ TF.js | GFLOP/s (worker) | share of GEMM peak |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const row of result.rows) {
    const node = best(row.node)
    const browser = best(row.browser)
    const gflops = (browser * row.flopsPerStep) / row.batchSize / 1e9
    const gemm = result.peaks.find((p) => p.threads === row.threads)?.gemmGflops
    const tfjs = row.tfjs === null ? '—' : typeof row.tfjs === 'string' ? row.tfjs : best(row.tfjs).toFixed(0)
    const vsTfjs = Array.isArray(row.tfjs) ? `${(browser / best(row.tfjs)).toFixed(2)}×` : '—'
    lines.push(`| ${row.model} | ${row.batchSize} | ${row.setting === 'auto' ? `auto (${row.threads})` : row.threads} | ${row.microBatch} | ${node.toFixed(0)} | ${browser.toFixed(0)} | ${(browser / node).toFixed(2)} | ${tfjs} | ${vsTfjs} | ${gflops.toFixed(2)} | ${gemm === undefined ? '—' : `${((100 * gflops) / gemm).toFixed(0)} %`} |`)
  }
  lines.push('', '| wasm threads | SIMD peak (f32x4 mul+add) | ORT GEMM 1024³ | GEMM ÷ SIMD peak |', '|---|---|---|---|')
  for (const p of result.peaks) lines.push(`| ${p.threads} | ${p.simdGflops.toFixed(1)} GFLOP/s | ${p.gemmGflops.toFixed(1)} GFLOP/s | ${((100 * p.gemmGflops) / p.simdGflops).toFixed(0)} % |`)
  lines.push('', '| model | auto (calibrated) ÷ best fixed thread count, browser worker |', '|---|---|')
  for (const model of new Set(result.rows.map((r) => r.model))) {
    const rows = result.rows.filter((r) => r.model === model)
    const auto = best(rows.find((r) => r.setting === 'auto')!.browser)
    const fixed = Math.max(...rows.filter((r) => r.setting !== 'auto').map((r) => best(r.browser)))
    lines.push(`| ${model} | ${(auto / fixed).toFixed(2)} |`)
  }
  return lines
}
