// The referee's replay and probe, watched through a recording engine: which moments each segment keeps,
// which step numbers it trains from, that it accounts for its own time; and segmentError by hand.
import { describe, expect, it } from 'vitest'
import { LAYOUT, QuadraticEngine, quadraticData } from './testing/coordinator-harness.ts'
import { Referee, segmentError } from './referee.ts'
import type { InnerBatch, InnerEngine } from './unit-runner.ts'
import type { UnitAssignment } from './unit.ts'

const unit: UnitAssignment = { unitId: '0.0', jobId: 'j', round: 0, version: 0, paramsCid: 'p', shards: [{ cid: 'shard-0', samples: 64, owner: 'o' }], seed: 5, innerSteps: 48, batchSize: 8, lr: 0.05 }

/** A QuadraticEngine that records how it is driven, and takes `delayMs` per call to train. */
class RecordingEngine implements InnerEngine {
  readonly loads: Array<boolean | undefined> = []
  readonly trains: Array<{ batches: number; lr: number; firstStep: number }> = []
  private readonly inner = new QuadraticEngine()
  private readonly delayMs: number

  constructor(delayMs = 0) {
    this.delayMs = delayMs
  }

  async load(params: Map<string, Float32Array>, options?: { keepState?: boolean }): Promise<void> {
    this.loads.push(options?.keepState)
    await this.inner.load(params, options)
  }

  async train(batches: InnerBatch[], lr: number, firstStep: number): Promise<{ losses: number[]; backend: string }> {
    this.trains.push({ batches: batches.length, lr, firstStep })
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs))
    return this.inner.train(batches, lr)
  }

  read(): Promise<Map<string, Float32Array>> {
    return this.inner.read()
  }
}

const zeros = () => new Float32Array(LAYOUT.total)

describe('the referee', () => {
  it('replays each segment from its start with fresh moments only for the first, counting steps from 1, 17 and 33', async () => {
    const engine = new RecordingEngine()
    const referee = new Referee({ engine, layout: LAYOUT, data: async (u) => quadraticData(u) })
    const out = await referee.replay(unit, zeros(), [zeros(), zeros(), zeros()], [1, 2, 3])
    expect(engine.loads).toEqual([false, true, true])
    expect(engine.trains).toEqual([{ batches: 16, lr: 0.05, firstStep: 1 }, { batches: 16, lr: 0.05, firstStep: 17 }, { batches: 16, lr: 0.05, firstStep: 33 }])
    expect(out.map((s) => [s.segment, s.reportedLoss])).toEqual([[0, 1], [1, 2], [2, 3]])
  })

  it('probes at learning rate 0, each batch as the step it is (dropout masks follow the step\'s number)', async () => {
    const engine = new RecordingEngine()
    const referee = new Referee({ engine, layout: LAYOUT, data: async (u) => quadraticData(u) })
    expect(await referee.probe(unit, zeros(), [1, 48])).toHaveLength(2)
    expect(engine.trains).toEqual([{ batches: 1, lr: 0, firstStep: 1 }, { batches: 1, lr: 0, firstStep: 48 }])
  })

  it('adds the time its engine spends to busyMs, and no more than the wall-clock time taken', async () => {
    const referee = new Referee({ engine: new RecordingEngine(20), layout: LAYOUT, data: async (u) => quadraticData(u) })
    expect(referee.busyMs).toBe(0)
    const started = performance.now()
    await referee.probe(unit, zeros(), [1])
    await referee.probe(unit, zeros(), [2])
    const elapsed = performance.now() - started
    expect(referee.busyMs).toBeGreaterThanOrEqual(38)
    expect(referee.busyMs).toBeLessThanOrEqual(elapsed + 1)
  })
})

describe('segment error', () => {
  it('is ‖reached − claimed‖ / ‖claimed − from‖, measured from where the segment started', () => {
    // Moved from (1, 1) to (3, 1): length 2; the referee got 0.2 further: 0.1.
    expect(segmentError(Float32Array.of(1, 1), Float32Array.of(3.2, 1), Float32Array.of(3, 1))).toBeCloseTo(0.1, 6)
    // 3-4-5: error 5 over a length of 10.
    expect(segmentError(Float32Array.of(0, 0), Float32Array.of(9, 12), Float32Array.of(6, 8))).toBeCloseTo(0.5, 12)
  })

  it('is infinite whenever either sum is not finite, even if the other is', () => {
    expect(segmentError(Float32Array.of(Infinity), Float32Array.of(1), Float32Array.of(1))).toBe(Infinity)
    expect(segmentError(Float32Array.of(NaN), Float32Array.of(1), Float32Array.of(1))).toBe(Infinity)
    expect(segmentError(Float32Array.of(0), Float32Array.of(NaN), Float32Array.of(1))).toBe(Infinity)
  })
})
