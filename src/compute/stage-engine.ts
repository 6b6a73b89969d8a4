// One pipeline stage on ORT: its shard's forward and backward graphs (graph/shard.ts) as two sessions made
// once, run on the stage's parameters. The backward run recomputes the forward from the input activation, so
// the engine keeps nothing between calls and any peer of the stage can run any micro-batch's backward.
import type * as Ort from 'onnxruntime-web'
import { exportOnnx } from '../graph/onnx/export.ts'
import { ACTIVATION, ACTIVATION_OUT, buildLossHead, GRAD_IN, GRAD_OUT, gradName, type Shard } from '../graph/shard.ts'
import type { Model } from '../graph/model.ts'
import { PARAM_PREFIX } from '../graph/train-step.ts'
import type { Graph } from '../graph/graph.ts'
import { createOrtSession, type ExecutionBackend, type OrtModule } from './train-session.ts'
import { runGraph } from './run-graph.ts'

export interface StageEngine {
  readonly shard: Shard
  /**
   * `paramsKey`, when given, names these parameter values: a call with the key of the last call may reuse what
   * that call was given (a worker engine then sends no parameters across), so a caller changing the values must
   * change the key.
   */
  forward(params: ReadonlyMap<string, Float32Array>, activation: Float32Array, paramsKey?: string): Promise<Float32Array>
  /** The input activation's gradient (null for the first stage, whose input is data) and the parameters'. */
  backward(params: ReadonlyMap<string, Float32Array>, activation: Float32Array, gradOut: Float32Array, paramsKey?: string): Promise<{ gradIn: Float32Array | null; grads: Map<string, Float32Array> }>
  release(): Promise<void>
}

export async function createStageEngine(ort: OrtModule, shard: Shard, backend: ExecutionBackend): Promise<StageEngine> {
  const forward = await createOrtSession(ort, exportOnnx(shard.forward), { backend })
  const backward = await createOrtSession(ort, exportOnnx(shard.backward), { backend })
  const what = `stage [${shard.from}, ${shard.to})`
  const run = (session: Ort.InferenceSession, graph: Graph, feeds: Record<string, Float32Array>) => runGraph(ort, session, graph, feeds, what)
  const paramFeeds = (params: ReadonlyMap<string, Float32Array>) => Object.fromEntries(shard.params.map((name) => [`${PARAM_PREFIX}${name}`, params.get(name)!]))
  return {
    shard,
    async forward(params, activation) {
      return (await run(forward, shard.forward, { ...paramFeeds(params), [ACTIVATION]: activation }))[ACTIVATION_OUT]!
    },
    async backward(params, activation, gradOut) {
      const out = await run(backward, shard.backward, { ...paramFeeds(params), [ACTIVATION]: activation, [GRAD_OUT]: gradOut })
      return { gradIn: out[GRAD_IN] ?? null, grads: new Map(shard.params.map((name) => [name, out[gradName(name)]!])) }
    },
    async release() {
      await forward.release()
      await backward.release()
    },
  }
}

/** A model's loss for a micro-batch of its output, and that loss's gradient: where a pipeline's backward pass starts. */
export interface LossHead {
  run: (output: Float32Array, y: Float32Array) => Promise<{ loss: number; grad: Float32Array }>
  release: () => Promise<void>
}

/** A pipeline's loss head (the driver's end of it): one micro-batch of the model's output and its one-hot targets in, the mean loss and its gradient out. */
export async function createLossHead(ort: OrtModule, model: Model, microBatch: number, backend: ExecutionBackend): Promise<LossHead> {
  const graph = buildLossHead(model, microBatch)
  const session = await createOrtSession(ort, exportOnnx(graph), { backend })
  return {
    async run(output, y) {
      const out = await runGraph(ort, session, graph, { [ACTIVATION]: output, y }, 'the loss head')
      return { loss: out.loss![0]!, grad: out[GRAD_IN]! }
    },
    release: () => session.release(),
  }
}
