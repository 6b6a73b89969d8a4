// Builds the training-step graphs: forward, cross-entropy, reverse-mode gradients and the optimiser update in
// one graph. Parameters and optimiser state live in flat buckets (flat-params.ts); every bucket input that
// carries state across steps has a matching "<input>:next" output, so the runtime can feed outputs straight
// back as inputs while they stay on the GPU. With micro-batching, a second graph adds one micro-batch's
// gradients to running sums, and the update graph finishes the batch: the same update as one big batch.
import { Graph, type Value } from './graph.ts'
import { gradients } from './autodiff.ts'
import { lossAndCorrect } from './loss.ts'
import { stateSlots, updateRule, type OptimizerSpec } from './optimizer.ts'
import { declareParams, forwardRange, maskInputs, paramsOf, shapeAt, type MaskInput, type Model } from './model.ts'
import { bucketName, bucketViews, declareBuckets, flatLayout, joinBuckets, type FlatLayout } from './flat-params.ts'
import { add } from './ops/binary.ts'
import { countFlops } from './flops.ts'
import { TesseraeError } from '../errors.ts'

export interface CarriedBuffer {
  input: string
  output: string
  bucket: number
  /** null for the parameters themselves, else the optimiser state slot. */
  slot: string | null
}

export interface TrainStep {
  /** One micro-batch's forward and backward, then the optimiser update over the whole batch's gradient. */
  graph: Graph
  /** One micro-batch's forward and backward, added to the gradient sums; null when the batch is one micro-batch. */
  accumulate: Graph | null
  batchSize: number
  microBatch: number
  layout: FlatLayout
  /** Parameter and optimiser-state buckets, fed back from step to step. */
  carried: CarriedBuffer[]
  /** Gradient-sum buckets (micro-batching only): inputs of both graphs, outputs of `accumulate`. */
  gradSums: Array<{ input: string; output: string }>
  /** FLOPs of one step over the whole batch, whatever the micro-batch: the unit work is credited in. */
  flopsPerStep: number
  /**
   * The model's dropout: its rate and the mask inputs (per-sample shapes) both graphs take beside x and y, a
   * micro-batch's rows at a time; the session draws them from the batch and the step (graph/dropout.ts).
   * Null without dropout.
   */
  dropout: { rate: number; masks: MaskInput[] } | null
}

/**
 * Fine-tuning: the first `bodyLayers` layers (a kept body) train at `bodyScale` times the learning rate, 0
 * freezing them; the layers after (a new head) at the full rate.
 */
export interface LrScale {
  bodyLayers: number
  bodyScale: number
}

export interface TrainStepOptions {
  /** Rows per engine run; must divide the batch. Defaults to the whole batch. */
  microBatch?: number
  /** Per-layer learning-rate scale (fine-tuning); absent, every parameter trains at the full rate. */
  lrScale?: LrScale
  /** Largest parameter bucket in floats (flat-params.ts); smaller for adapters with small binding limits. */
  maxBucketFloats?: number
}

export const nextName = (input: string) => `${input}:next`
export const PARAM_PREFIX = 'param/'
/** Prefixes of the bucket inputs of a train step. */
export const PARAMS = 'params'
export const GRAD_SUM = 'grad_sum'

export function buildTrainStep(model: Model, batchSize: number, optimizer: OptimizerSpec, options: TrainStepOptions = {}): TrainStep {
  const microBatch = options.microBatch ?? batchSize
  if (!(Number.isInteger(microBatch) && microBatch >= 1 && batchSize % microBatch === 0)) {
    throw new TesseraeError('BAD_MICRO_BATCH', `a micro-batch of ${microBatch} rows does not divide the batch of ${batchSize}`)
  }
  const layout = flatLayout(paramsOf(model), options.maxBucketFloats)
  const masks = maskInputs(model)
  const microBatches = batchSize / microBatch
  const update = updateGraph(model, layout, microBatch, optimizer, microBatches, options.lrScale)
  const slots = stateSlots(optimizer)
  const carried: CarriedBuffer[] = layout.bucketSizes.flatMap((_, b) => [
    { input: bucketName(PARAMS, b), output: nextName(bucketName(PARAMS, b)), bucket: b, slot: null },
    ...slots.map((slot) => ({ input: bucketName(slot, b), output: nextName(bucketName(slot, b)), bucket: b, slot })),
  ])
  const gradSums = microBatches === 1 ? [] : layout.bucketSizes.map((_, b) => ({ input: bucketName(GRAD_SUM, b), output: nextName(bucketName(GRAD_SUM, b)) }))
  return {
    graph: update,
    accumulate: microBatches === 1 ? null : accumulateGraph(model, layout, microBatch),
    batchSize,
    microBatch,
    layout,
    carried,
    gradSums,
    flopsPerStep: countFlops(microBatches === 1 ? update : updateGraph(model, layout, batchSize, optimizer, 1, options.lrScale)),
    dropout: masks.length === 0 ? null : { rate: model.dropout!, masks },
  }
}

/** Forward and backward on one micro-batch: declares the loss outputs, returns the buckets and their gradients. */
function backprop(g: Graph, model: Model, layout: FlatLayout, rows: number): { params: Value[]; grads: Value[] } {
  const buckets = declareBuckets(g, layout, PARAMS, 'param')
  const views = bucketViews(layout, buckets)
  const x = g.input('x', [rows, ...model.inputShape])
  const y = g.input('y', [rows, ...shapeAt(model, model.layers.length)])
  const masks = new Map(maskInputs(model).map((m) => [m.name, g.input(m.name, [rows, ...m.shape])]))
  const { loss, correct } = lossAndCorrect(model, forwardRange(model, x, views, 0, model.layers.length, masks), y)
  g.output('loss', loss)
  g.output('correct', correct)
  const names = layout.entries.map((e) => e.name)
  const grads = gradients(loss, names.map((n) => views.get(n)!))
  return { params: buckets, grads: joinBuckets(layout, new Map(names.map((n, i) => [n, grads[i]!]))) }
}

/**
 * Each bucket's per-element learning-rate scale for `lrScale` (the layer is the first part of a parameter's
 * name), or null for a bucket that trains entirely at the full rate.
 */
export function bucketScales(layout: FlatLayout, lrScale: LrScale | undefined): Array<Float64Array | null> {
  return layout.bucketSizes.map((size, b) => {
    if (!lrScale || lrScale.bodyScale === 1) return null
    const scale = new Float64Array(size).fill(1)
    let scaled = false
    for (const e of layout.entries) {
      if (e.bucket !== b || Number.parseInt(e.name, 10) >= lrScale.bodyLayers) continue
      scale.fill(lrScale.bodyScale, e.offset, e.offset + e.size)
      scaled = true
    }
    return scaled ? scale : null
  })
}

function updateGraph(model: Model, layout: FlatLayout, rows: number, optimizer: OptimizerSpec, microBatches: number, lrScale: LrScale | undefined): Graph {
  const g = new Graph()
  const { params, grads } = backprop(g, model, layout, rows)
  const sums = microBatches === 1 ? null : declareBuckets(g, layout, GRAD_SUM, 'input')
  // The loss is a mean over each micro-batch's rows, so the batch gradient is the mean over micro-batches.
  const rule = updateRule(optimizer, { lr: g.input('lr', []), step: g.input('step', []), gradScale: 1 / microBatches })
  const scales = bucketScales(layout, lrScale)
  params.forEach((param, b) => {
    const state = stateSlots(optimizer).map((slot) => g.input(bucketName(slot, b), [layout.bucketSizes[b]!]))
    const grad = sums === null ? grads[b]! : add(sums[b]!, grads[b]!)
    const scale = scales[b]
    const [nextParam, ...nextState] = rule(param, grad, state, scale ? g.constant(scale, [scale.length]) : undefined)
    g.output(nextName(bucketName(PARAMS, b)), nextParam!)
    stateSlots(optimizer).forEach((slot, s) => g.output(nextName(bucketName(slot, b)), nextState[s]!))
  })
  return g
}

function accumulateGraph(model: Model, layout: FlatLayout, rows: number): Graph {
  const g = new Graph()
  const { grads } = backprop(g, model, layout, rows)
  const sums = declareBuckets(g, layout, GRAD_SUM, 'input')
  sums.forEach((sum, b) => g.output(nextName(bucketName(GRAD_SUM, b)), add(sum, grads[b]!)))
  return g
}

/** Inference graph: x → logits, with parameters as inputs (or baked in as initialisers at export). */
export function buildInference(model: Model, batchSize: number): Graph {
  const g = new Graph()
  const params = declareParams(g, model, PARAM_PREFIX)
  const x = g.input('x', [batchSize, ...model.inputShape])
  g.output('logits', forwardRange(model, x, params))
  return g
}
