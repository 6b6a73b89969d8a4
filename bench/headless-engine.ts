// The headless engine: a Node peer's train step on onnxruntime-node's native CPU build (server/compute/
// ort-native.ts) against onnxruntime-web's wasm build (what a tab and, before, a Node peer ran), one thread
// each, the same graph and batch, in one process. Rounds alternate the two so drift in machine load hits
// them alike; a cell reports its best round.
import * as ortWeb from 'onnxruntime-web'
import * as ortNode from 'onnxruntime-node'
import { buildTrainStep } from '../src/graph/train-step.ts'
import { DEFAULT_ADAMW } from '../src/graph/optimizer.ts'
import { initParams } from '../src/graph/model.ts'
import { recipeModel, ZOO_RECIPES, type ModelRecipe } from '../src/graph/model-recipe.ts'
import { TrainSession, type OrtModule } from '../src/compute/train-session.ts'
import { syntheticBatch } from '../src/compute/synthetic-batch.ts'
import { nativeOrt } from '../server/compute/ort-native.ts'

export interface HeadlessRow {
  model: string
  batchSize: number
  gflopPerStep: number
  /** Best round, samples per second. */
  native: number
  wasm: number
}

/** The models timed: the zoo's and the character transformer of the text task's long run. */
const MODELS: Array<{ name: string; recipe: ModelRecipe; batchSize: number; steps: number }> = [
  { name: 'mlp', recipe: ZOO_RECIPES.mlp, batchSize: 64, steps: 32 },
  { name: 'cnn', recipe: ZOO_RECIPES.cnn, batchSize: 64, steps: 4 },
  { name: 'text transformer 4 × 192, context 64', recipe: { spec: { kind: 'transformer', layers: 4, width: 192, heads: 4 }, input: { kind: 'tokens', vocab: 96, context: 64 }, outputs: 96, objective: 'classes' }, batchSize: 32, steps: 4 },
]

export async function benchHeadless(options: { rounds: number; log: (line: string) => void }): Promise<HeadlessRow[]> {
  ortWeb.env.wasm.numThreads = 1
  const builds: Record<'native' | 'wasm', OrtModule> = { native: nativeOrt(ortNode), wasm: ortWeb }
  builds.native.env.wasm.numThreads = 1
  const rows: HeadlessRow[] = []
  for (const m of MODELS) {
    const model = recipeModel(m.recipe)
    const step = buildTrainStep(model, m.batchSize, DEFAULT_ADAMW)
    const batches = Array.from({ length: m.steps }, (_, i) => syntheticBatch(model, m.batchSize, i))
    const sessions = { native: await TrainSession.create(builds.native, step, { backend: 'wasm' }), wasm: await TrainSession.create(builds.wasm, step, { backend: 'wasm' }) }
    const best = { native: 0, wasm: 0 }
    let at = 1
    for (const session of Object.values(sessions)) {
      session.load(initParams(model, 1))
      await session.runSteps(batches.slice(0, 2), 1e-3, at)
    }
    at += 2
    for (let round = 0; round < options.rounds; round++) {
      for (const kind of ['native', 'wasm'] as const) {
        const started = performance.now()
        await sessions[kind].runSteps(batches, 1e-3, at)
        best[kind] = Math.max(best[kind], (m.steps * m.batchSize * 1000) / (performance.now() - started))
      }
      at += m.steps
    }
    for (const session of Object.values(sessions)) await session.release()
    rows.push({ model: m.name, batchSize: m.batchSize, gflopPerStep: step.flopsPerStep / 1e9, ...best })
    options.log(`${m.name}: native ${best.native.toFixed(0)} samples/s, wasm ${best.wasm.toFixed(0)} samples/s (${(best.native / best.wasm).toFixed(2)}×)`)
  }
  return rows
}

export function headlessTable(rows: readonly HeadlessRow[]): string[] {
  return [
    '| headless engine (Node, one thread, best round) | batch | native (onnxruntime-node) | wasm (onnxruntime-web) | native ÷ wasm | native GFLOP/s |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.model} | ${r.batchSize} | ${r.native.toFixed(0)} samples/s | ${r.wasm.toFixed(0)} samples/s | ${(r.native / r.wasm).toFixed(2)}× | ${((r.native / r.batchSize) * r.gflopPerStep).toFixed(1)} |`),
  ]
}
