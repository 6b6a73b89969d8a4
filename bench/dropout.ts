// What dropout costs a train step (graph/dropout.ts): the Devil's Dictionary transformer (4 blocks, 128 wide,
// context 64, 96 tokens) trained on ORT-wasm with and without dropout, in alternating rounds in one process,
// so the ratio is measured side by side. With dropout each step also draws its masks on the CPU (4.7 MB of
// them for a batch of 16) and feeds them in, and a wasm stack holds fewer steps (32 MiB of row inputs).
import * as ort from 'onnxruntime-web'
import { buildModel } from '../src/graph/model-spec.ts'
import { initParams } from '../src/graph/model.ts'
import { buildTrainStep } from '../src/graph/train-step.ts'
import { DEFAULT_ADAMW } from '../src/graph/optimizer.ts'
import { dropoutMasks } from '../src/graph/dropout.ts'
import { TrainSession } from '../src/compute/train-session.ts'
import { syntheticBatch } from '../src/compute/synthetic-batch.ts'

export interface DropoutBenchResult {
  batch: number
  steps: number
  /** Steps per second, the median over rounds. */
  plainStepsPerSecond: number
  dropoutStepsPerSecond: number
  /** Milliseconds to draw one step's masks, and their bytes. */
  maskMs: number
  maskBytes: number
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export async function benchDropout(options: { rounds: number; steps: number; batch: number; log: (line: string) => void }): Promise<DropoutBenchResult> {
  ort.env.wasm.numThreads = 1
  const input = { kind: 'tokens', vocab: 96, context: 64 } as const
  const sessions: Record<'plain' | 'dropout', TrainSession> = {} as never
  const model = buildModel({ kind: 'transformer', layers: 4, width: 128, heads: 4, dropout: 0.2 }, input, 96)
  for (const kind of ['plain', 'dropout'] as const) {
    const step = buildTrainStep(kind === 'plain' ? { ...model, dropout: undefined } : model, options.batch, DEFAULT_ADAMW)
    sessions[kind] = await TrainSession.create(ort, step, { backend: 'wasm' })
    sessions[kind].load(initParams(model, 1))
  }
  const batches = Array.from({ length: options.steps }, (_, i) => syntheticBatch(model, options.batch, i))
  const rates: Record<'plain' | 'dropout', number[]> = { plain: [], dropout: [] }
  for (let round = 0; round <= options.rounds; round++) {
    for (const kind of round % 2 === 0 ? (['plain', 'dropout'] as const) : (['dropout', 'plain'] as const)) {
      const started = performance.now()
      await sessions[kind].runSteps(batches, 1e-4, 1 + round * options.steps)
      // Round 0 warms both sessions up and is not counted.
      if (round > 0) rates[kind].push((1000 * options.steps) / (performance.now() - started))
    }
  }
  const dropout = buildTrainStep(model, options.batch, DEFAULT_ADAMW).dropout!
  const started = performance.now()
  const masks = Array.from({ length: 20 }, (_, i) => dropoutMasks(dropout, options.batch, batches[0]!.x, i))
  const maskMs = (performance.now() - started) / 20
  for (const s of Object.values(sessions)) await s.release()
  const result = {
    batch: options.batch,
    steps: options.steps,
    plainStepsPerSecond: median(rates.plain),
    dropoutStepsPerSecond: median(rates.dropout),
    maskMs,
    maskBytes: 4 * masks[0]!.reduce((n, m) => n + m.length, 0),
  }
  options.log(`dropout: ${result.dropoutStepsPerSecond.toFixed(2)} vs ${result.plainStepsPerSecond.toFixed(2)} steps/s without; masks ${maskMs.toFixed(1)} ms per step`)
  return result
}

export function dropoutTable(r: DropoutBenchResult): string[] {
  return [
    `### Dropout (Devil's Dictionary transformer, 4 × 128, context 64, batch ${r.batch}, ORT-wasm 1 thread, alternating rounds of ${r.steps} steps)`,
    '',
    '| | steps/s | relative |',
    '| --- | --- | --- |',
    `| without dropout | ${r.plainStepsPerSecond.toFixed(2)} | 1.00 |`,
    `| dropout 0.2 | ${r.dropoutStepsPerSecond.toFixed(2)} | ${(r.dropoutStepsPerSecond / r.plainStepsPerSecond).toFixed(2)} |`,
    '',
    `Drawing one step's masks (${(r.maskBytes / 2 ** 20).toFixed(1)} MiB) takes ${r.maskMs.toFixed(1)} ms on the CPU.`,
  ]
}
