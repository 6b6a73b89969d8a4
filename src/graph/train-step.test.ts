// Train-step structure in the float64 reference: micro-batching and bucket layout are execution details, so
// neither may change the update, the loss or the FLOPs a step is credited with.
import { describe, expect, it } from 'vitest'
import { buildTrainStep, type TrainStep } from './train-step.ts'
import { cnn, mlp, tinyTransformer } from './zoo.ts'
import { DEFAULT_ADAMW, DEFAULT_SGD, type OptimizerSpec } from './optimizer.ts'
import { initParams, type Model } from './model.ts'
import { packFlat } from './flat-params.ts'
import { randomFeeds } from './testing/feeds.ts'
import { referenceStep, type CarriedValues } from './testing/reference-step.ts'

const models: Array<[string, () => Model]> = [['mlp', () => mlp([1, 6, 6], [12], 4)], ['cnn', () => cnn([2, 4], 8)], ['transformer', () => tinyTransformer(8, 4, 8, 2, 1)]]
const optimizers: Array<[string, OptimizerSpec]> = [['AdamW', DEFAULT_ADAMW], ['SGD-momentum', { ...DEFAULT_SGD, weightDecay: 1e-3 }]]

function initialCarried(step: TrainStep, model: Model): CarriedValues {
  const packed = packFlat(step.layout, initParams(model, 2))
  return Object.fromEntries(step.carried.map((c) => [c.input, c.slot === null ? packed[c.bucket]! : new Float64Array(packed[c.bucket]!.length)]))
}

/** Three steps from the same parameters on the same batches; returns the losses and the final carried values. */
function train(step: TrainStep, model: Model, batchSeed: number) {
  let carried = initialCarried(step, model)
  const losses: number[] = []
  for (let t = 1; t <= 3; t++) {
    const full = randomFeeds(buildTrainStep(model, step.batchSize, DEFAULT_SGD).graph, batchSeed + t)
    const result = referenceStep(step, carried, { x: full.x!, y: full.y! }, 0.02, t)
    carried = result.carried
    losses.push(result.loss)
  }
  return { losses, carried }
}

function maxRelDiff(a: Record<string, ArrayLike<number>>, b: Record<string, ArrayLike<number>>): number {
  let worst = 0
  for (const [name, values] of Object.entries(a)) {
    const other = b[name]!
    let diff = 0
    let norm = 0
    for (let i = 0; i < values.length; i++) {
      diff += (values[i]! - other[i]!) ** 2
      norm += values[i]! ** 2
    }
    worst = Math.max(worst, Math.sqrt(diff / Math.max(norm, 1e-300)))
  }
  return worst
}

describe('gradient accumulation', () => {
  for (const [modelName, makeModel] of models) {
    for (const [optName, optimizer] of optimizers) {
      it(`${modelName} with ${optName}: 4 micro-batches of 2 rows give the same steps as one batch of 8`, () => {
        const model = makeModel()
        const whole = train(buildTrainStep(model, 8, optimizer), model, 10)
        const micro = train(buildTrainStep(model, 8, optimizer, { microBatch: 2 }), model, 10)
        micro.losses.forEach((loss, i) => expect(loss).toBeCloseTo(whole.losses[i]!, 10))
        expect(maxRelDiff(micro.carried, whole.carried)).toBeLessThan(1e-10)
      })
    }
  }

  it('credits the same FLOPs whatever the micro-batch', () => {
    const model = cnn([2, 4], 8)
    const flops = [8, 4, 2, 1].map((microBatch) => buildTrainStep(model, 8, DEFAULT_ADAMW, { microBatch }).flopsPerStep)
    expect(new Set(flops).size).toBe(1)
  })

  it('refuses a micro-batch that does not divide the batch', () => {
    expect(() => buildTrainStep(mlp(), 64, DEFAULT_ADAMW, { microBatch: 24 })).toThrow(/micro-batch of 24 rows does not divide the batch of 64/)
    expect(() => buildTrainStep(mlp(), 64, DEFAULT_ADAMW, { microBatch: 0 })).toThrow(/does not divide/)
  })
})

describe('parameter buckets', () => {
  it('split over several buckets, a step computes exactly what one bucket computes', () => {
    const model = tinyTransformer(8, 4, 8, 2, 1)
    const one = buildTrainStep(model, 4, DEFAULT_ADAMW)
    const many = buildTrainStep(model, 4, DEFAULT_ADAMW, { maxBucketFloats: 100 })
    expect(one.layout.bucketSizes).toHaveLength(1)
    expect(many.layout.bucketSizes.length).toBeGreaterThan(3)
    const a = train(one, model, 20)
    const b = train(many, model, 20)
    expect(b.losses).toEqual(a.losses)
    const params = (step: TrainStep, carried: CarriedValues) => step.carried.filter((c) => c.slot === null).flatMap((c) => Array.from(carried[c.input]!))
    expect(params(many, b.carried)).toEqual(params(one, a.carried))
  })

  it('runs the optimiser once per bucket: a dozen nodes, not a dozen per tensor', () => {
    const model = tinyTransformer()
    const tensors = model.layers.flatMap((l) => l.params).length
    const step = buildTrainStep(model, 4, DEFAULT_ADAMW)
    const bucketSized = step.graph.nodes.filter((n) => n.kind === 'op' && n.shape.length === 1 && n.shape[0] === step.layout.bucketSizes[0])
    expect(tensors).toBeGreaterThan(10)
    // The 13 AdamW passes plus the Concat joining the gradients; no dead backward nodes for the bucket views.
    expect(bucketSized.length).toBeLessThanOrEqual(14)
  })
})

describe('fine-tuning learning-rate scale', () => {
  for (const [optName, optimizer] of optimizers) {
    it(`${optName}: a frozen body does not move (weight decay included), a body at 1/10 moves a tenth, the head as without a scale`, () => {
      const model = mlp([1, 6, 6], [12, 8], 4)
      const plain = buildTrainStep(model, 8, optimizer, { maxBucketFloats: 100 })
      const scaledBy = (bodyScale: number) => {
        const step = buildTrainStep(model, 8, optimizer, { lrScale: { bodyLayers: 3, bodyScale }, maxBucketFloats: 100 })
        const before = packFlat(step.layout, initParams(model, 2))
        const { carried } = train(step, model, 30)
        return new Map(step.layout.entries.map((e) => {
          const after = carried[step.carried.find((c) => c.slot === null && c.bucket === e.bucket)!.input]!
          return [e.name, Array.from({ length: e.size }, (_, i) => after[e.offset + i]! - before[e.bucket]![e.offset + i]!)]
        }))
      }
      const full = (() => {
        const before = packFlat(plain.layout, initParams(model, 2))
        const { carried } = train(plain, model, 30)
        return new Map(plain.layout.entries.map((e) => {
          const after = carried[plain.carried.find((c) => c.slot === null && c.bucket === e.bucket)!.input]!
          return [e.name, Array.from({ length: e.size }, (_, i) => after[e.offset + i]! - before[e.bucket]![e.offset + i]!)]
        }))
      })()
      const frozen = scaledBy(0)
      const tenth = scaledBy(0.1)
      const names = [...full.keys()]
      const body = names.filter((n) => Number.parseInt(n, 10) < 3)
      const head = names.filter((n) => Number.parseInt(n, 10) >= 3)
      expect(body.length).toBeGreaterThan(0)
      expect(head.length).toBeGreaterThan(0)
      for (const n of body) {
        expect(frozen.get(n)!.every((d) => d === 0)).toBe(true)
        expect(full.get(n)!.some((d) => Math.abs(d) > 1e-6)).toBe(true)
      }
      // The first step of a tenth-rate body is exactly a tenth of the full step; later ones differ (the head moved).
      for (const n of head) expect(tenth.get(n)!.some((d) => Math.abs(d) > 1e-6)).toBe(true)
      const bodyMove = (m: Map<string, number[]>) => body.reduce((sum, n) => sum + m.get(n)!.reduce((a, d) => a + Math.abs(d), 0), 0)
      expect(bodyMove(tenth) / bodyMove(full)).toBeGreaterThan(0.05)
      expect(bodyMove(tenth) / bodyMove(full)).toBeLessThan(0.2)
    })
  }

  it('a scale of 1, or a body of no layers, builds the step without a scale', () => {
    const model = mlp([1, 6, 6], [12], 4)
    const plain = buildTrainStep(model, 4, DEFAULT_ADAMW)
    expect(buildTrainStep(model, 4, DEFAULT_ADAMW, { lrScale: { bodyLayers: 2, bodyScale: 1 } }).graph.nodes.length).toBe(plain.graph.nodes.length)
    expect(buildTrainStep(model, 4, DEFAULT_ADAMW, { lrScale: { bodyLayers: 0, bodyScale: 0 } }).graph.nodes.length).toBe(plain.graph.nodes.length)
    expect(buildTrainStep(model, 4, DEFAULT_ADAMW, { lrScale: { bodyLayers: 2, bodyScale: 0 } }).graph.nodes.length).toBeGreaterThan(plain.graph.nodes.length)
  })
})
