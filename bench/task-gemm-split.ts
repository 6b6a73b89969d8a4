// Where each task family's train step spends its time on one wasm thread (`node bench/task-gemm-split.ts`):
// the whole step in a Node TrainSession (onnxruntime-web's wasm build, as the compute worker runs it), then
// the same step's MatMul and convolution nodes alone, each timed in its own session on constant inputs of its
// shapes with its output summed (so little but the op itself is timed), against ORT's 1024³ MatMul. What the step loses to the peak splits into GEMM shapes that run below it and
// time outside the GEMMs. Prints one line per family and one per GEMM shape.
import * as ort from 'onnxruntime-web'
import { TrainSession } from '../src/compute/train-session.ts'
import { Graph } from '../src/graph/graph.ts'
import { matmul } from '../src/graph/ops/matmul.ts'
import { reduceSum } from '../src/graph/ops/reduce.ts'
import { exportOnnx } from '../src/graph/onnx/export.ts'
import { recipeModel } from '../src/graph/model-recipe.ts'
import { initParams } from '../src/graph/model.ts'
import { numel } from '../src/graph/shape.ts'
import { buildTrainStep } from '../src/graph/train-step.ts'
import { DEFAULT_ADAMW } from '../src/graph/optimizer.ts'
import { familyBatches, familyRecipe, TASK_FAMILIES, TASK_FAMILY_NAMES } from './task-families.ts'

ort.env.wasm.numThreads = 1
const BATCH = 64
const RUNS = 7
const GEMM_OPS = new Set(['MatMul', 'Conv2d', 'Conv2dInputGrad', 'Conv2dWeightGrad'])

const values = (shape: readonly number[]) => Float32Array.from({ length: numel(shape) }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5)

/**
 * Best of RUNS runs of a graph, in ms. Graph optimisation is off so constant inputs are not folded away at
 * load; inputs declared as inputs are fed on every run.
 */
async function bestRunMs(graph: Graph): Promise<number> {
  const session = await ort.InferenceSession.create(exportOnnx(graph), { executionProviders: ['wasm'], graphOptimizationLevel: 'disabled' })
  const feeds = Object.fromEntries(graph.inputsOfKind('input').map(({ name, value }) => [name, new ort.Tensor('float32', values(value.shape), [...value.shape])]))
  await session.run(feeds)
  let best = Infinity
  for (let r = 0; r < RUNS; r++) {
    const started = performance.now()
    await session.run(feeds)
    best = Math.min(best, performance.now() - started)
  }
  await session.release()
  return best
}

const gflops = (flops: number, ms: number) => flops / ms / 1e6
const peakGraph = new Graph()
peakGraph.output('c', matmul(peakGraph.input('a', [1024, 1024]), peakGraph.input('b', [1024, 1024])))
const peak = gflops(2 * 1024 ** 3, await bestRunMs(peakGraph))
console.log(`ORT GEMM 1024³, 1 thread: ${peak.toFixed(1)} GFLOP/s`)

for (const family of TASK_FAMILY_NAMES) {
  const model = recipeModel(familyRecipe(family))
  const step = buildTrainStep(model, BATCH, DEFAULT_ADAMW)
  const session = await TrainSession.create(ort, step, { backend: 'wasm' })
  session.load(initParams(model, 1))
  const stack = Math.min(32, TASK_FAMILIES[family].steps)
  const batches = familyBatches(family, BATCH, stack)
  let stepMs = Infinity
  for (let r = 0; r <= RUNS; r++) {
    const started = performance.now()
    await session.runSteps(batches, 1e-3, 1 + r * stack)
    if (r > 0) stepMs = Math.min(stepMs, (performance.now() - started) / stack)
  }
  await session.release()

  const shapes = new Map<string, { count: number; flops: number; ms: number }>()
  for (const id of step.graph.liveNodeIds()) {
    const node = step.graph.nodes[id]!
    if (node.kind !== 'op' || !GEMM_OPS.has(node.op.type)) continue
    const key = `${node.op.type} ${node.inputs.map((v) => `[${v.shape.join('×')}]`).join(' · ')}`
    const flops = node.op.flops(node.inputs.map((v) => v.shape), node.shape, node.attrs)
    const seen = shapes.get(key)
    if (seen) {
      seen.count++
      continue
    }
    const alone = new Graph()
    const out = alone.apply(node.op, node.inputs.map((v) => alone.constant(values(v.shape), v.shape)), node.attrs)
    alone.output('sum', reduceSum(out, out.shape.map((_, axis) => axis)))
    shapes.set(key, { count: 1, flops, ms: await bestRunMs(alone) })
  }
  const gemmMs = [...shapes.values()].reduce((t, s) => t + s.count * s.ms, 0)
  const gemmFlops = [...shapes.values()].reduce((t, s) => t + s.count * s.flops, 0)
  console.log(
    `${family}: step ${stepMs.toFixed(2)} ms, ${gflops(step.flopsPerStep, stepMs).toFixed(1)} GFLOP/s (${((100 * gflops(step.flopsPerStep, stepMs)) / peak).toFixed(0)} % of peak); ` +
      `its MatMul/Conv nodes alone ${gemmMs.toFixed(2)} ms at ${gflops(gemmFlops, gemmMs).toFixed(1)} GFLOP/s (${((100 * gflops(gemmFlops, gemmMs)) / peak).toFixed(0)} % of peak), ` +
      `${((100 * gemmFlops) / step.flopsPerStep).toFixed(1)} % of the FLOPs; everything else ${Math.max(0, stepMs - gemmMs).toFixed(2)} ms (${Math.max(0, (100 * (stepMs - gemmMs)) / stepMs).toFixed(0)} % of the step)`,
  )
  for (const [key, s] of [...shapes].sort((a, b) => b[1].count * b[1].ms - a[1].count * a[1].ms)) {
    console.log(`  ${key} ×${s.count}: ${(s.count * s.ms).toFixed(2)} ms, ${gflops(s.flops, s.ms).toFixed(1)} GFLOP/s`)
  }
}
