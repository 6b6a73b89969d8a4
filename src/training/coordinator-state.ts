// The coordinator's whole state as plain data: what a checkpoint holds (large vectors live in the block
// store and are named here by CID). Restoring it must reproduce every decision already taken.
import { DecodeError } from '../errors.ts'
import { asObject, readInteger } from '../schema.ts'
import { GAIN_WINDOW } from './gain-screen.ts'
import type { LedgerJson } from './credits.ts'
import type { DatasetState } from './datasets.ts'
import type { ShardRef } from './job.ts'
import type { ProviderBook } from './availability.ts'
import type { UnitResult } from './unit.ts'
import type { AuditRecord } from './verification.ts'
import type { AuditReason } from './audit-draw.ts'
import type { RejectionCode, SuspicionCode, Verdict, VerdictParams } from './verdicts.ts'

/**
 * One peer's hold on a unit. `assigned`: working on it; `released`: it left or its time ran out, but a late
 * result is still taken while the unit is open; `verifying`: its result is with the cheap checks or the
 * referee; `accepted`/`rejected`: decided; `superseded`: another holder's result won first.
 */
export type HolderStatus = 'assigned' | 'released' | 'verifying' | 'accepted' | 'rejected' | 'superseded'
export type UnitOutcome = 'open' | 'accepted' | 'dropped'

export interface HolderState {
  peer: string
  assignedAtMs: number
  status: HolderStatus
  /** A second copy handed out near the round's end; first valid result wins. */
  speculative?: boolean
  submittedAtMs?: number
  result?: UnitResult
  /** The volunteer's Ed25519 signature over the result (hex): anyone can check the result is the volunteer's. */
  signature?: string
  /** sha-256 of the signed result: what the audit draw was made from. */
  commitment?: string
  stats?: { norm: number; distance: number; sketch: number[] }
  verdict?: Verdict
  audit?: AuditRecord
  /** Position of this verdict in the job's sequence of ledger events (verdicts and bindings), and when. */
  decidedSeq?: number
  decidedAtMs?: number
}

export interface UnitState {
  id: string
  index: number
  /** Indices into the shard pool: the job's training shards, then accepted datasets' chunks. */
  shards: number[]
  seed: number
  holders: HolderState[]
  outcome: UnitOutcome
  /** A new peer's short first unit (probe.ts): verified in full, credited for its steps, never aggregated. */
  probe?: true
  /** Steps it runs, when not the job's inner steps (probes). */
  steps?: number
}

export interface PeerState {
  accepted: number
  rejected: number
  reputation: number
  banned: boolean
  /** What got the peer excluded. */
  ban?: { code: RejectionCode; params: VerdictParams; unitId: string; round: number; atMs: number }
  auditsPassed: number
  auditsFailed: number
  lastSeenMs: number
  /** Set when its connection closed; cleared when it is heard from again. */
  left?: boolean
  /** From the peer's latest submission (self-reported; display only). */
  backend?: string
  samplesPerSecond?: number
}

export interface RoundState {
  round: number
  version: number
  paramsCid: string
  startedAtMs: number
  deadlineMs: number
  /** sha-256 of this round's audit secret, announced while the round runs. */
  secretCommitment: string
  units: UnitState[]
  /** New peers' probes this round (probe.ts); absent in older checkpoints. */
  probes?: UnitState[]
  /** The int8 diff from the previous version to this one (version-diff.ts); absent for the first version. */
  paramsDiff?: ParamsDiff
}

export interface ParamsDiff {
  /** Content id of the version the diff applies to. */
  from: string
  /** Content id of the encoded int8 diff. */
  cid: string
}

export interface AuditSummary {
  run: number
  passed: number
  failed: number
  /** Audits the referee could not finish through its own failure (withheld checkpoints count as failed). */
  incomplete: number
  byReason: Record<AuditReason, number>
  /** Which cheap check sent the suspicious ones. */
  bySuspicion: Partial<Record<SuspicionCode, number>>
}

export interface RoundReport {
  round: number
  /** The version this round produced. */
  version: number
  startedAtMs: number
  closedAtMs: number
  /** Units whose result was accepted. */
  accepted: number
  /** Results refused or rejected this round. */
  rejected: number
  /** Units nobody delivered an acceptable result for. */
  dropped: number
  /** New peers' probes accepted this round (probe.ts): credited, not aggregated; absent in older reports. */
  probes?: number
  audits: AuditSummary
  /** Every result rejected this round, with why. */
  rejections: Array<{ peer: string; unitId: string; code: RejectionCode; params: VerdictParams }>
  /** Peers excluded this round, with why. */
  bans: Array<{ peer: string; unitId: string; code: RejectionCode }>
  samples: number
  flops: number
  bytesIn: number
  meanLossBefore: number
  meanLossAfter: number
  testAccuracy: number | null
  testLoss: number | null
  aggregationMs: number
  /** Milliseconds the referee's engine spent on this round's probes and replays. */
  refereeMs: number
  /** The round's audit secret, revealed at close: every draw of the round can now be recomputed. */
  roundSecret: string
}

export interface CoordinatorState {
  format: 2
  jobId: string
  /** 256-bit hex secret the per-round audit secrets derive from; never leaves the coordinator. */
  secret: string
  current: RoundState
  momentumCid: string | null
  centreCid: string | null
  peers: Record<string, PeerState>
  ledger: LedgerJson
  history: RoundReport[]
  initialAccuracy: number | null
  finished: boolean
  /** Set by a governance decision to end the job: it finishes when the round in progress closes. */
  ending?: boolean
  /** Arrival statistics of recently audited, passed deltas: the yardstick for norm and direction checks. */
  reference: Array<{ round: number; norm: number; sketch: number[] }>
  /** Last-batch gains of recently replayed, passed units, oldest first: the gain screen's yardstick (gain-screen.ts); absent in older checkpoints. */
  gains?: number[]
  /** Contributed datasets offered to this job. */
  datasets: DatasetState[]
  /** Shards added to the pool after the job's own, in acceptance order; indices never change. */
  pool: ShardRef[]
  /** Times each pool index has been planned into a unit. */
  shardUse: number[]
  /** Live providers of each accepted dataset chunk, by CID (availability.ts); absent in older checkpoints. */
  providers?: ProviderBook
  /** Wallet bindings by peer id, checked by the host before they are recorded. */
  bindings: Record<string, WalletBinding>
  /** Wallets whose peers were caught cheating: no peer may bind to them again in this job. */
  bannedWallets: string[]
  /** The settlement layer's own state (epoch book, applied decisions), saved atomically with the credits. */
  settlement?: unknown
  /** Counts ledger events (verdicts, bindings) so the job log can replay them in the order they happened. */
  seq: number
  /** The job log's latest round record (its content id), or null before the first round closed. */
  logHead: string | null
  /** The credits as they stood when the last round closed, and the ledger event count then: what epochs pay from. */
  closedLedger?: LedgerJson
  closedSeq?: number
  /** Peers banned for a failed audit when the last round closed: settlement forfeits what waits for them. */
  closedForfeits?: string[]
  /** The job as governance changed it (absent while no decision has changed it). */
  governedJob?: unknown
  /** A governance change waiting for the round in progress to close (absent when none). */
  scheduledJob?: unknown
  /** The job log's latest deployment record (absent before the owner first deployed a version). */
  deployHead?: string
}

/** A wallet bound to a peer: kept with its signature so anyone can re-check the coordinator's word. */
export interface WalletBinding {
  wallet: string
  /** Unix seconds. */
  expiry: number
  signature: string
  boundAtMs: number
  /** Position in the job's sequence of ledger events. */
  seq: number
}

export const MAX_HISTORY = 2000
export const MAX_REFERENCE = 16

/**
 * Checkpoints are our own files, but they live in storage a user (or a bug) can change: check the envelope.
 * A format-1 checkpoint (before audits) keeps its model, credits, peers, datasets and history; the round it
 * was in is planned again (`replan`), since its units were shaped for replicas.
 */
export function decodeCheckpoint(text: string, jobId: string): { state: CoordinatorState; replan: boolean } {
  const what = 'coordinator checkpoint'
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new DecodeError(what, `not valid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  const obj = asObject(value, what)
  if (obj.format !== 1 && obj.format !== 2) throw new DecodeError(what, `unknown format ${String(obj.format)}`)
  if (obj.jobId !== jobId) throw new DecodeError(what, `belongs to job "${String(obj.jobId)}", not "${jobId}"`)
  const current = asObject(obj.current, `${what} current`)
  readInteger(current, 'round', what)
  readInteger(current, 'version', what)
  if (!Array.isArray(current.units)) throw new DecodeError(what, '"current.units" must be an array')
  asObject(obj.peers, `${what} peers`)
  asObject(obj.ledger, `${what} ledger`)
  if (!Array.isArray(obj.history)) throw new DecodeError(what, '"history" must be an array')
  if (obj.gains !== undefined && !(Array.isArray(obj.gains) && obj.gains.length <= GAIN_WINDOW && obj.gains.every((g) => typeof g === 'number' && Number.isFinite(g)))) throw new DecodeError(what, `"gains" must be an array of at most ${GAIN_WINDOW} finite numbers`)
  if (obj.format === 2) {
    if (typeof obj.secret !== 'string' || !/^[0-9a-f]{64}$/.test(obj.secret)) throw new DecodeError(what, '"secret" must be 64 hex digits')
    return { state: obj as unknown as CoordinatorState, replan: false }
  }
  const peers = asObject(obj.peers, what)
  for (const p of Object.values(peers)) Object.assign(asObject(p, what), { auditsPassed: 0, auditsFailed: 0 })
  const state = {
    ...obj,
    format: 2,
    secret: '',
    history: obj.history.map((r: unknown) => upgradeReport(asObject(r, what))),
    reference: [],
    datasets: obj.datasets ?? [],
    pool: obj.pool ?? [],
    shardUse: obj.shardUse ?? [],
    bindings: Object.fromEntries(Object.entries(asObject(obj.bindings ?? {}, what)).map(([peer, b]) => [peer, { ...asObject(b, what), seq: 0 }])),
    bannedWallets: [],
    seq: 0,
    logHead: null,
  } as unknown as CoordinatorState
  return { state, replan: true }
}

/** A format-1 round report in today's shape: its numbers kept, its replica comparisons (not audits) left out. */
function upgradeReport(r: Record<string, unknown>): RoundReport {
  const kept = Object.fromEntries(Object.entries(r).filter(([key]) => !['verified', 'disagreements', 'outliers'].includes(key)))
  return { ...(kept as unknown as RoundReport), audits: { run: 0, passed: 0, failed: 0, incomplete: 0, byReason: { every: 0, probation: 0, draw: 0, suspicious: 0 }, bySuspicion: {} }, rejections: [], bans: [], refereeMs: 0, roundSecret: '' }
}
