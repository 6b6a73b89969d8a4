// What a result gets on arrival, before any engine runs: its commitment (the hash of what the volunteer
// signed), the audit decision drawn from it and the round's secret, the pieces a spot check will compare, and
// a screening of its size and direction against deltas the referee already verified. Sizes are comparable
// across recent rounds; directions only within one round, where every delta starts from the same point.
import { auditDraw, auditReasonFor, resultCommitment, roundSecret, spotPicker } from './audit-draw.ts'
import type { CoordinatorState, PeerState } from './coordinator-state.ts'
import type { JobSpec } from './job.ts'
import type { QuantizedDelta } from './quantize.ts'
import { screenOutliers, type DeltaStats, type ScreeningOptions } from './robust-aggregate.ts'
import type { UnitResult } from './unit.ts'
import type { Evidence, VerificationInput, VerificationThresholds } from './verification.ts'

export type Checks = Omit<VerificationInput, 'unit' | 'result' | 'start'>

export async function intake(input: {
  state: CoordinatorState
  job: JobSpec
  peer: PeerState
  result: UnitResult
  delta: QuantizedDelta
  stats: DeltaStats
  evidence: Evidence
  screening: ScreeningOptions
  thresholds: VerificationThresholds
  /** A probe (probe.ts) is re-executed whatever the draw says. */
  probe?: boolean
}): Promise<{ commitment: string; checks: Checks }> {
  const { state, stats } = input
  const round = state.current.round
  const commitment = await resultCommitment(input.result)
  const secret = await roundSecret(state.secret, round)
  const reference = state.reference.map((r) => ({ round: r.round, norm: r.norm, distance: 0, sketch: Float32Array.from(r.sketch) }))
  const thisRound = reference.filter((r) => r.round === round)
  const arrival = new Map([['x', stats]])
  const screened = thisRound.length > 0 ? screenOutliers(arrival, input.screening, thisRound) : screenOutliers(arrival, input.screening, reference, false)
  return {
    commitment,
    checks: {
      delta: input.delta,
      evidence: input.evidence,
      auditReason: input.probe ? 'probation' : auditReasonFor(input.job.auditRate, input.peer.auditsPassed, await auditDraw(secret, commitment)),
      suspicion: screened.get('x') ?? null,
      spotPick: await spotPicker(secret, commitment, input.thresholds.spotPieces),
    },
  }
}
