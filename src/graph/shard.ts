// Pipeline-parallel shards: a contiguous layer range with a forward graph (params, activation in →
// activation out) and a backward graph (params, activation in, grad of activation out → grad of activation in,
// grads of params). The backward graph recomputes the range's forward pass from its input activation, so a
// volunteer holds no state between the two calls (activation checkpointing at shard boundaries).
import { Graph } from './graph.ts'
import { gradients } from './autodiff.ts'
import { lossAndCorrect } from './loss.ts'
import { declareParams, forwardRange, paramsOf, shapeAt, type Model } from './model.ts'
import { mul } from './ops/binary.ts'
import { reduceSum } from './ops/reduce.ts'
import { PARAM_PREFIX } from './train-step.ts'
import { countFlops } from './flops.ts'
import { TesseraeError } from '../errors.ts'
import { numel } from './shape.ts'

export const ACTIVATION = 'activation'
export const ACTIVATION_OUT = 'activation:out'
export const GRAD_OUT = 'grad:out'
export const GRAD_IN = 'grad:in'
export const gradName = (param: string) => `grad/${param}`

export interface Shard {
  from: number
  to: number
  forward: Graph
  backward: Graph
  params: string[]
  forwardFlops: number
  backwardFlops: number
}

/**
 * A stage graph's input `name` (ACTIVATION, GRAD_OUT) as the boundary tensor that carries it: a row per
 * last-axis vector (one token's features, or one sample's).
 */
export function boundaryShape(graph: Graph, name: string): { rows: number; width: number } {
  const input = graph.inputsOfKind('input').find((i) => i.name === name)
  if (!input) throw new TesseraeError('BAD_STAGE_PLAN', `a stage graph takes no input "${name}"`)
  const width = input.value.shape.at(-1)!
  return { rows: numel(input.value.shape) / width, width }
}

export function buildShard(model: Model, from: number, to: number, batchSize: number): Shard {
  if (!(from >= 0 && from < to && to <= model.layers.length)) throw new Error(`shard [${from}, ${to}) is not a layer range of a ${model.layers.length}-layer model`)
  const inShape = [batchSize, ...shapeAt(model, from)]
  const outShape = [batchSize, ...shapeAt(model, to)]
  const params = paramsOf(model, from, to).map((p) => p.name)

  const fwd = new Graph()
  const fwdParams = declareParams(fwd, model, PARAM_PREFIX, from, to)
  fwd.output(ACTIVATION_OUT, forwardRange(model, fwd.input(ACTIVATION, inShape), fwdParams, from, to))

  const bwd = new Graph()
  const bwdParams = declareParams(bwd, model, PARAM_PREFIX, from, to)
  const activation = bwd.input(ACTIVATION, inShape)
  const gradOut = bwd.input(GRAD_OUT, outShape)
  const out = forwardRange(model, activation, bwdParams, from, to)
  // A scalar whose gradient with respect to `out` is exactly gradOut (vector-Jacobian product).
  const surrogate = reduceSum(mul(out, gradOut), outShape.map((_, i) => i))
  const wrt = [...(from > 0 ? [activation] : []), ...params.map((n) => bwdParams.get(n)!)]
  const grads = gradients(surrogate, wrt)
  if (from > 0) bwd.output(GRAD_IN, grads.shift()!)
  params.forEach((name, i) => bwd.output(gradName(name), grads[i]!))

  return { from, to, forward: fwd, backward: bwd, params, forwardFlops: countFlops(fwd), backwardFlops: countFlops(bwd) }
}

/** The last pipeline stage's loss: logits and one-hot labels → loss, correct count and d loss / d logits. */
export function buildLossHead(model: Model, batchSize: number): Graph {
  const g = new Graph()
  const shape = [batchSize, ...shapeAt(model, model.layers.length)]
  const logits = g.input(ACTIVATION, shape)
  const y = g.input('y', shape)
  const { loss, correct } = lossAndCorrect(model, logits, y)
  g.output('loss', loss)
  g.output('correct', correct)
  g.output(GRAD_IN, gradients(loss, [logits])[0]!)
  return g
}

/** Whole-model loss and parameter gradients (no update): the reference that shard pipelines must match. */
export function buildGradientGraph(model: Model, batchSize: number): Graph {
  const g = new Graph()
  const params = declareParams(g, model, PARAM_PREFIX)
  const x = g.input('x', [batchSize, ...model.inputShape])
  const y = g.input('y', [batchSize, ...shapeAt(model, model.layers.length)])
  const { loss } = lossAndCorrect(model, forwardRange(model, x, params), y)
  g.output('loss', loss)
  const names = paramsOf(model).map((p) => p.name)
  gradients(loss, names.map((n) => params.get(n)!)).forEach((grad, i) => g.output(gradName(names[i]!), grad))
  return g
}
