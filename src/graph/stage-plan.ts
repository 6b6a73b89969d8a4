// Splitting a model into pipeline stages: contiguous layer ranges, each small enough for one tab to train. A
// stage's tab holds its parameters, their gradients and AdamW's two moments; the values its forward pass
// computes for one micro-batch (its backward pass recomputes them from its input activation, shard.ts); and the
// input activation of every micro-batch in flight (kept until that micro-batch's gradient comes back). The plan
// takes the fewest stages that fit the budget, and among those the cut whose slowest stage is fastest: a
// pipeline runs at the pace of its slowest stage.
import { TesseraeError } from '../errors.ts'
import { countFlops, opFloats } from './flops.ts'
import { paramsOf, shapeAt, type Model } from './model.ts'
import { numel } from './shape.ts'
import { buildShard } from './shard.ts'

/** Bytes per parameter a training tab holds: the value, its gradient and AdamW's two moments, in float32. */
const BYTES_PER_PARAMETER = 16

export interface LayerCost {
  layer: number
  kind: string
  parameters: number
  /** Forward FLOPs and backward FLOPs (the backward graph recomputes the forward) per sample. */
  forwardFlopsPerSample: number
  backwardFlopsPerSample: number
  /** Floats of every value the layer's forward pass computes for one sample (held while its backward runs). */
  activationFloatsPerSample: number
  /** Floats per sample of the activation entering the layer, and leaving it. */
  inFloatsPerSample: number
  outFloatsPerSample: number
}

export interface Stage {
  index: number
  /** Layers [from, to). */
  from: number
  to: number
  parameters: number
  /** Forward then backward FLOPs for one micro-batch. */
  flopsPerMicroBatch: number
  /** The tab memory this stage needs while training (see the top of this file). */
  bytes: number
  /** Floats per sample the stage sends on (its output activation; the gradient coming back has the same size). */
  boundaryFloatsPerSample: number
}

export interface StagePlan {
  microBatch: number
  /** Micro-batches in flight at once, each one's input activation held by every stage. */
  inFlight: number
  budgetBytes: number
  stages: Stage[]
}

export interface PlanOptions {
  microBatch: number
  inFlight: number
  /** The most one stage's tab may need, in bytes. */
  budgetBytes: number
  /** The owner's own cuts: the first layer of every stage after the first. Omitted: chosen from the budget. */
  cuts?: readonly number[]
}

/** Each layer's cost, from the layer's own shard graphs at batch sizes 1 and 2 (costs grow linearly with it). */
export function layerCosts(model: Model): LayerCost[] {
  return model.layers.map((layer, i) => {
    const measure = (batch: number) => {
      const shard = buildShard(model, i, i + 1, batch)
      return { forward: countFlops(shard.forward), backward: countFlops(shard.backward), floats: opFloats(shard.forward) }
    }
    const one = measure(1)
    const two = measure(2)
    return {
      layer: i,
      kind: layer.kind,
      parameters: paramsOf(model, i, i + 1).reduce((n, p) => n + numel(p.shape), 0),
      forwardFlopsPerSample: two.forward - one.forward,
      backwardFlopsPerSample: two.backward - one.backward,
      activationFloatsPerSample: Math.max(two.floats - one.floats, 0),
      inFloatsPerSample: numel(shapeAt(model, i)),
      outFloatsPerSample: numel(shapeAt(model, i + 1)),
    }
  })
}

/** One stage [from, to) of layers with these costs, at this micro-batch and number in flight. */
export function stageOf(costs: readonly LayerCost[], from: number, to: number, index: number, microBatch: number, inFlight: number): Stage {
  const layers = costs.slice(from, to)
  const parameters = layers.reduce((n, c) => n + c.parameters, 0)
  const activations = layers.reduce((n, c) => n + c.activationFloatsPerSample, 0)
  const outFloats = costs[to - 1]!.outFloatsPerSample
  const inFloats = costs[from]!.inFloatsPerSample
  // Held: the inputs of the micro-batches in flight, one micro-batch's recomputed forward values, and the
  // gradient arriving for its output.
  const floats = microBatch * (inFlight * inFloats + activations + outFloats)
  return {
    index,
    from,
    to,
    parameters,
    flopsPerMicroBatch: microBatch * layers.reduce((n, c) => n + c.forwardFlopsPerSample + c.backwardFlopsPerSample, 0),
    bytes: BYTES_PER_PARAMETER * parameters + 4 * floats,
    boundaryFloatsPerSample: outFloats,
  }
}

/**
 * The fewest contiguous parts of `n` items whose every part passes `fits`, and among those the one whose
 * largest `weight` is smallest. Null when some single item does not fit. O(n³), for n up to a few hundred layers.
 */
export function partition(n: number, fits: (from: number, to: number) => boolean, weight: (from: number, to: number) => number): number[][] | null {
  // best[k][j]: the smallest largest weight splitting items [0, j) into k parts that fit; cut[k][j] its last cut.
  let best: number[] = Array.from({ length: n + 1 }, (_, j) => (j === 0 ? 0 : Infinity))
  const cuts: number[][] = []
  for (let k = 1; k <= n; k++) {
    const next = new Array<number>(n + 1).fill(Infinity)
    const cut = new Array<number>(n + 1).fill(-1)
    for (let j = 1; j <= n; j++) {
      // No early exit when a part stops fitting: a longer part can need less (its input activation may be smaller).
      for (let i = j - 1; i >= 0; i--) {
        if (best[i] === Infinity || !fits(i, j)) continue
        const worst = Math.max(best[i]!, weight(i, j))
        if (worst < next[j]!) {
          next[j] = worst
          cut[j] = i
        }
      }
    }
    cuts.push(cut)
    best = next
    if (best[n]! < Infinity) {
      const parts: number[][] = []
      for (let j = n, level = k - 1; j > 0; level--) {
        const i = cuts[level]![j]!
        parts.unshift([i, j])
        j = i
      }
      return parts
    }
  }
  return null
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`

/** The stages of `model` for these options; a typed error names the layer or stage that cannot fit. */
export function planStages(model: Model, options: PlanOptions): StagePlan {
  const { microBatch, inFlight, budgetBytes } = options
  if (!(Number.isInteger(microBatch) && microBatch >= 1)) throw new TesseraeError('BAD_STAGE_PLAN', `a micro-batch is a whole number of samples, not ${microBatch}`)
  if (!(Number.isInteger(inFlight) && inFlight >= 1)) throw new TesseraeError('BAD_STAGE_PLAN', `micro-batches in flight is a whole number from 1, not ${inFlight}`)
  if (!(budgetBytes > 0)) throw new TesseraeError('BAD_STAGE_PLAN', `a stage's memory budget must be positive, not ${budgetBytes}`)
  const costs = layerCosts(model)
  const stage = (from: number, to: number, index = 0) => stageOf(costs, from, to, index, microBatch, inFlight)
  let ranges: number[][]
  if (options.cuts) {
    const bounds = [0, ...options.cuts, costs.length]
    for (let i = 1; i < bounds.length; i++) {
      if (!(Number.isInteger(bounds[i]) && bounds[i]! > bounds[i - 1]!)) throw new TesseraeError('BAD_STAGE_PLAN', `stage cuts must be whole layer numbers rising from 1 to ${costs.length - 1}, not ${JSON.stringify(options.cuts)}`)
    }
    ranges = bounds.slice(1).map((to, i) => [bounds[i]!, to])
    for (const [i, [from, to]] of ranges.entries()) {
      const s = stage(from!, to!)
      if (s.bytes > budgetBytes) throw new TesseraeError('STAGE_TOO_BIG', `stage ${i + 1} (layers ${from}–${to! - 1}) needs about ${mib(s.bytes)} to train ${microBatch} samples at a time, over the ${mib(budgetBytes)} budget; cut it further or use smaller micro-batches`)
    }
  } else {
    // The search asks about every range at every stage count: each is costed once.
    const ranged = Array.from({ length: costs.length }, (_, from) => Array.from({ length: costs.length + 1 }, (_, to) => (to > from ? stage(from, to) : null)))
    const found = partition(costs.length, (from, to) => ranged[from]![to]!.bytes <= budgetBytes, (from, to) => ranged[from]![to]!.flopsPerMicroBatch)
    if (found === null) {
      const worst = costs.map((_, i) => stage(i, i + 1)).reduce((a, b) => (b.bytes > a.bytes ? b : a))
      throw new TesseraeError('STAGE_TOO_BIG', `layer ${worst.from} (${costs[worst.from]!.kind}) alone needs about ${mib(worst.bytes)} to train ${microBatch} samples at a time, over the ${mib(budgetBytes)} budget; use smaller micro-batches or a narrower model`)
    }
    ranges = found
  }
  return { microBatch, inFlight, budgetBytes, stages: ranges.map(([from, to], i) => stage(from!, to!, i)) }
}
