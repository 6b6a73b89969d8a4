// One training step of a model split into stages (graph/stage-plan.ts), micro-batch by micro-batch: each
// micro-batch's activation goes forward stage to stage, the last stage's loss head turns its output into the
// loss and the gradient of its output, and that gradient goes back stage to stage, each stage recomputing its
// forward pass from the input activation it kept (graph/shard.ts) and adding its parameters' gradients. Where a
// stage's graphs run is the caller's `run` (an engine here, a peer of that stage over the swarm), so this one
// schedule is what the unsplit model's gradient is checked against.
import type { Graph } from '../graph/graph.ts'
import { ACTIVATION, ACTIVATION_OUT, boundaryShape, GRAD_IN, GRAD_OUT, gradName, type Shard } from '../graph/shard.ts'
import { PARAM_PREFIX } from '../graph/train-step.ts'
import { TesseraeError } from '../errors.ts'
import { decodeBoundary, encodeBoundary, type BoundaryFormat } from './boundary-codec.ts'

export type Feeds = Record<string, Float32Array>
/** Runs one graph on these feeds (parameters under `param/<name>`) and returns its outputs by name. */
export type RunGraph = (graph: Graph, feeds: Feeds, stage: number) => Promise<Feeds>

export interface PipelineBatch {
  /** Inputs of the whole batch, row after row ([rows, ...per-sample shape]), and their one-hot targets. */
  x: Float32Array
  y: Float32Array
  rows: number
}

export interface PipelineGradients {
  /** The batch's mean loss. */
  loss: number
  /** Every parameter's gradient of the mean loss, by parameter name (no prefix). */
  grads: Map<string, Float32Array>
}

/** Row `index` of `rows` equal rows of `data`, `count` rows long. */
function rowsOf(data: Float32Array, rows: number, index: number, count: number): Float32Array {
  const width = data.length / rows
  return data.subarray(index * width, (index + count) * width)
}

/**
 * The gradient of the batch's mean loss, from the stages' shards (built for one micro-batch's rows) and the
 * loss head, as the mean over micro-batches (each micro-batch's loss is the mean over its own rows).
 */
export async function pipelineGradients(stages: readonly Shard[], head: Graph, params: ReadonlyMap<string, Float32Array>, batch: PipelineBatch, microBatch: number, run: RunGraph, format: BoundaryFormat = 'fp32'): Promise<PipelineGradients> {
  if (!(batch.rows > 0 && batch.rows % microBatch === 0)) throw new TesseraeError('BAD_BATCH', `a batch of ${batch.rows} rows does not split into micro-batches of ${microBatch}`)
  if (batch.x.length % batch.rows !== 0 || batch.y.length % batch.rows !== 0) throw new TesseraeError('BAD_BATCH', `a batch of ${batch.rows} rows cannot have ${batch.x.length} input and ${batch.y.length} target values`)
  for (let i = 1; i < stages.length; i++) if (stages[i]!.from !== stages[i - 1]!.to) throw new TesseraeError('BAD_STAGE_PLAN', `stage ${i} starts at layer ${stages[i]!.from}, not where stage ${i - 1} ends (${stages[i - 1]!.to})`)
  const feedsOf = (stage: Shard): Feeds => Object.fromEntries(stage.params.map((name) => {
    const values = params.get(name)
    if (!values) throw new TesseraeError('BAD_STAGE_PLAN', `no parameters given for "${name}"`)
    return [`${PARAM_PREFIX}${name}`, values]
  }))
  const stageFeeds = stages.map(feedsOf)
  const grads = new Map<string, Float32Array>()
  const count = batch.rows / microBatch
  // What the next stage receives: the value as encoded for the wire and decoded there, a row per last-axis
  // vector of the boundary (one token's features, or one sample's).
  const widths = [...stages.slice(1).map((s) => s.forward), head].map((graph) => boundaryShape(graph, ACTIVATION).width)
  const cross = (values: Float32Array, boundary: number, what: string): Float32Array => {
    if (format === 'fp32') return values
    const width = widths[boundary]!
    return decodeBoundary(encodeBoundary({ rows: values.length / width, width, values }, format), values.length / width, width, what).values
  }
  let loss = 0
  for (let m = 0; m < count; m++) {
    // Forward: each stage keeps its input, from which its backward pass recomputes the rest.
    const inputs: Float32Array[] = [rowsOf(batch.x, batch.rows, m * microBatch, microBatch)]
    for (const [s, stage] of stages.entries()) {
      inputs.push(cross(need(await run(stage.forward, { ...stageFeeds[s], [ACTIVATION]: inputs[s]! }, s), ACTIVATION_OUT, s), s, `stage ${s}'s activation`))
    }
    const last = stages.length
    const headOut = await run(head, { [ACTIVATION]: inputs[last]!, y: rowsOf(batch.y, batch.rows, m * microBatch, microBatch) }, last)
    loss += need(headOut, 'loss', last)[0]! / count
    let gradOut = cross(need(headOut, GRAD_IN, last), last - 1, 'the loss gradient')
    for (let s = stages.length - 1; s >= 0; s--) {
      const stage = stages[s]!
      const back = await run(stage.backward, { ...stageFeeds[s], [ACTIVATION]: inputs[s]!, [GRAD_OUT]: gradOut }, s)
      for (const name of stage.params) {
        const g = need(back, gradName(name), s)
        const sum = grads.get(name) ?? new Float32Array(g.length)
        for (let i = 0; i < g.length; i++) sum[i] = sum[i]! + g[i]! / count
        grads.set(name, sum)
      }
      if (s > 0) gradOut = cross(need(back, GRAD_IN, s), s - 1, `stage ${s}'s input gradient`)
    }
  }
  return { loss, grads }
}

function need(outputs: Feeds, name: string, stage: number): Float32Array {
  const value = outputs[name]
  if (!value) throw new TesseraeError('STAGE_OUTPUT_MISSING', `stage ${stage} returned no "${name}"`)
  return value
}
