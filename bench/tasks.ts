// The task-family benchmark: for a table, a picture and a text job (bench/task-families.ts), Tesserae's train
// step in the browser's compute worker on one wasm thread against TensorFlow.js wasm (one thread) training the
// same architecture in the same page on the same batch size, rounds alternating between them and the best
// round reported, as in engine.ts. Throughput is also put as a share of ORT's wasm GEMM peak, measured in the
// same page several times in the same run (the best counts), using the FLOPs the engine counts for the train step.
import type { Page } from '@playwright/test'
import { describeTask } from '../src/data/task.ts'
import type { ModelSpec } from '../src/graph/model-spec.ts'
import { recipeModel } from '../src/graph/model-recipe.ts'
import { buildTrainStep } from '../src/graph/train-step.ts'
import { DEFAULT_ADAMW } from '../src/graph/optimizer.ts'
import { best, figure, type RoundFigure } from './engine.ts'
import { familyRecipe, TASK_FAMILIES, TASK_FAMILY_NAMES, type TaskFamilyName } from './task-families.ts'

/** The one-thread GEMM ORT reaches in this page: the train steps' reference peak. */
const GEMM_N = 1024
const GEMM_RUNS = 8
/** GEMM measurements before the first round (each after a pause); one more follows every round. */
const GEMM_FIRST = 3
const GEMM_PAUSE_MS = 2000

export interface TaskRow {
  family: TaskFamilyName
  /** The job in words: the task, then the model. */
  job: string
  batchSize: number
  /** Parameters of the recipe's model (reported by the worker) and of TensorFlow.js's; they must be equal. */
  parameters: number
  tfjsParameters: number
  /** The engine's FLOP count for one train step over the whole batch (forward, loss, backward, AdamW). */
  flopsPerStep: number
  /** Ops in the train-step graph Tesserae exports, and the share of its FLOPs in MatMul and Conv. */
  graphOps: number
  gemmFlopShare: number
  tesserae: RoundFigure[]
  /** The same rounds counted inside the worker's engine runs only: what posting batches and progress cost shows as the difference. */
  tesseraeEngine: RoundFigure[]
  /** A string says why TensorFlow.js could not train it. */
  tfjs: RoundFigure[] | string
}

export interface TasksResult {
  rows: TaskRow[]
  /** Every GEMM measurement of the run, GFLOP/s; the best is the peak. */
  gemmGflops: number[]
  gemmN: number
  rounds: number
}

type Bench = NonNullable<Window['bench']>
const call = <K extends keyof Bench>(page: Page, method: K, ...args: Parameters<Bench[K]>): Promise<Awaited<ReturnType<Bench[K]>>> =>
  page.evaluate(([m, a]) => (window.bench![m] as (...x: unknown[]) => Promise<unknown>)(...a), [method, args] as const) as Promise<Awaited<ReturnType<Bench[K]>>>

export function describeSpec(spec: ModelSpec): string {
  if (spec.kind === 'mlp') return `MLP hidden [${spec.hidden.join(', ')}]`
  if (spec.kind === 'cnn') return `CNN channels [${spec.channels.join(', ')}], dense ${spec.dense}`
  return `transformer ${spec.layers} layers, width ${spec.width}, ${spec.heads} heads`
}

/** How much of the step is GEMM-shaped work, from the graph the engine runs (ORT fuses some of the rest). */
function graphShape(family: TaskFamilyName, batchSize: number): { graphOps: number; gemmFlopShare: number } {
  const { graph } = buildTrainStep(recipeModel(familyRecipe(family)), batchSize, DEFAULT_ADAMW)
  let ops = 0
  let all = 0
  let gemm = 0
  for (const id of graph.liveNodeIds()) {
    const node = graph.nodes[id]!
    if (node.kind !== 'op') continue
    ops++
    const flops = node.op.flops(node.inputs.map((v) => v.shape), node.shape, node.attrs)
    all += flops
    if (/matmul|conv/i.test(node.op.type)) gemm += flops
  }
  return { graphOps: ops, gemmFlopShare: gemm / all }
}

export async function benchTasks(page: Page, options: { rounds: number; batchSize: number; log: (line: string) => void }): Promise<TasksResult> {
  const { log, batchSize } = options
  // The peak is the best of several measurements: one is easily disturbed by other processes on a shared
  // machine, and in this page a GEMM worker (a fresh one per call) started after the first few often ran at
  // about half speed while the train steps around it did not. A disturbed figure can only lower the peak.
  const gemmGflops: number[] = []
  const measureGemm = async (when: string) => {
    await new Promise((resolve) => setTimeout(resolve, GEMM_PAUSE_MS))
    gemmGflops.push(await call(page, 'gemm', GEMM_N, GEMM_RUNS, 'wasm', 1))
    log(`${when}: ORT GEMM ${GEMM_N}³ on 1 thread ${gemmGflops.at(-1)!.toFixed(1)} GFLOP/s`)
  }
  for (let i = 0; i < GEMM_FIRST; i++) await measureGemm('before the rounds')
  const rows: TaskRow[] = []
  const id = (family: TaskFamilyName) => `task/${family}`
  try {
    for (const family of TASK_FAMILY_NAMES) {
      const { task, spec, warmup } = TASK_FAMILIES[family]
      const opened = await call(page, 'openTask', id(family), family, batchSize, { backend: 'wasm', wasmThreads: 1, microBatch: batchSize }, warmup)
      const tfjsParameters = await call(page, 'tfjsTaskParameters', family)
      // The comparison is only fair on the same model: a different parameter count means a different one.
      if (tfjsParameters !== opened.parameters) throw new Error(`${family}: the TensorFlow.js model has ${tfjsParameters} parameters, Tesserae's ${opened.parameters}; they must be the same architecture`)
      rows.push({ family, job: `${describeTask(task)} → ${describeSpec(spec)}`, batchSize, parameters: opened.parameters, tfjsParameters, flopsPerStep: opened.flopsPerStep, ...graphShape(family, batchSize), tesserae: [], tesseraeEngine: [], tfjs: [] })
      log(`${family}: ${opened.parameters} parameters in both, ${(opened.flopsPerStep / batchSize / 1e6).toFixed(2)} MFLOP per sample`)
    }
    for (let round = 0; round < options.rounds; round++) {
      for (const row of rows) {
        const { warmup, steps } = TASK_FAMILIES[row.family]
        const measureTesserae = async () => {
          const times = await call(page, 'steps', id(row.family), steps)
          row.tesserae.push(figure(times, batchSize))
          row.tesseraeEngine.push(figure({ steps, wallMs: times.engineMs! }, batchSize))
        }
        const measureTfjs = async () => {
          if (typeof row.tfjs === 'string') return
          const times = await call(page, 'tfjsTask', row.family, batchSize, warmup, steps)
          if (typeof times === 'string') row.tfjs = times
          else row.tfjs.push(figure(times, batchSize))
        }
        // Alternate which goes first, so neither always runs right after the other warmed the caches.
        if (round % 2 === 0) await measureTesserae().then(measureTfjs)
        else await measureTfjs().then(measureTesserae)
        const last = (xs: RoundFigure[] | string) => (typeof xs === 'string' ? xs : xs.at(-1)!.samplesPerSecond.toFixed(0))
        log(`round ${round + 1}: ${row.family}: Tesserae ${last(row.tesserae)}, TF.js ${last(row.tfjs)} samples/s`)
      }
      await measureGemm(`after round ${round + 1}`)
    }
  } finally {
    for (const family of TASK_FAMILY_NAMES) await call(page, 'close', id(family))
  }
  return { rows, gemmGflops, gemmN: GEMM_N, rounds: options.rounds }
}

export function tasksTable(result: TasksResult): string[] {
  const peak = Math.max(...result.gemmGflops)
  const lines = [
    `One row per task family: samples/s on one wasm thread, batch ${result.rows[0]?.batchSize ?? '—'}, best of ${result.rounds} alternating rounds; Tesserae is its compute worker timed on the page, TensorFlow.js trains the same architecture in the same page. GFLOP/s count the engine's FLOPs for the train step; the peak is ORT's ${result.gemmN}³ MatMul on one thread in the same page, best of ${result.gemmGflops.length} measurements in the run (${peak.toFixed(1)} GFLOP/s).`,
    '',
    '| task family | job | parameters (Tesserae = TF.js) | MFLOP per sample | Tesserae worker (its engine alone) | TF.js wasm | Tesserae ÷ TF.js | GFLOP/s: Tesserae / TF.js | share of GEMM peak: Tesserae / TF.js | graph ops per step (MatMul/Conv share of FLOPs) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const row of result.rows) {
    const tesserae = best(row.tesserae)
    const gflops = (samplesPerSecond: number) => (samplesPerSecond * row.flopsPerStep) / row.batchSize / 1e9
    const share = (samplesPerSecond: number) => `${((100 * gflops(samplesPerSecond)) / peak).toFixed(0)} %`
    const tfjs = typeof row.tfjs === 'string' ? null : best(row.tfjs)
    const cells = [
      row.family,
      row.job,
      `${row.parameters.toLocaleString('en')} = ${row.tfjsParameters.toLocaleString('en')}`,
      (row.flopsPerStep / row.batchSize / 1e6).toFixed(2),
      `${tesserae.toFixed(0)} (${best(row.tesseraeEngine).toFixed(0)})`,
      tfjs === null ? String(row.tfjs) : tfjs.toFixed(0),
      tfjs === null ? '—' : `**${(tesserae / tfjs).toFixed(2)}×**`,
      `${gflops(tesserae).toFixed(1)} / ${tfjs === null ? '—' : gflops(tfjs).toFixed(1)}`,
      `**${share(tesserae)}** / ${tfjs === null ? '—' : share(tfjs)}`,
      `${row.graphOps} (${(100 * row.gemmFlopShare).toFixed(0)} %)`,
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  return lines
}
