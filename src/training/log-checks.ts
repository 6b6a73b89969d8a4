// What anyone can check in the job log's round records without re-running a unit: that each round's revealed
// secret is the one its commitment announced, that each result's commitment is the hash of what its volunteer
// signed, and that every accepted result the rules said to re-execute (every unit at audit rate 1, a peer's
// first units, every probe, and each result whose draw fell under the audit rate) was re-executed, and that
// each accepted result is credited for the steps its volunteer signed it ran. The draw is recomputed from the
// revealed secret, so a coordinator cannot quietly skip the audits it was committed to.
import { auditDraw, PROBATION_UNITS, resultCommitment, secretCommitment } from './audit-draw.ts'
import type { RoundRecord } from './job-log.ts'
import { unitSteps } from './probe.ts'

export interface RoundFinding {
  code: 'BAD_SECRET' | 'BAD_COMMITMENT' | 'AUDIT_SKIPPED' | 'BAD_STEPS'
  round: number
  unit?: string
  peer?: string
  message: string
}

export async function checkRounds(rounds: readonly RoundRecord[]): Promise<RoundFinding[]> {
  const findings: RoundFinding[] = []
  // When each peer's audits passed: a result submitted after one of them no longer needed probation.
  const passedAt = new Map<string, number[]>()
  // A probe's passed replay does not end probation (probe.ts).
  for (const round of rounds) {
    for (const unit of round.units) {
      if (unit.probe) continue
      for (const h of unit.holders) if (h.audit?.outcome === 'passed' && h.decidedAtMs !== undefined) passedAt.set(h.peer, [...(passedAt.get(h.peer) ?? []), h.decidedAtMs])
    }
  }
  for (const round of rounds) {
    // Records from before audits existed carry no commitment: nothing to check.
    if (round.auditCommitment === '') continue
    if ((await secretCommitment(round.roundSecret)) !== round.auditCommitment) {
      findings.push({ code: 'BAD_SECRET', round: round.round, message: `round ${round.round}: the revealed audit secret does not hash to the commitment announced while the round ran` })
      continue
    }
    for (const unit of round.units) {
      // Credit follows the unit's steps: they must be what the volunteer signed it ran. A probe is shorter than
      // a full unit and trains on the job's own shards only (its data is not credited, so a full unit relabelled
      // as a probe would rob contributors).
      const steps = unitSteps(round.spec, unit)
      const stepsOk = Number.isInteger(steps) && steps >= 1 && (unit.probe === true ? steps < round.spec.innerSteps && unit.shards.every((s) => s.index < round.spec.train.length) : steps === round.spec.innerSteps)
      for (const h of unit.holders) {
        if (h.status === 'accepted' && (!stepsOk || h.result?.samples !== round.spec.batchSize * steps)) {
          const signed = h.result ? `${h.peer.slice(0, 16)}… signed a result of ${h.result.samples} samples` : `no signed result of ${h.peer.slice(0, 16)}… is recorded`
          findings.push({ code: 'BAD_STEPS', round: round.round, unit: unit.id, peer: h.peer, message: `round ${round.round}, ${unit.probe ? 'probe' : 'unit'} ${unit.id}: credited for ${steps} steps of ${round.spec.batchSize}, but ${signed} (a full unit is ${round.spec.innerSteps} steps; a probe is shorter, on the job's own shards)` })
          continue
        }
        if (!h.result) continue
        const commitment = await resultCommitment(h.result)
        if (h.commitment !== undefined && h.commitment !== commitment) {
          findings.push({ code: 'BAD_COMMITMENT', round: round.round, unit: unit.id, peer: h.peer, message: `round ${round.round}, unit ${unit.id}: the recorded commitment of ${h.peer.slice(0, 16)}…'s result is not the hash of what it signed` })
          continue
        }
        if (h.status !== 'accepted' || h.audit) continue
        const draw = await auditDraw(round.roundSecret, commitment)
        const earlierPasses = (passedAt.get(h.peer) ?? []).filter((t) => t <= (h.submittedAtMs ?? 0)).length
        const owed = unit.probe ? 'a probe is always re-executed' : round.spec.auditRate >= 1 ? 'every unit is re-executed' : earlierPasses < PROBATION_UNITS ? 'a new peer\'s first unit is re-executed' : draw < round.spec.auditRate ? `its draw ${draw.toFixed(4)} is under the audit rate ${round.spec.auditRate}` : null
        if (owed) findings.push({ code: 'AUDIT_SKIPPED', round: round.round, unit: unit.id, peer: h.peer, message: `round ${round.round}, unit ${unit.id}: ${h.peer.slice(0, 16)}…'s result was accepted without the re-execution the rules required (${owed})` })
      }
    }
  }
  return findings
}
