// What a volunteer's device does with a unit, against a scripted engine: one load, one training call per
// segment starting at the right step with the unit's own sample order, a commit after each segment, and a
// result whose every number is worked out by hand from the script.
import { describe, expect, it } from 'vitest'
import { runUnit, unitBatches, type InnerBatch, type InnerEngine } from './unit-runner.ts'
import { quantizeInt8 } from './quantize.ts'
import { trajectoryHash, unitSampleOrder, type UnitAssignment } from './unit.ts'
import type { ParamLayout } from './vector.ts'

const layout: ParamLayout = { names: ['w'], offsets: [0], sizes: [2], total: 2 }
// 20 steps: two segments of 10 (checkpoints after steps 10 and 20).
const unit: UnitAssignment = { unitId: '3.1', jobId: 'job', round: 3, version: 2, paramsCid: 'p', shards: [], seed: 77, innerSteps: 20, batchSize: 2, lr: 0.01 }
const makeBatch = (indices: Uint32Array): InnerBatch => ({ x: Float32Array.from(indices), y: new Float32Array(0) })

/** Each step moves w by (−0.25, −0.5); step k's loss is 10 − k/10; each training call names its own backend. */
class ScriptedEngine implements InnerEngine {
  params = new Float32Array(2)
  loads = 0
  calls: Array<{ batches: number[][]; lr: number; firstStep: number }> = []

  async load(params: Map<string, Float32Array>): Promise<void> {
    this.loads++
    this.params = Float32Array.from(params.get('w')!)
  }

  async train(batches: InnerBatch[], lr: number, firstStep: number): Promise<{ losses: number[]; backend: string }> {
    this.calls.push({ batches: batches.map((b) => [...b.x]), lr, firstStep })
    const losses = batches.map((_, k) => {
      this.params[0]! -= 0.25
      this.params[1]! -= 0.5
      return 10 - (firstStep + k) / 10
    })
    return { losses, backend: `engine-${this.calls.length}` }
  }

  async read(): Promise<Map<string, Float32Array>> {
    return new Map([['w', Float32Array.from(this.params)]])
  }
}

describe('running a unit', () => {
  it('trains each segment from its first step on the unit\'s sample order, commits after each, and reports the run', async () => {
    const engine = new ScriptedEngine()
    const commits: Array<[number[], number]> = []
    const clock = [100, 350]
    const output = await runUnit({
      unit, start: Float32Array.of(1, 2), layout, totalSamples: 5, makeBatch, engine, flopsPerStep: 7,
      commit: async (params, step) => (commits.push([[...params], step]), `cid-${step}`),
      now: () => clock.shift()!,
    })
    const order = [...unitSampleOrder(5, 20, 2, 77)]
    const batchesOf = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => order.slice((from - 1 + k) * 2, (from + k) * 2))
    expect(engine.loads).toBe(1)
    expect(engine.calls).toEqual([{ batches: batchesOf(1, 10), lr: 0.01, firstStep: 1 }, { batches: batchesOf(11, 20), lr: 0.01, firstStep: 11 }])
    expect(commits).toEqual([[[-1.5, -3], 10], [[-4, -8], 20]])
    const losses = Array.from({ length: 20 }, (_, k) => 10 - (k + 1) / 10)
    expect(output.result).toEqual({
      unitId: '3.1', jobId: 'job', round: 3, version: 2, deltaBytes: 12 + 4 + 2, lossBefore: 9.9, lossAfter: 8, samples: 40, flops: 140,
      trajectoryHash: await trajectoryHash(losses), checkpoints: ['cid-10', 'cid-20'], segmentLosses: [9.9, 8.9], backend: 'engine-2', elapsedMs: 250,
    })
    // θ_start − θ_end = (1 − (−4), 2 − (−8)).
    expect(output.delta).toEqual(quantizeInt8(Float32Array.of(5, 10)))
  })

  it('refuses parameters that do not fit the model before loading anything', async () => {
    const engine = new ScriptedEngine()
    await expect(runUnit({ unit, start: new Float32Array(3), layout, totalSamples: 5, makeBatch, engine, flopsPerStep: 1, commit: async () => 'c' })).rejects.toMatchObject({
      code: 'SHAPE_MISMATCH', message: 'the assigned parameters have 3 values, the model has 2',
    })
    expect(engine.loads).toBe(0)
  })
})

describe('a unit\'s batches', () => {
  it('cuts steps from..to (1-based, inclusive) out of the sample order, all steps by default', () => {
    const order = [...unitSampleOrder(5, 20, 2, 77)]
    expect(unitBatches(unit, 5, makeBatch, 3, 4).map((b) => [...b.x])).toEqual([order.slice(4, 6), order.slice(6, 8)])
    expect(unitBatches(unit, 5, makeBatch).map((b) => [...b.x])).toEqual(Array.from({ length: 20 }, (_, k) => order.slice(2 * k, 2 * k + 2)))
    expect(unitBatches(unit, 5, makeBatch, 20, 20).map((b) => [...b.x])).toEqual([order.slice(38, 40)])
  })

  it('gives each step a salt fixed by the unit\'s seed and the step, the same in a replay of any steps', () => {
    const salts = (u: UnitAssignment, from?: number, to?: number) => unitBatches(u, 5, (indices, salt) => ({ x: Float32Array.of(salt), y: new Float32Array(0) }), from, to).map((b) => b.x[0]!)
    const all = salts(unit)
    expect(new Set(all).size).toBe(all.length)
    expect(salts(unit, 7, 9)).toEqual(all.slice(6, 9))
    expect(salts({ ...unit, seed: unit.seed + 1 })).not.toEqual(all)
  })
})
