// What a verdict does to a unit and the ledger. A result is malformed (wrong shape, count or checkpoints:
// the sender's own doing, refused before any engine runs), rejected (its holder pays as reputation.ts says;
// the unit is open to others at once), or accepted: the unit is done, any other holder is superseded, the
// unit is credited exactly once (verified at once if audited, else pending until a later audit vouches),
// and its data's owners are credited for the samples it consumed.
import type { CoordinatorState, HolderState, PeerState, UnitState } from './coordinator-state.ts'
import { MAX_REFERENCE } from './coordinator-state.ts'
import type { CreditsLedger } from './credits.ts'
import type { JobSpec, ShardRef } from './job.ts'
import { unitFlops, unitSteps } from './probe.ts'
import type { QuantizedDelta } from './quantize.ts'
import { newPeer, punish, reward, type PunishState } from './reputation.ts'
import { checkpointSteps, type UnitResult } from './unit.ts'
import { verdict, type RejectionCode, type Verdict } from './verdicts.ts'

/** Checks that need no engine: anything failing here is the sender's own doing. `steps`: the unit's (probe.ts). */
export function malformation(job: JobSpec, dim: number, result: UnitResult, delta: QuantizedDelta, steps = job.innerSteps): Verdict<RejectionCode> | null {
  const segments = checkpointSteps(steps).length
  const samples = job.batchSize * steps
  if (delta.length !== dim) return verdict('WRONG_SHAPE', { values: delta.length, expected: dim })
  if (result.samples !== samples) return verdict('WRONG_SAMPLES', { claimed: result.samples, expected: samples })
  if (result.checkpoints.length !== segments || result.segmentLosses.length !== segments) return verdict('WRONG_CHECKPOINTS', { checkpoints: result.checkpoints.length, expected: segments })
  if (![result.lossBefore, result.lossAfter, ...result.segmentLosses].every(Number.isFinite)) return verdict('NON_FINITE_LOSS')
  if (result.segmentLosses[0] !== result.lossBefore) return verdict('WRONG_CHECKPOINTS', { detail: 'the first segment loss is not the first loss' })
  return null
}

/** The verdict's place in the job's sequence of ledger events, which the job log replays in order. */
function stamp(state: Pick<CoordinatorState, 'seq'>, holder: HolderState, now: number): void {
  holder.decidedSeq = ++state.seq
  holder.decidedAtMs = now
}

/** A rejection nobody is to blame for (the referee failed, the volunteer left): no cost, no credit. */
export function dropHolder(state: CoordinatorState, holder: HolderState, outcome: Verdict, now: number): void {
  Object.assign(holder, { status: 'rejected', verdict: outcome })
  stamp(state, holder, now)
}

export function rejectHolder(state: CoordinatorState, ledger: CreditsLedger, unit: UnitState, holder: HolderState, rejection: Verdict<RejectionCode>, now: number): void {
  holder.status = 'rejected'
  holder.verdict = rejection
  stamp(state, holder, now)
  chargeRejected(state, ledger, holder.peer, rejection, unit.id, now)
}

/** Reputation and ledger effects of a rejection the peer is to blame for (the coordinator and log replay). */
export function chargeRejected(state: PunishState, ledger: CreditsLedger, peer: string, rejection: Verdict<RejectionCode>, unitId: string, now: number): void {
  const record = state.peers[peer]!
  record.rejected++
  if (rejection.code === 'AUDIT_FAILED') record.auditsFailed++
  punish(state, ledger, peer, rejection, unitId, now)
}

export interface Acceptance {
  job: JobSpec
  /** What a full unit of the job's inner steps is credited; a probe gets its share (probe.ts unitFlops). */
  flopsPerUnit: number
  shardAt: (index: number) => ShardRef
  now: number
}

export function acceptHolder(state: CoordinatorState, ledger: CreditsLedger, unit: UnitState, holder: HolderState, context: Acceptance): void {
  holder.status = 'accepted'
  holder.verdict = verdict('ACCEPTED')
  stamp(state, holder, context.now)
  unit.outcome = 'accepted'
  for (const other of unit.holders) if (other !== holder && (other.status === 'assigned' || other.status === 'released' || other.status === 'verifying')) other.status = 'superseded'
  const shards = unit.shards.map((index) => ({ index, ref: context.shardAt(index) }))
  const steps = unitSteps(context.job, unit)
  for (const used of creditAccepted(ledger, state.peers, holder, unit.id, shards, unitFlops(context.flopsPerUnit, context.job.innerSteps, steps), context.job.batchSize * steps, unit.probe === true)) {
    const dataset = state.datasets.find((d) => d.id === used.dataset)
    if (dataset) dataset.samplesUsed += used.samples
  }
  // A probe's few steps are no yardstick for a full unit's delta.
  if (holder.audit?.outcome === 'passed' && !unit.probe) state.reference = [...state.reference, { round: state.current.round, norm: holder.stats!.norm, sketch: holder.stats!.sketch }].slice(-MAX_REFERENCE)
}

/**
 * Reputation and ledger effects of an accepted result (the coordinator and log replay): the unit credited
 * once, verified at once if audited (which also vouches for what the peer submitted before), and its data's
 * owners credited per sample. Returns the contributed datasets' samples it consumed. A passed probe does not
 * count as a passed audit: the peer's first full unit is still on probation (probe.ts).
 */
export function creditAccepted(ledger: CreditsLedger, peers: Record<string, PeerState>, holder: Pick<HolderState, 'peer' | 'audit' | 'submittedAtMs'>, unitId: string, shards: Array<{ index: number; ref: ShardRef }>, flops: number, samples: number, probe = false): Array<{ dataset: string; samples: number }> {
  const record = (peers[holder.peer] ??= newPeer(holder.submittedAtMs ?? 0))
  reward(record)
  const audited = holder.audit?.outcome === 'passed'
  ledger.creditVolunteer(unitId, holder.peer, flops, samples, { verified: audited, submittedAtMs: holder.submittedAtMs! })
  if (audited) {
    if (!probe) record.auditsPassed++
    ledger.vouch(holder.peer, holder.submittedAtMs!)
  }
  const used: Array<{ dataset: string; samples: number }> = []
  // Data is credited for training the model; a probe's delta never reaches it.
  if (probe) return used
  for (const { index, ref } of shards) {
    const share = samples / shards.length
    if (ledger.creditData(`${unitId}#${index}`, ref.owner, share) && ref.dataset) used.push({ dataset: ref.dataset, samples: share })
  }
  return used
}
