// The job log: what the coordinator did, as content-addressed records anyone can fetch and recompute. One
// record per round (every unit with its shards and seed, every holder's signed result, the audit draw's
// revealed secret, each audit and verdict with its place in the sequence of ledger events) chained to the
// previous one, and one record per epoch (the credits it paid from, the bindings it used with their EIP-712
// signatures, and the epoch book it computed), chained likewise. The coordinator signs each record with its
// peer key; its content id goes on chain with the epoch's root. Replaying the round records through the same
// ledger rules the coordinator runs (replayLedger) gives back every peer's credit, so a doctored root shows.
import { DecodeError } from '../errors.ts'
import { asObject, parseJsonLimited, readInteger, readString } from '../schema.ts'
import type { HolderState, RoundReport, RoundState, WalletBinding } from './coordinator-state.ts'
import { CreditsLedger, type LedgerJson } from './credits.ts'
import type { DatasetState } from './datasets.ts'
import type { JobSpec, ShardRef } from './job.ts'
import { newPeer, type PunishState } from './reputation.ts'
import { chargeRejected, creditAccepted } from './unit-outcome.ts'
import { allUnits, unitFlops, unitSteps } from './probe.ts'
import { REJECTION_CODES, type RejectionCode, type Verdict } from './verdicts.ts'
import { decodeStageRoundRecord, type StageRoundRecord } from './stage-log.ts'

export const LOG_FORMAT = 'tesserae-log-1'
/** The largest record anyone has to fetch: a round of 1,024 units with a few holders each fits easily. */
export const MAX_LOG_RECORD_BYTES = 32 << 20

export type HolderRecord = Omit<HolderState, 'stats'>

/** What every round record says of its round, whole-model or staged (stage-log.ts). */
export interface RoundCommon {
  job: string
  /** The job spec in force this round (governance may have changed it), in full. */
  spec: JobSpec
  round: number
  version: number
  /** The parameters the round started from, and those it produced. */
  paramsCid: string
  nextParamsCid: string
  startedAtMs: number
  closedAtMs: number
}

export interface RoundRecord extends RoundCommon {
  kind: 'round'
  /** FLOPs one unit is credited with (the coordinator's own count of its train-step graph). */
  flopsPerUnit: number
  /** sha-256 of the round's audit secret, announced while it ran; and the secret, revealed at its close. */
  auditCommitment: string
  roundSecret: string
  /** The round's units, then its probes (`probe`, with their `steps`: probe.ts). */
  units: Array<{ id: string; seed: number; shards: Array<{ index: number; ref: ShardRef }>; outcome: string; holders: HolderRecord[]; probe?: true; steps?: number }>
  /** Contributed datasets in use this round, each with its owner's signed manifest as offered. */
  datasets: Array<{ id: string; owner: string; samplesUsed: number; signed: unknown }>
  report: RoundReport
  /** The previous round's record, or null for the first. */
  prev: string | null
}

export interface EpochRecord {
  kind: 'epoch'
  job: string
  epoch: number
  chainId: number
  escrow: string
  escrowKey: string
  /** The latest round record (whole-model or staged) the epoch's credits come from. */
  roundHead: string
  roundsClosed: number
  /**
   * The credits were snapshot when that round closed: every ledger event up to this one counts (a staged job:
   * every round before this one, i.e. the rounds closed).
   */
  ledgerSeq: number
  /** What the epoch was computed from: the escrow's deposit then, the job's rounds and data share. */
  deposited: string
  jobRounds: number
  dataShareBps: number
  nowSeconds: number
  /** Every binding the coordinator holds, with the wallet's EIP-712 signature. */
  bindings: Array<{ peer: string } & WalletBinding>
  /** The epoch book after this epoch (wallets, what waits, what each peer earned). */
  book: unknown
  /** The previous epoch's record, or null for the first. */
  prev: string | null
}

/**
 * The owner's deployment of a version: the model the use page offers by default. It names the round record
 * whose result that version is, so anyone can check the version was trained by the job and not swapped in.
 */
export interface DeploymentRecord {
  kind: 'deployment'
  job: string
  version: number
  paramsCid: string
  /** The round record that produced the version (its nextParamsCid and report version are these). */
  round: string
  deployedAtMs: number
  /** The previous deployment record, or null for the first. */
  prev: string | null
}

export type LogRecord = RoundRecord | StageRoundRecord | EpochRecord | DeploymentRecord

/** A record as it travels: the exact JSON text the coordinator signed, its peer id and the signature. */
export interface SignedLogRecord {
  format: typeof LOG_FORMAT
  coordinator: string
  signature: string
  record: string
}

export function roundRecord(input: { spec: JobSpec; round: RoundState; report: RoundReport; nextParamsCid: string; flopsPerUnit: number; shardAt: (index: number) => ShardRef; datasets: readonly DatasetState[]; prev: string | null }): RoundRecord {
  const { round } = input
  return {
    kind: 'round',
    job: input.spec.id,
    spec: input.spec,
    round: round.round,
    version: round.version,
    paramsCid: round.paramsCid,
    nextParamsCid: input.nextParamsCid,
    startedAtMs: round.startedAtMs,
    closedAtMs: input.report.closedAtMs,
    flopsPerUnit: input.flopsPerUnit,
    auditCommitment: round.secretCommitment,
    roundSecret: input.report.roundSecret,
    units: allUnits(round).map((u) => ({
      id: u.id,
      seed: u.seed,
      shards: u.shards.map((index) => ({ index, ref: input.shardAt(index) })),
      outcome: u.outcome,
      holders: u.holders.map(({ stats: _stats, ...holder }) => holder),
      ...(u.probe ? { probe: true as const, steps: u.steps } : {}),
    })),
    datasets: input.datasets.filter((d) => d.status === 'accepted').map((d) => ({ id: d.id, owner: d.owner, samplesUsed: d.samplesUsed, signed: d.signed ?? null })),
    report: input.report,
    prev: input.prev,
  }
}

export function encodeLogRecord(signed: SignedLogRecord): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify(signed))
  if (bytes.length > MAX_LOG_RECORD_BYTES) throw new DecodeError('job log record', `is ${bytes.length} bytes, over ${MAX_LOG_RECORD_BYTES}`)
  return bytes
}

/** The envelope, decoded; the record inside is parsed separately (decodeRecord) once its signature checks out. */
export function decodeSignedLogRecord(bytes: Uint8Array): SignedLogRecord {
  const what = 'job log record'
  const obj = asObject(parseJsonLimited(new TextDecoder().decode(bytes), MAX_LOG_RECORD_BYTES, what), what)
  if (obj.format !== LOG_FORMAT) throw new DecodeError(what, `unknown format "${String(obj.format).slice(0, 40)}"`)
  const signature = readString(obj, 'signature', what, 256)
  if (!/^[0-9a-f]+$/.test(signature)) throw new DecodeError(what, '"signature" must be lowercase hex')
  return { format: LOG_FORMAT, coordinator: readString(obj, 'coordinator', what, 128), signature, record: readString(obj, 'record', what, MAX_LOG_RECORD_BYTES) }
}

/** The record inside a signed envelope; only its envelope's fields are trusted to be shaped as declared. */
export function decodeRecord(signed: SignedLogRecord): LogRecord {
  const what = 'job log record'
  const obj = asObject(parseJsonLimited(signed.record, MAX_LOG_RECORD_BYTES, what), what)
  const kind = readString(obj, 'kind', what, 12)
  readString(obj, 'job', what, 128)
  if (kind === 'round') {
    readInteger(obj, 'round', what)
    if (!Array.isArray(obj.units)) throw new DecodeError(what, '"units" must be an array')
    return obj as unknown as RoundRecord
  }
  // A staged job's round (stage-log.ts): decoded in full, since the audit reads every field of it.
  if (kind === 'stage-round') return decodeStageRoundRecord(obj)
  if (kind === 'epoch') {
    readInteger(obj, 'epoch', what, 1)
    readInteger(obj, 'ledgerSeq', what)
    if (!Array.isArray(obj.bindings)) throw new DecodeError(what, '"bindings" must be an array')
    return obj as unknown as EpochRecord
  }
  if (kind === 'deployment') {
    readInteger(obj, 'version', what)
    readString(obj, 'paramsCid', what, 128)
    readString(obj, 'round', what, 128)
    readInteger(obj, 'deployedAtMs', what)
    if (obj.prev !== null) readString(obj, 'prev', what, 128)
    return obj as unknown as DeploymentRecord
  }
  throw new DecodeError(what, `unknown kind "${kind}"`)
}

export interface ReplayOutcome {
  ledger: CreditsLedger
  /** Peers excluded by the replayed verdicts, with the code that excluded them. */
  banned: Map<string, RejectionCode>
}

/**
 * Replays every ledger event (verdicts in the round records, bindings) up to `untilSeq` in the order the
 * coordinator applied them, through the same rules it runs: the credit each peer would hold.
 */
export function replayLedger(rounds: readonly RoundRecord[], bindings: ReadonlyArray<{ peer: string } & WalletBinding>, untilSeq: number): ReplayOutcome {
  type Event = { seq: number; apply: () => void }
  const ledger = new CreditsLedger()
  const state: PunishState = { peers: {}, bindings: {}, bannedWallets: [], current: { round: 0 } }
  const events: Event[] = []
  for (const b of bindings) {
    const { peer, ...binding } = b
    events.push({ seq: b.seq, apply: () => void (state.bindings[peer] = binding) })
  }
  for (const round of rounds) {
    for (const unit of round.units) {
      for (const holder of unit.holders) {
        if (holder.decidedSeq === undefined || holder.verdict === undefined) continue
        events.push({
          seq: holder.decidedSeq,
          apply: () => {
            state.current.round = round.round
            state.peers[holder.peer] ??= newPeer(holder.assignedAtMs)
            const steps = unitSteps(round.spec, unit)
            if (holder.status === 'accepted') creditAccepted(ledger, state.peers, holder, unit.id, unit.shards, unitFlops(round.flopsPerUnit, round.spec.innerSteps, steps), round.spec.batchSize * steps, unit.probe === true)
            else if (isCharge(holder.verdict!)) chargeRejected(state, ledger, holder.peer, holder.verdict, unit.id, holder.decidedAtMs ?? 0)
          },
        })
      }
    }
  }
  events.sort((a, b) => a.seq - b.seq)
  for (const event of events) if (event.seq <= untilSeq) event.apply()
  const banned = new Map(Object.entries(state.peers).flatMap(([peer, p]) => (p.ban ? [[peer, p.ban.code] as const] : [])))
  return { ledger, banned }
}

/** Rejections the holder paid for (the coordinator's own failures and departures cost nothing). */
const isCharge = (v: Verdict): v is Verdict<RejectionCode> => (REJECTION_CODES as readonly string[]).includes(v.code) && v.code !== 'UNVERIFIED'

export type { LedgerJson }
