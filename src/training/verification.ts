// Deciding whether one committed result is real work. A result the audit draw picked (or that belongs to a
// peer on probation, or that a cheap check found suspicious) is re-executed segment by segment by the
// referee. Every other result gets the cheap checks: a few pieces of its committed end point, chosen after it
// arrived, must agree with its delta (a delta changed after training shows here); its first loss must be the
// loss of the assigned parameters on the unit's first batch (a stale or foreign start shows here); and
// applying its delta must lower the loss on the unit's last batch about as much as the volunteer says (a
// zero, replayed or made-up delta shows here). Cheap checks never reject on their own: they only send a
// result to the referee, whose verdict is the only one that costs a peer anything.
import { errorMessage, TesseraeError } from '../errors.ts'
import type { AuditReason } from './audit-draw.ts'
import { deltaMismatch } from './delta-consistency.ts'
import { dequantize, type QuantizedDelta } from './quantize.ts'
import type { Referee, SegmentReplay } from './referee.ts'
import type { UnitAssignment, UnitResult } from './unit.ts'
import { measured, verdict, type RejectionCode, type SuspicionCode, type Verdict } from './verdicts.ts'

export interface VerificationThresholds {
  /** A segment passes when the volunteer's end is within this fraction of the segment's length of the referee's. */
  maxSegmentError: number
  /** Losses computed on the same parameters and batch agree to this (relative, with a floor of 1). */
  lossTolerance: number
  /**
   * The delta must lower the loss on the unit's last batch by at least this fraction; the coordinator asks less
   * where its replayed units' gains are smaller (gain-screen.ts).
   */
  minLastBatchGain: number
  /** The loss the delta reaches on the last batch may exceed the reported final loss by this factor… */
  maxLossAfterRatio: number
  /** …plus this much. */
  lossAfterSlack: number
  /** Pieces of the committed end point compared with the delta for every result. */
  spotPieces: number
}

// Measured on Fashion-MNIST (README, "Verification"): honest deltas lower their last batch's loss by 40–60 %,
// segments of 16 steps replay within 1e-3 on one engine and within a few per cent across engines, while the
// attacks in the README land at 25 % and more.
export const DEFAULT_THRESHOLDS: VerificationThresholds = { maxSegmentError: 0.1, lossTolerance: 1e-3, minLastBatchGain: 0.1, maxLossAfterRatio: 1.25, lossAfterSlack: 0.05, spotPieces: 4 }

/**
 * Thrown by an Evidence fetch when the volunteer is no longer connected. A tab closed right after submitting
 * is not a cheat: its result cannot be checked, so it is not used, and nothing else is held against it.
 */
export class VolunteerGone extends TesseraeError {
  constructor(peer: string) {
    super('PEER_GONE', `${peer.slice(0, 16)}… disconnected before its evidence could be fetched`)
    this.name = 'VolunteerGone'
  }
}

/** How the host fetches what a volunteer committed to, from that volunteer. */
export interface Evidence {
  /** The whole parameter vector a checkpoint CID names. */
  checkpoint(cid: string): Promise<Float32Array>
  /** Some of its pieces: `pick` gets the number of pieces and names the ones to fetch. */
  checkpointPieces(cid: string, pick: (pieces: number) => number[]): Promise<{ valuesPerPiece: number; pieces: Map<number, Float32Array> }>
}

export interface AuditRecord {
  reason: AuditReason
  /** The cheap check that sent it to the referee, when that was the reason. */
  suspicion?: Verdict<SuspicionCode>
  outcome: 'passed' | 'failed' | 'unavailable' | 'error'
  /** Largest segment error seen (−1 when no segment was replayed). */
  worstSegmentError: number
  segments: number
}

export interface VerificationOutcome {
  verdict: Verdict<'ACCEPTED' | RejectionCode>
  audit: AuditRecord | null
  /** Whether the peer is to blame for a rejection (a referee failure is the coordinator's own). */
  peerAtFault: boolean
  /** The fraction the delta lowered its last batch's loss by, when measured and vouched for by a passed replay. */
  lastBatchGain?: number
}

export interface VerificationInput {
  unit: UnitAssignment
  result: UnitResult
  delta: QuantizedDelta
  /** The parameters the unit was assigned. */
  start: Float32Array
  /** Why it is audited whatever the cheap checks say (every unit, probation, the draw), or null. */
  auditReason: AuditReason | null
  /** A suspicion raised on arrival (norm or direction far from the verified deltas'), or null. */
  suspicion: Verdict<SuspicionCode> | null
  evidence: Evidence
  /** Which pieces of the end point to compare: drawn after the result was committed. */
  spotPick: (pieces: number) => number[]
}

const lossesAgree = (a: number, b: number, tolerance: number) => Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b))

/** Pieces of the committed end point against the delta: null when they agree. */
export async function spotCheck(input: Pick<VerificationInput, 'result' | 'delta' | 'start' | 'evidence' | 'spotPick'>): Promise<Verdict<'DELTA_MISMATCH'> | null> {
  const end = input.result.checkpoints.at(-1)!
  const { valuesPerPiece, pieces } = await input.evidence.checkpointPieces(end, input.spotPick)
  for (const [index, values] of pieces) {
    const from = index * valuesPerPiece
    const { worst, index: at } = deltaMismatch(input.start, values, input.delta, from, from + values.length)
    if (worst > 1) return verdict('DELTA_MISMATCH', { index: at, excess: measured(worst, 3) })
  }
  return null
}

/**
 * The loss checks (a null suspicion when nothing looks wrong, else the first), with the fraction the delta
 * lowered its last batch's loss by (NaN when the first check already failed): the coordinator keeps replayed,
 * passed units' gains as the yardstick for the next ones (gain-screen.ts).
 */
export async function measureLosses(referee: Referee, input: Pick<VerificationInput, 'unit' | 'result' | 'delta' | 'start'>, thresholds = DEFAULT_THRESHOLDS): Promise<{ suspicion: Verdict<SuspicionCode> | null; gain: number }> {
  const { unit, result, delta, start } = input
  const last = unit.innerSteps
  const startLosses = await referee.probe(unit, start, last === 1 ? [1] : [1, last])
  const firstLoss = startLosses[0]!
  const lastBefore = startLosses[startLosses.length - 1]!
  if (!lossesAgree(firstLoss, result.lossBefore, thresholds.lossTolerance)) return { suspicion: verdict('LOSS_BEFORE_MISMATCH', { reported: measured(result.lossBefore), actual: measured(firstLoss) }), gain: NaN }
  const step = dequantize(delta)
  const end = Float32Array.from(start, (p, i) => p - step[i]!)
  const lastAfter = (await referee.probe(unit, end, [last]))[0]!
  const gain = (lastBefore - lastAfter) / lastBefore
  if (!Number.isFinite(lastAfter) || lastAfter > lastBefore * (1 - thresholds.minLastBatchGain)) return { suspicion: verdict('NO_PROGRESS', { before: measured(lastBefore), after: measured(lastAfter), screen: measured(thresholds.minLastBatchGain) }), gain }
  if (lastAfter > result.lossAfter * thresholds.maxLossAfterRatio + thresholds.lossAfterSlack) return { suspicion: verdict('LOSS_AFTER_MISMATCH', { reported: measured(result.lossAfter), actual: measured(lastAfter) }), gain }
  return { suspicion: null, gain }
}

/** Judges a replay: every segment within tolerance, every reported segment loss matching, the delta the end point's. */
export function judgeReplay(segments: readonly SegmentReplay[], start: Float32Array, end: Float32Array, delta: QuantizedDelta, thresholds = DEFAULT_THRESHOLDS): Verdict<'ACCEPTED' | 'AUDIT_FAILED'> {
  for (const s of segments) {
    if (!(s.relativeError <= thresholds.maxSegmentError)) return verdict('AUDIT_FAILED', { segment: s.segment, error: measured(s.relativeError, 3), tolerance: thresholds.maxSegmentError })
    if (!lossesAgree(s.loss, s.reportedLoss, thresholds.lossTolerance)) return verdict('AUDIT_FAILED', { segment: s.segment, loss: measured(s.loss), reportedLoss: measured(s.reportedLoss) })
  }
  const { worst, index } = deltaMismatch(start, end, delta)
  if (worst > 1) return verdict('AUDIT_FAILED', { delta: index, excess: measured(worst, 3) })
  return verdict('ACCEPTED')
}

export async function verifyResult(referee: Referee, input: VerificationInput, thresholds = DEFAULT_THRESHOLDS): Promise<VerificationOutcome> {
  let reason = input.auditReason
  let suspicion = input.suspicion
  let gain = NaN
  let probed = false
  const unavailable = (stage: string, error: unknown, record: AuditRecord | null): VerificationOutcome =>
    error instanceof VolunteerGone
      ? { verdict: verdict('UNVERIFIED', { stage, detail: error.message.slice(0, 200) }), audit: record && { ...record, outcome: 'error' }, peerAtFault: false }
      : // Withholding what was committed while still connected must cost as much as failing the audit, or cheaters would withhold.
        { verdict: verdict('CHECKPOINT_UNAVAILABLE', { stage, detail: errorMessage(error).slice(0, 200) }), audit: record, peerAtFault: true }
  if (reason === null && suspicion === null) {
    try {
      suspicion = await spotCheck(input)
    } catch (error) {
      return unavailable('spot check', error, null)
    }
    try {
      if (suspicion === null) {
        const losses = await measureLosses(referee, input, thresholds)
        suspicion = losses.suspicion
        gain = losses.gain
        probed = true
      }
    } catch (error) {
      return { verdict: verdict('UNVERIFIED', { stage: 'probe', detail: errorMessage(error).slice(0, 200) }), audit: null, peerAtFault: false }
    }
  }
  if (reason === null && suspicion !== null) reason = 'suspicious'
  if (reason === null) return { verdict: verdict('ACCEPTED'), audit: null, peerAtFault: false }
  // A unit the loss checks did not probe (drawn, on probation, or doubted by the spot check) is replayed
  // whatever its gain: measuring it costs two probes, and a gain the replay then vouches for is one the gain
  // screen's yardstick may learn from (gain-screen.ts).
  if (!probed && input.suspicion === null) {
    try {
      gain = (await measureLosses(referee, input, thresholds)).gain
    } catch {
      // Only the yardstick misses it: the replay below decides.
    }
  }
  const record = (outcome: AuditRecord['outcome'], worst = -1, segments = 0): AuditRecord => ({ reason: reason!, ...(suspicion ? { suspicion } : {}), outcome, worstSegmentError: worst, segments })
  const checkpoints: Float32Array[] = []
  try {
    // One after another: each fetch's floor rate (p2p/transfer-watchdog.ts) then applies to the volunteer's
    // whole upload, not to a quarter of it shared with the other checkpoints.
    for (const cid of input.result.checkpoints) checkpoints.push(await input.evidence.checkpoint(cid))
  } catch (error) {
    return unavailable('audit', error, record('unavailable'))
  }
  let segments: SegmentReplay[]
  try {
    segments = await referee.replay(input.unit, input.start, checkpoints, input.result.segmentLosses)
  } catch (error) {
    return { verdict: verdict('UNVERIFIED', { stage: 'replay', detail: errorMessage(error).slice(0, 200) }), audit: record('error'), peerAtFault: false }
  }
  const judged = judgeReplay(segments, input.start, checkpoints.at(-1)!, input.delta, thresholds)
  const worst = segments.reduce((m, s) => Math.max(m, s.relativeError), 0)
  // Only a gain the replay vouched for: one the cheap checks alone let through may be a cheat's, built to pass
  // the screen and, were it kept, to lower it for the next.
  const vouched = judged.code === 'ACCEPTED' && Number.isFinite(gain) ? { lastBatchGain: gain } : {}
  return { verdict: judged, audit: record(judged.code === 'ACCEPTED' ? 'passed' : 'failed', measured(worst, 3), segments.length), peerAtFault: judged.code !== 'ACCEPTED', ...vouched }
}
