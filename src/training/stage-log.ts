// A staged job's rounds in the job log (issue 19), and the crediting rules both its coordinator and an auditor
// run over them. A record names, for each peer paid in the round, its stage and how many forward and backward
// calls of it count (a backward once its step's update was acknowledged), and each audit the round ran with its
// outcome. Credit is those counts times the FLOPs of one micro-batch through the stage's forward and backward
// graphs (`stageFlops`, which an auditor recounts from the spec's own shard graphs), so a record can only claim
// work its round could have done. The credits go through the same ledger as whole-model units: pending until
// the peer passes an audit of that round or a later one, forfeited (with whatever is verified but unpaid) when
// it fails one; only verified credit is paid into epochs.
import { DecodeError } from '../errors.ts'
import { asObject, readInteger, readNumber, readString } from '../schema.ts'
import { CreditsLedger } from './credits.ts'
import { decodeJob, type JobSpec } from './job.ts'
import type { RoundCommon } from './job-log.ts'

export interface StageWork {
  peer: string
  stage: number
  /** Forward calls and (acknowledged) backward calls the peer answered this round. */
  forward: number
  backward: number
}

export interface StageAuditOutcome {
  peer: string
  stage: number
  passed: boolean
  /** Why it failed (empty when it passed). */
  reason: string
}

/** Its spec's model, cuts and micro-batch fix `stageFlops`; its parameters are whole vectors. */
export interface StageRoundRecord extends RoundCommon {
  kind: 'stage-round'
  /** FLOPs of one micro-batch through each stage's forward graph and its backward graph. */
  stageFlops: Array<{ forward: number; backward: number }>
  /** Every peer credited this round: those whose replica came back and did not fail an audit. */
  work: StageWork[]
  audits: StageAuditOutcome[]
  prev: string | null
}

/** Peers one record names at most (work or audits): 8 replicas of 1,024 stages, with room. */
export const MAX_STAGE_RECORD_PEERS = 16_384

/**
 * A staged job's spec as all its rounds must share it: everything but its number of rounds (an owner may run a
 * job longer; a round run with more steps or a larger batch could pay more calls).
 */
export const sameSpecText = (job: JobSpec): string => JSON.stringify({ ...job, rounds: 0 })

/** The ledger key of one peer's credit for one round: a round pays each peer once, whatever is replayed. */
export const stageCreditKey = (round: number, peer: string) => `stage:${round}:${peer}`

/** What one peer's work in a round is worth. */
export function stageWorkFlops(record: Pick<StageRoundRecord, 'stageFlops'>, work: StageWork): number {
  const flops = record.stageFlops[work.stage]
  if (!flops) throw new DecodeError('staged round record', `credits stage ${work.stage}, which the model does not have`)
  return work.forward * flops.forward + work.backward * flops.backward
}

/**
 * One round's ledger events, in the order the coordinator applies them: a failed audit excludes its peer and
 * forfeits what it has not been paid; every other peer's work is credited as pending; a passed audit vouches
 * for everything its peer was credited up to this round. `banned` gains the excluded peers (with the reason).
 */
export function applyStageRound(ledger: CreditsLedger, banned: Map<string, string>, record: StageRoundRecord): void {
  for (const a of record.audits) {
    if (a.passed || banned.has(a.peer)) continue
    ledger.forfeit(a.peer, true)
    banned.set(a.peer, a.reason)
  }
  for (const w of record.work) {
    if (banned.has(w.peer)) continue
    ledger.creditVolunteer(stageCreditKey(record.round, w.peer), w.peer, stageWorkFlops(record, w), 0, { verified: false, submittedAtMs: record.round })
  }
  for (const a of record.audits) if (a.passed && !banned.has(a.peer)) ledger.vouch(a.peer, record.round)
}

/** Every peer's credit and the excluded peers after the rounds before `untilRound`, oldest record first. */
export function replayStageLedger(records: readonly StageRoundRecord[], untilRound: number): { ledger: CreditsLedger; banned: Map<string, string> } {
  const ledger = new CreditsLedger()
  const banned = new Map<string, string>()
  for (const record of records) if (record.round < untilRound) applyStageRound(ledger, banned, record)
  return { ledger, banned }
}

/**
 * What a record claims beyond what its round could have done, or null: each stage's calls are at most one
 * forward and one backward per micro-batch of the round's steps (a call re-sent elsewhere is paid once, to the
 * peer that answered it), a peer is paid for its own stage only, and nobody excluded is paid.
 */
export function stageWorkProblem(record: StageRoundRecord, bannedBefore: ReadonlySet<string>): string | null {
  const stages = record.spec.stages
  if (!stages) return `round ${record.round}: the spec it ran is not split into stages`
  const perStep = record.spec.batchSize / stages.microBatch
  const most = record.spec.innerSteps * perStep
  const totals = record.stageFlops.map(() => ({ forward: 0, backward: 0 }))
  const failed = new Set(record.audits.filter((a) => !a.passed).map((a) => a.peer))
  const seen = new Set<string>()
  for (const w of record.work) {
    if (seen.has(w.peer)) return `round ${record.round}: ${w.peer.slice(0, 16)}… is paid twice`
    seen.add(w.peer)
    if (bannedBefore.has(w.peer) || failed.has(w.peer)) return `round ${record.round}: ${w.peer.slice(0, 16)}… is paid although it was excluded for failing an audit`
    const total = totals[w.stage]
    if (!total) return `round ${record.round}: ${w.peer.slice(0, 16)}… is paid for stage ${w.stage}, which the model does not have`
    total.forward += w.forward
    total.backward += w.backward
  }
  for (const [s, t] of totals.entries()) {
    if (t.forward > most || t.backward > most) return `round ${record.round}: stage ${s} is paid for ${t.forward} forward and ${t.backward} backward calls, but ${record.spec.innerSteps} steps of ${perStep} micro-batches make at most ${most} of each`
  }
  return null
}

const WHAT = 'staged round record'
const CID = /^[A-Za-z0-9_-]{1,128}$/
const readCid = (obj: Record<string, unknown>, key: string) => {
  const cid = readString(obj, key, WHAT, 128)
  if (!CID.test(cid)) throw new DecodeError(WHAT, `"${key}" is not a content id`)
  return cid
}

function list(obj: Record<string, unknown>, key: string, most: number): unknown[] {
  const value = obj[key]
  if (!Array.isArray(value) || value.length > most) throw new DecodeError(WHAT, `"${key}" must be a list of at most ${most}`)
  return value
}

/** A staged round record, decoded strictly (it comes from the swarm: an auditor trusts none of its shapes). */
export function decodeStageRoundRecord(value: unknown): StageRoundRecord {
  const obj = asObject(value, WHAT)
  if (obj.kind !== 'stage-round') throw new DecodeError(WHAT, `"kind" must be "stage-round"`)
  const spec = decodeJob(asObject(obj.spec, `${WHAT} "spec"`))
  if (!spec.stages) throw new DecodeError(WHAT, 'its job spec is not split into stages')
  const stageCount = spec.stages.cuts.length + 1
  const stageFlops = list(obj, 'stageFlops', stageCount).map((f, i) => {
    const o = asObject(f, `${WHAT} stageFlops [${i}]`)
    return { forward: readNumber(o, 'forward', WHAT, 0, 1e18), backward: readNumber(o, 'backward', WHAT, 0, 1e18) }
  })
  if (stageFlops.length !== stageCount) throw new DecodeError(WHAT, `"stageFlops" must list ${stageCount} stages`)
  const peer = (o: Record<string, unknown>) => readString(o, 'peer', WHAT, 128)
  const stage = (o: Record<string, unknown>) => readInteger(o, 'stage', WHAT, 0, stageCount - 1)
  const prev = obj.prev === null ? null : readCid(obj, 'prev')
  return {
    kind: 'stage-round',
    job: readString(obj, 'job', WHAT, 128),
    spec,
    round: readInteger(obj, 'round', WHAT, 0, 0x7fffffff),
    version: readInteger(obj, 'version', WHAT, 0, 0x7fffffff),
    paramsCid: readCid(obj, 'paramsCid'),
    nextParamsCid: readCid(obj, 'nextParamsCid'),
    startedAtMs: readInteger(obj, 'startedAtMs', WHAT),
    closedAtMs: readInteger(obj, 'closedAtMs', WHAT),
    stageFlops,
    work: list(obj, 'work', MAX_STAGE_RECORD_PEERS).map((w, i) => {
      const o = asObject(w, `${WHAT} work [${i}]`)
      return { peer: peer(o), stage: stage(o), forward: readInteger(o, 'forward', WHAT, 0, 1e9), backward: readInteger(o, 'backward', WHAT, 0, 1e9) }
    }),
    audits: list(obj, 'audits', MAX_STAGE_RECORD_PEERS).map((a, i) => {
      const o = asObject(a, `${WHAT} audits [${i}]`)
      if (typeof o.passed !== 'boolean') throw new DecodeError(WHAT, `audits [${i}] "passed" must be true or false`)
      return { peer: peer(o), stage: stage(o), passed: o.passed, reason: readString(o, 'reason', WHAT, 2000) }
    }),
    prev,
  }
}
