// verifyResult end to end on the real referee and the harness's deterministic engine: which results get the
// cheap checks and which the referee, what each check catches at its threshold, and who is to blame when
// evidence cannot be fetched or the referee itself fails.
import { describe, expect, it } from 'vitest'
import { DIM, LAYOUT, QuadraticEngine, quadraticData } from './testing/coordinator-harness.ts'
import { dequantize, quantizeInt8, type QuantizedDelta } from './quantize.ts'
import { Referee, type SegmentReplay } from './referee.ts'
import { runUnit, type UnitOutput } from './unit-runner.ts'
import type { UnitAssignment, UnitResult } from './unit.ts'
import { DEFAULT_THRESHOLDS, measureLosses, verifyResult, VolunteerGone, type Evidence, type VerificationInput } from './verification.ts'
import { verdict } from './verdicts.ts'

/** The loss checks' suspicion alone. */
const lossChecks = async (...args: Parameters<typeof measureLosses>) => (await measureLosses(...args)).suspicion

const unit: UnitAssignment = { unitId: '0.0', jobId: 'j', round: 0, version: 0, paramsCid: 'p', shards: [{ cid: 'shard-0', samples: 64, owner: 'o' }], seed: 5, innerSteps: 48, batchSize: 8, lr: 0.05 }
const start = new Float32Array(DIM)
const referee = () => new Referee({ engine: new QuadraticEngine(), layout: LAYOUT, data: async (u) => quadraticData(u) })

/** An honest run: its checkpoints kept by CID, served back as the host would. */
async function honest(u = unit): Promise<{ output: UnitOutput; result: UnitResult; store: Map<string, Float32Array> }> {
  const store = new Map<string, Float32Array>()
  const data = quadraticData(u)
  const output = await runUnit({ unit: u, start, layout: LAYOUT, totalSamples: data.count, makeBatch: data.makeBatch, engine: new QuadraticEngine(), flopsPerStep: 1, commit: async (p, step) => (store.set(`cp-${step}`, Float32Array.from(p)), `cp-${step}`) })
  return { output, result: { ...output.result, deltaCid: 'delta' }, store }
}

const serve = (store: Map<string, Float32Array>, fail?: (cid: string) => Error | null): Evidence => ({
  checkpoint: async (cid) => {
    const error = fail?.(cid)
    if (error) throw error
    return store.get(cid)!
  },
  checkpointPieces: async (cid, pick) => {
    const error = fail?.(cid)
    if (error) throw error
    const values = store.get(cid)!
    return { valuesPerPiece: 64, pieces: new Map(pick(DIM / 64).map((i) => [i, values.subarray(i * 64, (i + 1) * 64)])) }
  },
})

function input(run: Awaited<ReturnType<typeof honest>>, patch: Partial<VerificationInput> = {}): VerificationInput {
  return { unit, result: run.result, delta: run.output.delta, start, auditReason: null, suspicion: null, evidence: serve(run.store), spotPick: () => [0, 3, 7], ...patch }
}

const scaled = (q: QuantizedDelta, factor: number) => ({ ...q, scales: q.scales.map((s) => s * factor) })

describe('loss checks', () => {
  it('pass honest work', async () => {
    const run = await honest()
    expect(await lossChecks(referee(), { unit, result: run.result, delta: run.output.delta, start })).toBeNull()
  })

  it('flag a first loss that is not the assigned start\'s, past the tolerance only', async () => {
    const run = await honest()
    const r = referee()
    const at = (lossBefore: number) => lossChecks(r, { unit, result: { ...run.result, lossBefore }, delta: run.output.delta, start })
    const actual = run.result.lossBefore
    // The tolerance is relative with a floor of 1: 1e-3 of max(1, loss).
    const slack = DEFAULT_THRESHOLDS.lossTolerance * Math.max(1, actual)
    expect(await at(actual + slack * 0.99)).toBeNull()
    expect(await at(actual + slack * 1.5)).toMatchObject({ code: 'LOSS_BEFORE_MISMATCH', params: { actual: expect.any(Number), reported: expect.any(Number) } })
    expect(await at(actual - slack * 1.5)).toMatchObject({ code: 'LOSS_BEFORE_MISMATCH' })
  })

  it('flag a delta that does not lower the last batch\'s loss by a tenth: zero, reversed, or too small', async () => {
    const run = await honest()
    const r = referee()
    const check = (delta: QuantizedDelta) => lossChecks(r, { unit, result: run.result, delta, start })
    expect(await check(quantizeInt8(new Float32Array(DIM)))).toMatchObject({ code: 'NO_PROGRESS', params: { before: expect.any(Number), after: expect.any(Number) } })
    expect(await check(scaled(run.output.delta, -1))).toMatchObject({ code: 'NO_PROGRESS' })
    expect(await check(scaled(run.output.delta, 0.01))).toMatchObject({ code: 'NO_PROGRESS' })
    const nan = { ...run.output.delta, scales: Float32Array.from(run.output.delta.scales, (s, i) => (i === 0 ? NaN : s)) }
    expect(await check(nan)).toMatchObject({ code: 'NO_PROGRESS' })
  })

  it('flag a reported final loss far below what the delta reaches, within 25 % + 0.05 only', async () => {
    const run = await honest()
    const r = referee()
    const step = dequantize(run.output.delta)
    const actual = (await r.probe(unit, Float32Array.from(start, (p, i) => p - step[i]!), [48]))[0]!
    const at = (lossAfter: number) => lossChecks(r, { unit, result: { ...run.result, lossAfter }, delta: run.output.delta, start })
    const floor = (actual - DEFAULT_THRESHOLDS.lossAfterSlack) / DEFAULT_THRESHOLDS.maxLossAfterRatio
    expect(await at(floor + 1e-4)).toBeNull()
    expect(await at(floor - 1e-4)).toMatchObject({ code: 'LOSS_AFTER_MISMATCH', params: { reported: expect.any(Number), actual: expect.any(Number) } })
  })

  it('probe a one-step unit at its only batch', async () => {
    const one = { ...unit, innerSteps: 1, lr: 0.3 }
    const run = await honest(one)
    expect(await lossChecks(referee(), { unit: one, result: run.result, delta: run.output.delta, start })).toBeNull()
  })
})

describe('verifying a result', () => {
  it('accepts honest unaudited work with no audit record, and audits it when the draw says so', async () => {
    const run = await honest()
    // No replay vouched for its gain: it does not join the gain screen's yardstick.
    expect(await verifyResult(referee(), input(run))).toEqual({ verdict: verdict('ACCEPTED'), audit: null, peerAtFault: false })
    const audited = await verifyResult(referee(), input(run, { auditReason: 'draw' }))
    expect(audited).toMatchObject({ verdict: { code: 'ACCEPTED' }, audit: { reason: 'draw', outcome: 'passed', segments: 3 }, peerAtFault: false })
    expect(audited.audit!.worstSegmentError).toBeLessThan(1e-3)
    expect(audited.audit).not.toHaveProperty('suspicion')
    // A drawn unit's gain is measured too, and the passed replay vouches for it.
    expect(audited.lastBatchGain).toBeGreaterThan(DEFAULT_THRESHOLDS.minLastBatchGain)
  })

  it('sends a result the spot check doubts to the referee, which fails it and blames the peer', async () => {
    const run = await honest()
    const biased = quantizeInt8(Float32Array.from(dequantize(run.output.delta), (x) => x + 0.01))
    const out = await verifyResult(referee(), input(run, { delta: biased }))
    expect(out).toMatchObject({ verdict: { code: 'AUDIT_FAILED', params: { delta: expect.any(Number) } }, audit: { reason: 'suspicious', suspicion: { code: 'DELTA_MISMATCH' }, outcome: 'failed' }, peerAtFault: true })
  })

  it('sends a result the loss checks doubt to the referee, keeping the suspicion on record', async () => {
    const run = await honest()
    const out = await verifyResult(referee(), input(run, { result: { ...run.result, lossAfter: run.result.lossAfter - 1 } }))
    // The work itself is honest, so the replay passes: the suspicion alone never rejects.
    expect(out).toMatchObject({ verdict: { code: 'ACCEPTED' }, audit: { reason: 'suspicious', suspicion: { code: 'LOSS_AFTER_MISMATCH' }, outcome: 'passed' }, peerAtFault: false })
    // The gain the loss checks measured, vouched for by the replay, is reported; a failed replay's is not.
    expect(out.lastBatchGain).toBeGreaterThan(0)
    const biased = quantizeInt8(Float32Array.from(dequantize(run.output.delta), (x) => x * 1.5))
    const failed = await verifyResult(referee(), input(run, { delta: biased, spotPick: () => [] }))
    expect(failed).toMatchObject({ verdict: { code: 'AUDIT_FAILED' }, audit: { reason: 'suspicious' } })
    expect(failed).not.toHaveProperty('lastBatchGain')
  })

  it('goes straight to the referee with a suspicion from arrival, without cheap checks', async () => {
    const run = await honest()
    let pieces = 0
    const evidence = { ...serve(run.store), checkpointPieces: async () => ((pieces++, { valuesPerPiece: 64, pieces: new Map() })) }
    const out = await verifyResult(referee(), input(run, { suspicion: verdict('NORM_OUTLIER'), evidence }))
    expect(out.audit).toMatchObject({ reason: 'suspicious', suspicion: { code: 'NORM_OUTLIER' }, outcome: 'passed' })
    expect(pieces).toBe(0)
  })

  it('fails fabricated checkpoints segment by segment, and a delta that is not its own end point', async () => {
    const run = await honest()
    const store = new Map(run.store)
    store.set('cp-16', Float32Array.from(store.get('cp-16')!, (x) => x * 1.5))
    const out = await verifyResult(referee(), input(run, { auditReason: 'probation', evidence: serve(store) }))
    expect(out).toMatchObject({ verdict: { code: 'AUDIT_FAILED', params: { segment: 0 } }, audit: { reason: 'probation', outcome: 'failed', segments: 3 }, peerAtFault: true })
    expect(out.audit!.worstSegmentError).toBeGreaterThan(DEFAULT_THRESHOLDS.maxSegmentError)
    const wrongDelta = await verifyResult(referee(), input(run, { auditReason: 'every', delta: scaled(run.output.delta, 1.2) }))
    expect(wrongDelta).toMatchObject({ verdict: { code: 'AUDIT_FAILED', params: { delta: expect.any(Number) } }, peerAtFault: true })
  })

  it('fails reported segment losses that are not the ones the referee computes', async () => {
    const run = await honest()
    const losses = [...run.result.segmentLosses]
    // Off by twice the tolerance (which has a floor of 1e-3 for losses below 1).
    losses[2] = losses[2]! + 2e-3
    const out = await verifyResult(referee(), input(run, { auditReason: 'draw', result: { ...run.result, segmentLosses: losses } }))
    expect(out).toMatchObject({ verdict: { code: 'AUDIT_FAILED', params: { segment: 2, reportedLoss: expect.any(Number) } }, peerAtFault: true })
  })

  it('costs a connected volunteer that withholds its checkpoints, and nothing when it has gone', async () => {
    const run = await honest()
    const withheld = await verifyResult(referee(), input(run, { auditReason: 'draw', evidence: serve(run.store, () => new Error('no peer delivered block')) }))
    expect(withheld).toMatchObject({ verdict: { code: 'CHECKPOINT_UNAVAILABLE', params: { stage: 'audit', detail: 'no peer delivered block' } }, audit: { outcome: 'unavailable' }, peerAtFault: true })
    const gone = await verifyResult(referee(), input(run, { auditReason: 'draw', evidence: serve(run.store, () => new VolunteerGone('peer')) }))
    expect(gone).toMatchObject({ verdict: { code: 'UNVERIFIED', params: { stage: 'audit' } }, audit: { outcome: 'error' }, peerAtFault: false })
    const spotWithheld = await verifyResult(referee(), input(run, { evidence: serve(run.store, () => new Error('refused')) }))
    expect(spotWithheld).toMatchObject({ verdict: { code: 'CHECKPOINT_UNAVAILABLE', params: { stage: 'spot check' } }, audit: null, peerAtFault: true })
    const spotGone = await verifyResult(referee(), input(run, { evidence: serve(run.store, () => new VolunteerGone('peer')) }))
    expect(spotGone).toMatchObject({ verdict: { code: 'UNVERIFIED', params: { stage: 'spot check' } }, audit: null, peerAtFault: false })
  })

  it('blames nobody when the referee itself fails, in a probe or in a replay', async () => {
    const run = await honest()
    const broken = new Referee({ engine: new QuadraticEngine(), layout: LAYOUT, data: async () => Promise.reject(new Error('shard missing')) })
    expect(await verifyResult(broken, input(run))).toMatchObject({ verdict: { code: 'UNVERIFIED', params: { stage: 'probe', detail: 'shard missing' } }, audit: null, peerAtFault: false })
    expect(await verifyResult(broken, input(run, { auditReason: 'every' }))).toMatchObject({ verdict: { code: 'UNVERIFIED', params: { stage: 'replay' } }, audit: { reason: 'every', outcome: 'error' }, peerAtFault: false })
  })

  it('refuses a replay with the wrong number of checkpoints', async () => {
    const run = await honest()
    await expect(referee().replay(unit, start, [run.store.get('cp-16')!], run.result.segmentLosses)).rejects.toMatchObject({ code: 'WRONG_CHECKPOINTS', message: 'a unit of 48 steps has 3 checkpoints, got 1' })
  })
})

/**
 * A referee whose losses and replays are scripted, so each threshold can be hit exactly: `lossAt` gets the
 * parameters probed (the assigned start, or start − delta) and the 1-based step whose batch is used.
 */
class ScriptedReferee extends Referee {
  readonly probes: number[][] = []
  replays = 0
  private readonly lossAt: (atStart: boolean, step: number) => number
  private readonly segments: () => SegmentReplay[]

  constructor(lossAt: (atStart: boolean, step: number) => number, segments: () => SegmentReplay[] = () => []) {
    super({ engine: new QuadraticEngine(), layout: LAYOUT, data: async (u) => quadraticData(u) })
    this.lossAt = lossAt
    this.segments = segments
  }

  override async probe(_unit: UnitAssignment, params: Float32Array, steps: readonly number[]): Promise<number[]> {
    this.probes.push([...steps])
    return steps.map((step) => this.lossAt(params.every((x) => x === 0), step))
  }

  override async replay(): Promise<SegmentReplay[]> {
    this.replays++
    return this.segments()
  }
}

describe('loss checks at their thresholds (scripted referee)', () => {
  const zero = new Float32Array(8)
  const delta = quantizeInt8(new Float32Array(8).fill(0.01))
  const result = (lossBefore: number, lossAfter: number) => ({ lossBefore, lossAfter, checkpoints: ['end'] }) as unknown as UnitResult
  /** Start losses 1 on the first batch and 2 on the last; `after` on the last once the delta is applied. */
  const scripted = (after: number) => new ScriptedReferee((atStart, step) => (atStart ? (step === 1 ? 1 : 2) : after))
  const check = (referee: Referee, lossBefore = 1, lossAfter = 1.7) => lossChecks(referee, { unit, result: result(lossBefore, lossAfter), delta, start: zero })

  it('probes the start on the first and the last batch, then start − delta on the last batch', async () => {
    const referee = scripted(1.7)
    expect(await check(referee)).toBeNull()
    expect(referee.probes).toEqual([[1, 48], [48]])
    // A one-step unit's first batch is its last: probed once, not twice.
    const one = scripted(0.8)
    expect(await lossChecks(one, { unit: { ...unit, innerSteps: 1 }, result: result(1, 0.8), delta, start: zero })).toBeNull()
    expect(one.probes).toEqual([[1], [1]])
  })

  it('measures progress on the last batch, not the first (which here has the lower loss)', async () => {
    // 2 → 1.7 is a 15 % gain on the last batch; against the first batch's 1 it would look like a loss.
    expect(await check(scripted(1.7))).toBeNull()
  })

  it('needs a gain of a tenth on the last batch: exactly a tenth passes, a hair less is no progress', async () => {
    const boundary = 2 * (1 - DEFAULT_THRESHOLDS.minLastBatchGain)
    expect(boundary).toBe(1.8)
    expect(await check(scripted(1.8), 1, 1.8)).toBeNull()
    // The verdict names the screen in force: the coordinator's varies (gain-screen.ts).
    expect(await check(scripted(1.8 + 1e-9), 1, 1.8)).toEqual(verdict('NO_PROGRESS', { before: 2, after: 1.8, screen: 0.1 }))
    // A delta that blows the loss up to NaN is no progress, recorded as the JSON-safe 1e9.
    expect(await check(scripted(NaN))).toEqual(verdict('NO_PROGRESS', { before: 2, after: 1e9, screen: 0.1 }))
  })

  it('reports the gain it measured, also with a suspicion, and none when the first loss already disagreed', async () => {
    expect(await measureLosses(scripted(1.5), { unit, result: result(1, 1.5), delta, start: zero })).toEqual({ suspicion: null, gain: 0.25 })
    const none = await measureLosses(scripted(1.95), { unit, result: result(1, 1.95), delta, start: zero })
    expect(none.suspicion?.code).toBe('NO_PROGRESS')
    expect(none.gain).toBeCloseTo(0.025, 12)
    expect((await measureLosses(scripted(1.5), { unit, result: result(1.5, 1.5), delta, start: zero })).gain).toBeNaN()
    // The screen the coordinator passes in decides: 2.5 % passes a 2 % screen.
    expect((await measureLosses(scripted(1.95), { unit, result: result(1, 1.95), delta, start: zero }, { ...DEFAULT_THRESHOLDS, minLastBatchGain: 0.02 })).suspicion).toBeNull()
  })

  it('allows the reached loss 25 % + 0.05 above the reported one: exactly at it passes, just past it does not', async () => {
    const reported = 1.2
    const boundary = reported * DEFAULT_THRESHOLDS.maxLossAfterRatio + DEFAULT_THRESHOLDS.lossAfterSlack
    expect(boundary).toBeCloseTo(1.55, 12)
    expect(await check(scripted(boundary), 1, reported)).toBeNull()
    expect(await check(scripted(boundary + 1e-9), 1, reported)).toEqual(verdict('LOSS_AFTER_MISMATCH', { reported: 1.2, actual: 1.55 }))
  })

  it('names the reported and the actual first loss when they disagree', async () => {
    expect(await check(scripted(1.7), 1.01)).toEqual(verdict('LOSS_BEFORE_MISMATCH', { reported: 1.01, actual: 1 }))
    // Within the tolerance (1e-3 of max(1, …)) the first loss still agrees.
    expect(await check(scripted(1.7), 1.001)).toBeNull()
  })
})

describe('verifying a result (scripted referee)', () => {
  const zero = new Float32Array(8)
  const delta = quantizeInt8(Float32Array.from({ length: 8 }, (_, i) => 0.01 * (i + 1)))
  const end = Float32Array.from(zero, (p, i) => p - dequantize(delta)[i]!)
  const result = { lossBefore: 1, lossAfter: 1.7, checkpoints: ['cp-a', 'cp-b', 'end'], segmentLosses: [1, 1, 1] } as unknown as UnitResult
  const evidence = (fail?: () => Error): Evidence => ({
    checkpoint: async () => {
      if (fail) throw fail()
      return end
    },
    checkpointPieces: async (_cid, pick) => {
      if (fail) throw fail()
      return { valuesPerPiece: 8, pieces: new Map(pick(1).map((i) => [i, end])) }
    },
  })
  const segments = (...errors: number[]) => () => errors.map((relativeError, segment) => ({ segment, relativeError, loss: 1, reportedLoss: 1 }))
  const fine = (replay = segments(0.01, 0.02, 0.004)) => new ScriptedReferee((atStart, step) => (atStart ? (step === 1 ? 1 : 2) : 1.7), replay)
  const base = (patch: Partial<VerificationInput> = {}): VerificationInput => ({ unit, result, delta, start: zero, auditReason: null, suspicion: null, evidence: evidence(), spotPick: () => [0], ...patch })
  const long = 'e'.repeat(300)

  it('accepts work the cheap checks pass without replaying it', async () => {
    const referee = fine()
    expect(await verifyResult(referee, base())).toEqual({ verdict: verdict('ACCEPTED'), audit: null, peerAtFault: false })
    expect(referee.replays).toBe(0)
    expect(referee.probes).toHaveLength(2)
  })

  it('keeps the audit\'s own reason when an arrival suspicion comes with it, and records both', async () => {
    const referee = fine()
    const out = await verifyResult(referee, base({ auditReason: 'probation', suspicion: verdict('NORM_OUTLIER', { norm: 9, median: 1 }) }))
    expect(out).toEqual({ verdict: verdict('ACCEPTED'), audit: { reason: 'probation', suspicion: verdict('NORM_OUTLIER', { norm: 9, median: 1 }), outcome: 'passed', worstSegmentError: 0.02, segments: 3 }, peerAtFault: false })
    // A suspicion from arrival replaces the cheap checks: nothing was probed.
    expect(referee.probes).toEqual([])
  })

  it('measures a drawn unit\'s gain before replaying it, and reports it only when the replay passes', async () => {
    const referee = fine()
    const out = await verifyResult(referee, base({ auditReason: 'draw' }))
    expect(out).toMatchObject({ verdict: { code: 'ACCEPTED' }, audit: { reason: 'draw', outcome: 'passed' } })
    // 2 → 1.7 on the last batch.
    expect(out.lastBatchGain).toBeCloseTo(0.15, 12)
    expect(referee.probes).toEqual([[1, 48], [48]])
    expect(referee.replays).toBe(1)
    expect(await verifyResult(fine(segments(0.01, 0.5)), base({ auditReason: 'draw' }))).not.toHaveProperty('lastBatchGain')
    // A probe that fails costs the yardstick its gain, not the unit its replay.
    const broken = new ScriptedReferee(() => {
      throw new Error('engine lost')
    }, segments(0.01))
    const replayed = await verifyResult(broken, base({ auditReason: 'probation' }))
    expect(replayed).toMatchObject({ verdict: { code: 'ACCEPTED' }, audit: { reason: 'probation', outcome: 'passed' } })
    expect(replayed).not.toHaveProperty('lastBatchGain')
  })

  it('probes a doubted unit once: a first loss that disagreed leaves no gain, and is not probed again for one', async () => {
    const referee = fine()
    const out = await verifyResult(referee, base({ result: { ...result, lossBefore: 1.5 } }))
    expect(out).toMatchObject({ verdict: { code: 'ACCEPTED' }, audit: { reason: 'suspicious', suspicion: { code: 'LOSS_BEFORE_MISMATCH' }, outcome: 'passed' } })
    expect(out).not.toHaveProperty('lastBatchGain')
    expect(referee.probes).toEqual([[1, 48]])
  })

  it('records the worst segment of a failed replay, and -1 with no segments when nothing could be replayed', async () => {
    const failed = await verifyResult(fine(segments(0.01, 0.5, 0.2)), base({ auditReason: 'draw' }))
    expect(failed).toEqual({ verdict: verdict('AUDIT_FAILED', { segment: 1, error: 0.5, tolerance: DEFAULT_THRESHOLDS.maxSegmentError }), audit: { reason: 'draw', outcome: 'failed', worstSegmentError: 0.5, segments: 3 }, peerAtFault: true })
    const withheld = await verifyResult(fine(), base({ auditReason: 'draw', evidence: evidence(() => new Error('refused')) }))
    expect(withheld.audit).toEqual({ reason: 'draw', outcome: 'unavailable', worstSegmentError: -1, segments: 0 })
  })

  it('caps every failure\'s detail at 200 characters, the most a verdict parameter may carry on the wire', async () => {
    const throwing = new ScriptedReferee(() => {
      throw new Error(long)
    }, () => {
      throw new Error(long)
    })
    const detail = long.slice(0, 200)
    expect((await verifyResult(fine(), base({ evidence: evidence(() => new Error(long)) }))).verdict).toEqual(verdict('CHECKPOINT_UNAVAILABLE', { stage: 'spot check', detail }))
    expect((await verifyResult(throwing, base())).verdict).toEqual(verdict('UNVERIFIED', { stage: 'probe', detail }))
    expect((await verifyResult(fine(), base({ auditReason: 'every', evidence: evidence(() => new Error(long)) }))).verdict).toEqual(verdict('CHECKPOINT_UNAVAILABLE', { stage: 'audit', detail }))
    expect((await verifyResult(throwing, base({ auditReason: 'every' }))).verdict).toEqual(verdict('UNVERIFIED', { stage: 'replay', detail }))
    // A departed volunteer's error is cut the same way, however long its message grew.
    const gone = new VolunteerGone('peer')
    gone.message = long
    expect((await verifyResult(fine(), base({ auditReason: 'every', evidence: evidence(() => gone) })))).toEqual({ verdict: verdict('UNVERIFIED', { stage: 'audit', detail }), audit: { reason: 'every', outcome: 'error', worstSegmentError: -1, segments: 0 }, peerAtFault: false })
  })
})
