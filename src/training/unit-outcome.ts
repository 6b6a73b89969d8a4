// What a verdict does to a unit and the ledger. A result is malformed (wrong shape, count or checkpoints:
// the sender's own doing, refused before any engine runs), rejected (its holder pays as reputation.ts says;
// the unit is open to others at once), or accepted: the unit is done, any other holder is superseded, the
// unit is credited exactly once (verified at once if audited, else pending until a later audit vouches),
// and its data's owners are credited for the samples it consumed.
import type { CoordinatorState, HolderState, UnitState } from './coordinator-state.ts'
import { MAX_REFERENCE } from './coordinator-state.ts'
import type { CreditsLedger } from './credits.ts'
import { unitSamples, type JobSpec, type ShardRef } from './job.ts'
import type { QuantizedDelta } from './quantize.ts'
import { punish, reward } from './reputation.ts'
import { checkpointSteps, type UnitResult } from './unit.ts'
import { verdict, type RejectionCode, type Verdict } from './verdicts.ts'

/** Checks that need no engine: anything failing here is the sender's own doing. */
export function malformation(job: JobSpec, dim: number, result: UnitResult, delta: QuantizedDelta): Verdict<RejectionCode> | null {
  const segments = checkpointSteps(job.innerSteps).length
  if (delta.length !== dim) return verdict('WRONG_SHAPE', { values: delta.length, expected: dim })
  if (result.samples !== unitSamples(job)) return verdict('WRONG_SAMPLES', { claimed: result.samples, expected: unitSamples(job) })
  if (result.checkpoints.length !== segments || result.segmentLosses.length !== segments) return verdict('WRONG_CHECKPOINTS', { checkpoints: result.checkpoints.length, expected: segments })
  if (![result.lossBefore, result.lossAfter, ...result.segmentLosses].every(Number.isFinite)) return verdict('NON_FINITE_LOSS')
  if (result.segmentLosses[0] !== result.lossBefore) return verdict('WRONG_CHECKPOINTS', { detail: 'the first segment loss is not the first loss' })
  return null
}

export function rejectHolder(state: CoordinatorState, ledger: CreditsLedger, unit: UnitState, holder: HolderState, rejection: Verdict<RejectionCode>, now: number): void {
  holder.status = 'rejected'
  holder.verdict = rejection
  const record = state.peers[holder.peer]!
  record.rejected++
  if (rejection.code === 'AUDIT_FAILED') record.auditsFailed++
  punish(state, ledger, holder.peer, rejection, unit.id, now)
}

export interface Acceptance {
  job: JobSpec
  flopsPerUnit: number
  shardAt: (index: number) => ShardRef
}

export function acceptHolder(state: CoordinatorState, ledger: CreditsLedger, unit: UnitState, holder: HolderState, context: Acceptance): void {
  holder.status = 'accepted'
  holder.verdict = verdict('ACCEPTED')
  unit.outcome = 'accepted'
  for (const other of unit.holders) if (other !== holder && (other.status === 'assigned' || other.status === 'released' || other.status === 'verifying')) other.status = 'superseded'
  const record = state.peers[holder.peer]!
  reward(record)
  const audited = holder.audit?.outcome === 'passed'
  const samples = unitSamples(context.job)
  ledger.creditVolunteer(unit.id, holder.peer, context.flopsPerUnit, samples, { verified: audited, submittedAtMs: holder.submittedAtMs! })
  if (audited) {
    record.auditsPassed++
    ledger.vouch(holder.peer, holder.submittedAtMs!)
    state.reference = [...state.reference, { round: state.current.round, norm: holder.stats!.norm, sketch: holder.stats!.sketch }].slice(-MAX_REFERENCE)
  }
  for (const s of unit.shards) {
    const shard = context.shardAt(s)
    const share = samples / unit.shards.length
    if (ledger.creditData(`${unit.id}#${s}`, shard.owner, share) && shard.dataset) {
      const dataset = state.datasets.find((d) => d.id === shard.dataset)
      if (dataset) dataset.samplesUsed += share
    }
  }
}
