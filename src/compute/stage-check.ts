// The stage check: does this device's engine assemble a split model's gradients as the unsplit model has
// them? A 4-block character transformer is split into 2, 3 and 4 stages; each stage's shard graphs
// (graph/shard.ts) run on the engine micro-batch by micro-batch (training/pipeline-step.ts), and the gradients
// they assemble are compared with the unsplit model's gradient from the float64 reference interpreter. The
// bar is 1e-4 relative on wasm and 1e-3 on WebGPU (float32 kernels that sum in another order).
import type * as Ort from 'onnxruntime-web'
import { buildModel } from '../graph/model-spec.ts'
import { initParams, paramsOf } from '../graph/model.ts'
import { buildGradientGraph, buildLossHead, buildShard, gradName } from '../graph/shard.ts'
import { planStages } from '../graph/stage-plan.ts'
import { evaluateNamed } from '../graph/reference.ts'
import { PARAM_PREFIX } from '../graph/train-step.ts'
import { exportOnnx } from '../graph/onnx/export.ts'
import type { Graph } from '../graph/graph.ts'
import { seededRandom } from '../random.ts'
import { windowBatch } from '../data/text.ts'
import { pipelineGradients, type RunGraph } from '../training/pipeline-step.ts'
import { relativeL2 } from './compare-runs.ts'
import { runGraph } from './run-graph.ts'
import { createOrtSession, type ExecutionBackend, type OrtModule } from './train-session.ts'

export const STAGE_COUNTS = [2, 3, 4] as const
export const STAGE_TOLERANCE: Record<ExecutionBackend, number> = { wasm: 1e-4, webgpu: 1e-3 }

const VOCAB = 12
const CONTEXT = 6
const ROWS = 4
const MICRO = 2
/** The checked model and its micro-batch (the stage tests use the same). */
export const stageCheckModel = () => buildModel({ kind: 'transformer', layers: 4, width: 16, heads: 4 }, { kind: 'tokens', vocab: VOCAB, context: CONTEXT }, VOCAB)
export const STAGE_CHECK_MICRO = MICRO

export interface StageCheckResult {
  stages: number
  /** Layer ranges of the stages, [from, to) each. */
  ranges: Array<[number, number]>
  /** The worst parameter's ‖stages − unsplit‖ / ‖unsplit‖, and that parameter. */
  maxRelative: number
  worstParam: string
  lossRelative: number
}

/** One-hot token windows and next-token targets, as the text task feeds them. */
export function stageCheckBatch(seed: number): { x: Float32Array; y: Float32Array; rows: number } {
  const random = seededRandom(seed)
  const tokens = Uint16Array.from({ length: ROWS * (CONTEXT + 1) }, () => Math.floor(random() * VOCAB))
  // Row r is the window of `CONTEXT + 1` tokens at r·(CONTEXT + 1).
  return { ...windowBatch(tokens, Array.from({ length: ROWS }, (_, r) => r * (CONTEXT + 1)), CONTEXT, VOCAB), rows: ROWS }
}

/** The checked parameters and the unsplit model's float64 gradients (and loss) on the checked batch. */
export function stageCheckReference(): { params: Map<string, Float32Array>; data: ReturnType<typeof stageCheckBatch>; expected: Record<string, Float64Array> } {
  const m = stageCheckModel()
  const params = initParams(m, 3)
  const data = stageCheckBatch(11)
  return { params, data, expected: evaluateNamed(buildGradientGraph(m, ROWS), { x: data.x, y: data.y, ...Object.fromEntries([...params].map(([n, v]) => [`${PARAM_PREFIX}${n}`, v])) }) }
}

/** The cuts that spread `count` stages over the model's layers (embedding, 4 blocks, norm, head). */
export const evenCuts = (layers: number, count: number): number[] => Array.from({ length: count - 1 }, (_, i) => Math.round(((i + 1) * layers) / count))

/**
 * Runs the check with `run` (an engine on `backend`; the tests also pass the float64 interpreter): one result
 * per stage count.
 */
export async function checkStagesWith(run: RunGraph): Promise<StageCheckResult[]> {
  const m = stageCheckModel()
  const { params, data, expected } = stageCheckReference()
  const results: StageCheckResult[] = []
  for (const count of STAGE_COUNTS) {
    const plan = planStages(m, { microBatch: MICRO, inFlight: 1, budgetBytes: 1e9, cuts: evenCuts(m.layers.length, count) })
    const shards = plan.stages.map((s) => buildShard(m, s.from, s.to, MICRO))
    const got = await pipelineGradients(shards, buildLossHead(m, MICRO), params, data, MICRO, run)
    let maxRelative = 0
    let worstParam = ''
    for (const { name } of paramsOf(m)) {
      // A NaN (a GPU that computes garbage) is the worst error there is, never a pass.
      const rel = relativeL2(got.grads.get(name)!, expected[gradName(name)]!)
      if (!(rel < maxRelative)) [maxRelative, worstParam] = [Number.isNaN(rel) ? Infinity : rel, name]
    }
    const loss = expected.loss![0]!
    const lossRelative = Math.abs(got.loss - loss) / loss
    results.push({ stages: count, ranges: plan.stages.map((s) => [s.from, s.to]), maxRelative, worstParam, lossRelative: Number.isNaN(lossRelative) ? Infinity : lossRelative })
  }
  return results
}

/** Runs the check on this device's `backend`, each graph in a session of its own. */
export async function checkStages(ort: OrtModule, backend: ExecutionBackend): Promise<StageCheckResult[]> {
  const sessions = new Map<Graph, Ort.InferenceSession>()
  const run: RunGraph = async (graph, feeds, stage) => {
    let session = sessions.get(graph)
    if (!session) {
      // On WebGPU every node must run on the GPU: a node on the CPU would check the CPU, not this device.
      session = await createOrtSession(ort, exportOnnx(graph), { backend, disableCpuFallback: backend === 'webgpu' })
      sessions.set(graph, session)
    }
    return runGraph(ort, session, graph, feeds, `stage ${stage}`)
  }
  try {
    return await checkStagesWith(run)
  } finally {
    for (const session of sessions.values()) await session.release()
  }
}
