// The coordinator's whole state as plain data: what a checkpoint holds (large vectors live in the block
// store and are named here by CID). Restoring it must reproduce every decision already taken.
import { DecodeError } from '../errors.ts'
import { asObject, readInteger } from '../schema.ts'
import type { LedgerJson } from './credits.ts'
import type { DatasetState } from './datasets.ts'
import type { ShardRef } from './job.ts'
import type { UnitResult } from './unit.ts'

export type ReplicaStatus = 'assigned' | 'submitted' | 'accepted' | 'rejected' | 'expired'
export type UnitOutcome = 'open' | 'accepted' | 'rejected' | 'dropped'

export interface ReplicaState {
  peer: string
  assignedAtMs: number
  status: ReplicaStatus
  result?: UnitResult
  stats?: { norm: number; distance: number; sketch: number[] }
  reason?: string
  /** Set once replicas of a checked unit are compared: agrees with at least one other replica. */
  agrees?: boolean
}

export interface UnitState {
  id: string
  index: number
  /** Indices into the shard pool: the job's training shards, then accepted datasets' chunks. */
  shards: number[]
  seed: number
  /** Assigned twice for verification; volunteers are never told. */
  checked: boolean
  replicas: ReplicaState[]
  outcome: UnitOutcome
}

export interface PeerState {
  accepted: number
  rejected: number
  reputation: number
  banned: boolean
  lastSeenMs: number
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
  units: UnitState[]
}

export interface RoundReport {
  round: number
  /** The version this round produced. */
  version: number
  startedAtMs: number
  closedAtMs: number
  accepted: number
  rejected: number
  dropped: number
  /** Pairs of replicas compared, and how many disagreed. */
  verified: number
  disagreements: number
  outliers: Array<{ peer: string; unitId: string; reason: string }>
  /** Every replica rejected this round (verification, screening, malformed), with the reason. */
  rejections: Array<{ peer: string; unitId: string; reason: string }>
  samples: number
  flops: number
  bytesIn: number
  meanLossBefore: number
  meanLossAfter: number
  testAccuracy: number | null
  testLoss: number | null
  aggregationMs: number
}

export interface CoordinatorState {
  format: 1
  jobId: string
  /** Draws which units are checked; never leaves the coordinator. */
  secret: number
  current: RoundState
  momentumCid: string | null
  centreCid: string | null
  peers: Record<string, PeerState>
  ledger: LedgerJson
  history: RoundReport[]
  initialAccuracy: number | null
  finished: boolean
  /** Contributed datasets offered to this job (absent in checkpoints written before datasets existed). */
  datasets?: DatasetState[]
  /** Shards added to the pool after the job's own, in acceptance order; indices never change. */
  pool?: ShardRef[]
  /** Times each pool index has been planned into a unit. */
  shardUse?: number[]
  /** Wallet bindings by peer id, checked by the host before they are recorded (absent before settlement). */
  bindings?: Record<string, WalletBinding>
  /** The settlement layer's own state (epoch book, applied decisions), saved atomically with the credits. */
  settlement?: unknown
  /** The job as governance changed it (absent while no decision has changed it). */
  governedJob?: unknown
}

/** A wallet bound to a peer: kept with its signature so anyone can re-check the coordinator's word. */
export interface WalletBinding {
  wallet: string
  /** Unix seconds. */
  expiry: number
  signature: string
  boundAtMs: number
}

export const MAX_HISTORY = 2000

/** Checkpoints are our own files, but they live in storage a user (or a bug) can change: check the envelope. */
export function decodeCheckpoint(text: string, jobId: string): CoordinatorState {
  const what = 'coordinator checkpoint'
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new DecodeError(what, `not valid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  const obj = asObject(value, what)
  if (obj.format !== 1) throw new DecodeError(what, `unknown format ${String(obj.format)}`)
  if (obj.jobId !== jobId) throw new DecodeError(what, `belongs to job "${String(obj.jobId)}", not "${jobId}"`)
  const current = asObject(obj.current, `${what} current`)
  readInteger(current, 'round', what)
  readInteger(current, 'version', what)
  if (!Array.isArray(current.units)) throw new DecodeError(what, '"current.units" must be an array')
  asObject(obj.peers, `${what} peers`)
  asObject(obj.ledger, `${what} ledger`)
  if (!Array.isArray(obj.history)) throw new DecodeError(what, '"history" must be an array')
  return obj as unknown as CoordinatorState
}
