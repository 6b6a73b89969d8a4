// Closing a round on a hand-built round: which units are dropped, which deltas are aggregated (never a
// probe's), the outer step computed by hand, and every figure of the round's report.
import { describe, expect, it } from 'vitest'
import { closeRound, summariseAudits } from './round-close.ts'
import type { HolderState, RoundState, UnitState } from './coordinator-state.ts'
import type { QuantizedDelta } from './quantize.ts'
import type { VectorStore } from './stores.ts'
import { testJob } from './testing/job-fixture.ts'
import type { UnitResult } from './unit.ts'
import { verdict } from './verdicts.ts'

/** A two-value delta with block size 1, so each value is exactly its scale × ±1. */
const exact = (x: number, y: number): QuantizedDelta => ({ length: 2, blockSize: 1, scales: Float32Array.of(Math.abs(x), Math.abs(y)), values: Int8Array.of(Math.sign(x), Math.sign(y)) })
const deltas = new Map([['d0', exact(1, 2)], ['d1', exact(3, -2)], ['probe', exact(100, 100)]])
const vectors: VectorStore = {
  putParams: async () => 'unused',
  getParams: async () => new Float32Array(2),
  getDelta: async (cid) => deltas.get(cid)!,
  putDiff: async () => 'unused',
}

const result = (deltaCid: string, lossBefore: number, lossAfter: number, deltaBytes: number) => ({ deltaCid, lossBefore, lossAfter, deltaBytes }) as UnitResult
const holder = (peer: string, status: HolderState['status'], patch: Partial<HolderState> = {}): HolderState => ({ peer, assignedAtMs: 0, status, stats: { norm: 1, distance: 1, sketch: [] }, ...patch })
const unit = (id: string, holders: HolderState[], patch: Partial<UnitState> = {}): UnitState => ({ id, index: 0, shards: [0], seed: 1, holders, outcome: 'open', ...patch })
const passed = { reason: 'probation' as const, outcome: 'passed' as const, worstSegmentError: 0, segments: 1 }

function round(): RoundState {
  return {
    round: 6, version: 5, paramsCid: 'p', startedAtMs: 900, deadlineMs: 0, secretCommitment: '',
    units: [
      unit('6.0', [holder('a', 'accepted', { result: result('d0', 2, 1, 100) }), holder('b', 'assigned')]),
      unit('6.1', [holder('c', 'rejected', { result: result('d0', 9, 9, 50), verdict: verdict('WRONG_SHAPE', { values: 1, expected: 2 }) })]),
      unit('6.2', []),
      unit('6.3', [holder('d', 'accepted', { result: result('d1', 4, 2, 10), audit: { ...passed, reason: 'draw' } })]),
    ],
    probes: [unit('6.p0', [holder('e', 'accepted', { result: result('probe', 1, 0.5, 5), audit: passed })], { probe: true, steps: 4 })],
  }
}

/** now() returns these in turn: the start, the close, and the end of aggregation. */
const clock = (...times: number[]) => () => times.shift()!

describe('closing a round', () => {
  it('aggregates the accepted deltas (not a probe\'s), takes the Nesterov step and reports every figure', async () => {
    const r = round()
    const params = Float32Array.of(10, 10)
    const momentum = Float32Array.of(1, 1)
    const out = await closeRound({ job: testJob({ aggregator: 'mean', outerLr: 0.5, outerMomentum: 0.5 }), round: r, params, momentum, centre: null, dim: 2, vectors, now: clock(1000, 1500, 1700) })
    // Mean of (1, 2) and (3, −2) is g = (2, 0); m ← 0.5·1 + g = (2.5, 0.5); θ ← 10 − 0.5·(g + 0.5·m) = (8.375, 9.875).
    expect([...out.centre]).toEqual([2, 0])
    expect([...out.momentum]).toEqual([2.5, 0.5])
    expect([...out.params]).toEqual([8.375, 9.875])
    // The caller's vectors are not changed in place.
    expect([...params, ...momentum]).toEqual([10, 10, 1, 1])
    expect(out.report).toEqual({
      round: 6, version: 6, startedAtMs: 900, closedAtMs: 1500, accepted: 2, probes: 1, rejected: 1, dropped: 2,
      audits: { run: 2, passed: 2, failed: 0, incomplete: 0, byReason: { every: 0, probation: 1, draw: 1, suspicious: 0 }, bySuspicion: {} },
      rejections: [{ peer: 'c', unitId: '6.1', code: 'WRONG_SHAPE', params: { values: 1, expected: 2 } }],
      bytesIn: 165, meanLossBefore: 3, meanLossAfter: 1.5, aggregationMs: 700,
    })
  })

  it('drops units without an accepted result and frees the holds still assigned', async () => {
    const r = round()
    await closeRound({ job: testJob({ aggregator: 'mean' }), round: r, params: new Float32Array(2), momentum: new Float32Array(2), centre: null, dim: 2, vectors, now: clock(0, 0, 0) })
    expect(r.units.map((u) => u.outcome)).toEqual(['open', 'dropped', 'dropped', 'open'])
    expect(r.units[0]!.holders.map((h) => h.status)).toEqual(['accepted', 'released'])
    expect(r.probes![0]!.outcome).toBe('open')
  })

  it('leaves the model where it was when nothing was accepted, keeping the last centre (or zero)', async () => {
    const empty = (): RoundState => ({ ...round(), units: [unit('6.0', [holder('b', 'assigned')])], probes: [] })
    const centre = Float32Array.of(0.5, -0.5)
    const kept = await closeRound({ job: testJob({ aggregator: 'mean' }), round: empty(), params: Float32Array.of(1, 2), momentum: Float32Array.of(3, 4), centre, dim: 2, vectors, now: clock(0, 0, 0) })
    expect([...kept.params, ...kept.momentum]).toEqual([1, 2, 3, 4])
    expect(kept.centre).toBe(centre)
    expect(kept.report).toMatchObject({ version: 5, accepted: 0, probes: 0, rejected: 0, dropped: 1, bytesIn: 0, rejections: [] })
    expect(kept.report.meanLossBefore).toBeNaN()
    expect(kept.report.meanLossAfter).toBeNaN()
    const none = await closeRound({ job: testJob({ aggregator: 'mean' }), round: empty(), params: Float32Array.of(1, 2), momentum: Float32Array.of(3, 4), centre: null, dim: 2, vectors, now: clock(0, 0, 0) })
    expect([...none.centre]).toEqual([0, 0])
  })

  it('clips around the last centre with the job\'s rule, by the distances recorded on arrival', async () => {
    const job = testJob({ aggregator: 'centred-clip', outerLr: 1, outerMomentum: 0 })
    const close = (r: RoundState) => closeRound({ job, round: r, params: new Float32Array(2), momentum: new Float32Array(2), centre: new Float32Array(2), dim: 2, vectors, now: clock(0, 0, 0) })
    // Equal distances clip nothing: the plain mean.
    const equal = await close(round())
    expect([...equal.centre]).toEqual([2, 0])
    expect([...equal.params]).toEqual([-2, 0])
    // Distances 1 and 3: τ = 2, so (3, −2) is weighted 2/3: ((1, 2) + (2, −4/3)) / 2 = (1.5, 1/3).
    const r = round()
    r.units[3]!.holders[0]!.stats = { norm: 1, distance: 3, sketch: [] }
    const clipped = await close(r)
    expect(clipped.centre[0]).toBeCloseTo(1.5, 6)
    expect(clipped.centre[1]).toBeCloseTo(1 / 3, 6)
  })
})

describe('audit summaries', () => {
  it('counts failed and withheld audits as failed and the referee\'s own errors as incomplete', () => {
    const audited = (outcome: 'passed' | 'failed' | 'unavailable' | 'error'): HolderState => holder('p', 'accepted', { audit: { ...passed, outcome } })
    // 1 failed, 2 withheld, 3 errors: counts that differ whichever way an outcome were misfiled.
    const summary = summariseAudits([audited('failed'), audited('unavailable'), audited('unavailable'), audited('error'), audited('error'), audited('error'), audited('passed')])
    expect(summary).toMatchObject({ run: 7, passed: 1, failed: 3, incomplete: 3 })
  })
})
