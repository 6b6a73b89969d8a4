// Stage plans: the fewest stages that fit a tab's budget, the most balanced among them, and clear errors.
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random.ts'
import { buildModel, modelCost, PHONE_TAB_BYTES } from './model-spec.ts'
import { parameterCount } from './model.ts'
import { layerCosts, partition, planStages } from './stage-plan.ts'

const transformer = (layers: number, width: number, heads = 4, context = 64) =>
  buildModel({ kind: 'transformer', layers, width, heads }, { kind: 'tokens', vocab: 96, context }, 96)

/** Every split of [0, n) into contiguous parts, by brute force. */
function* splits(n: number, from = 0): Generator<number[][]> {
  if (from === n) {
    yield []
    return
  }
  for (let to = from + 1; to <= n; to++) for (const rest of splits(n, to)) yield [[from, to], ...rest]
}

describe('partition', () => {
  it('finds the fewest parts that fit and, among them, the smallest largest weight (against brute force)', () => {
    const random = seededRandom(7)
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(random() * 7)
      const size = Array.from({ length: n }, () => 1 + Math.floor(random() * 6))
      const work = Array.from({ length: n }, () => Math.floor(random() * 10))
      // A part's size also counts its first item's input again (as a stage holds its inputs): not monotone.
      const bytes = (from: number, to: number) => size.slice(from, to).reduce((a, b) => a + b, 0) + size[from]! % 3
      const weight = (from: number, to: number) => work.slice(from, to).reduce((a, b) => a + b, 0)
      const limit = 3 + Math.floor(random() * 10)
      const fits = (from: number, to: number) => bytes(from, to) <= limit
      const valid = [...splits(n)].filter((parts) => parts.every(([a, b]) => fits(a!, b!)))
      const got = partition(n, fits, weight)
      if (valid.length === 0) {
        expect(got).toBeNull()
        continue
      }
      const fewest = Math.min(...valid.map((p) => p.length))
      const bestWorst = Math.min(...valid.filter((p) => p.length === fewest).map((p) => Math.max(...p.map(([a, b]) => weight(a!, b!)))))
      expect(got, `trial ${trial}`).not.toBeNull()
      expect(got!.length).toBe(fewest)
      expect(got!.flat()).toEqual(got!.flatMap(([a, b]) => [a, b]))
      expect(got![0]![0]).toBe(0)
      expect(got!.at(-1)![1]).toBe(n)
      for (let i = 1; i < got!.length; i++) expect(got![i]![0]).toBe(got![i - 1]![1])
      for (const [a, b] of got!) expect(fits(a!, b!)).toBe(true)
      expect(Math.max(...got!.map(([a, b]) => weight(a!, b!)))).toBe(bestWorst)
    }
  })
})

describe('planStages', () => {
  const model = transformer(4, 128)

  it('keeps a model that fits in one stage, costed like the job form\'s memory per tab', () => {
    const plan = planStages(model, { microBatch: 16, inFlight: 1, budgetBytes: PHONE_TAB_BYTES })
    expect(plan.stages).toHaveLength(1)
    const [stage] = plan.stages
    expect(stage).toMatchObject({ from: 0, to: model.layers.length, parameters: parameterCount(model) })
    // The same parameters and forward values the form counts, without its loss (that is the last stage's head).
    const form = modelCost(model, 16).bytesPerTab
    expect(stage!.bytes / form).toBeGreaterThan(0.8)
    expect(stage!.bytes / form).toBeLessThan(1.2)
  })

  it('splits into the fewest stages under a budget, every layer in exactly one, each stage within it', () => {
    const whole = planStages(model, { microBatch: 16, inFlight: 4, budgetBytes: 1e12 }).stages[0]!.bytes
    for (const share of [0.7, 0.45, 0.3]) {
      const budgetBytes = whole * share
      const plan = planStages(model, { microBatch: 16, inFlight: 4, budgetBytes })
      expect(plan.stages.length, `${share}`).toBeGreaterThanOrEqual(Math.ceil(1 / share))
      expect(plan.stages[0]!.from).toBe(0)
      expect(plan.stages.at(-1)!.to).toBe(model.layers.length)
      for (const [i, s] of plan.stages.entries()) {
        expect(s.index).toBe(i)
        expect(s.bytes).toBeLessThanOrEqual(budgetBytes)
        if (i > 0) expect(s.from).toBe(plan.stages[i - 1]!.to)
      }
      expect(plan.stages.reduce((n, s) => n + s.parameters, 0)).toBe(parameterCount(model))
      // One stage fewer never fits: the plan is the fewest.
      expect(() => planStages(model, { microBatch: 16, inFlight: 4, budgetBytes, cuts: plan.stages.slice(2).map((s) => s.from) })).toThrow()
    }
  })

  it('trains the largest spec the job form allows on phones, one block per stage', () => {
    const big = transformer(24, 1024, 16)
    expect(planStages(big, { microBatch: 1, inFlight: 1, budgetBytes: 1e13 }).stages[0]!.bytes).toBeGreaterThan(10 * PHONE_TAB_BYTES)
    const plan = planStages(big, { microBatch: 1, inFlight: 2, budgetBytes: PHONE_TAB_BYTES })
    expect(plan.stages.length).toBeGreaterThanOrEqual(24)
    for (const s of plan.stages) expect(s.bytes).toBeLessThanOrEqual(PHONE_TAB_BYTES)
  })

  it('names the layer that cannot fit any tab of the budget', () => {
    const costs = layerCosts(model)
    const block = costs.findIndex((c) => c.kind === 'transformer-block')
    expect(block).toBeGreaterThan(0)
    expect(() => planStages(model, { microBatch: 16, inFlight: 1, budgetBytes: 2e6 })).toThrow(expect.objectContaining({ code: 'STAGE_TOO_BIG', message: expect.stringMatching(/^layer \d+ \(transformer-block\) alone needs about [\d.]+ MiB to train 16 samples at a time, over the 1\.9 MiB budget/) }))
  })

  it('takes the owner\'s cuts, and refuses cuts that are not rising layer numbers or a stage over the budget', () => {
    const plan = planStages(model, { microBatch: 8, inFlight: 2, budgetBytes: PHONE_TAB_BYTES, cuts: [2, 4] })
    expect(plan.stages.map((s) => [s.from, s.to])).toEqual([[0, 2], [2, 4], [4, model.layers.length]])
    for (const cuts of [[0], [2, 2], [3, 2], [model.layers.length], [1.5]]) {
      expect(() => planStages(model, { microBatch: 8, inFlight: 2, budgetBytes: PHONE_TAB_BYTES, cuts }), JSON.stringify(cuts)).toThrow(expect.objectContaining({ code: 'BAD_STAGE_PLAN' }))
    }
    expect(() => planStages(model, { microBatch: 8, inFlight: 2, budgetBytes: 4e6, cuts: [1] })).toThrow(expect.objectContaining({ code: 'STAGE_TOO_BIG', message: expect.stringMatching(/^stage 2 \(layers 1–\d+\)/) }))
    for (const bad of [{ microBatch: 0 }, { inFlight: 0.5 }, { budgetBytes: -1 }]) {
      expect(() => planStages(model, { microBatch: 8, inFlight: 2, budgetBytes: PHONE_TAB_BYTES, ...bad })).toThrow(expect.objectContaining({ code: 'BAD_STAGE_PLAN' }))
    }
  })

  it('balances the stages\' work: the slowest stage is no slower than any other split with as many stages', () => {
    const plan = planStages(model, { microBatch: 16, inFlight: 2, budgetBytes: 1e12, cuts: [3] })
    const costs = layerCosts(model)
    expect(costs.map((c) => c.kind)).toEqual(model.layers.map((l) => l.kind))
    const budgetBytes = Math.max(...plan.stages.map((s) => s.bytes)) * 1.2
    const auto = planStages(model, { microBatch: 16, inFlight: 2, budgetBytes })
    expect(auto.stages).toHaveLength(2)
    {
      const slowest = Math.max(...auto.stages.map((s) => s.flopsPerMicroBatch))
      for (let cut = 1; cut < model.layers.length; cut++) {
        let other
        try {
          other = planStages(model, { microBatch: 16, inFlight: 2, budgetBytes, cuts: [cut] })
        } catch {
          continue
        }
        expect(slowest).toBeLessThanOrEqual(Math.max(...other.stages.map((s) => s.flopsPerMicroBatch)))
      }
    }
  })
})
