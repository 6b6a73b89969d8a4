// A staged job's coordinator state between rounds (issue 19), as saved after every round so a reload (a tab)
// or a restart (Node) resumes the job where it was: the round and version, the content ids of the parameters
// and the outer optimiser's momentum (their values live in the block store), the verified credit, the banned
// peers and the last rounds' reports; and what settling its credit needs: the credits ledger (stage-log.ts's
// rules), the wallet bindings, the settlement host's own state and the latest round record. One schema, decoded strictly: a damaged checkpoint is an error that says
// so, never a job quietly restarted from scratch.
import { DecodeError } from '../errors.ts'
import { asObject, parseJsonLimited, readInteger, readNumber, readString } from '../schema.ts'
import type { WalletBinding } from './coordinator-state.ts'
import { CreditsLedger, type LedgerJson } from './credits.ts'

/** Reports a checkpoint keeps (the dashboard shows the latest). */
export const KEPT_REPORTS = 50
/** Peers with credit, and banned peers, a checkpoint keeps at most (the latest). */
export const MAX_SAVED_PEERS = 65_536
/** Peers one round report names at most. */
const MAX_PEERS = 4096

export interface PipelineCheckpoint {
  jobId: string
  round: number
  version: number
  paramsCid: string
  momentumCid: string
  credit: Array<{ peer: string; flops: number; byStage: number[] }>
  banned: Array<{ peer: string; reason: string }>
  /** Peers audited at least once (after that, audited at the job's rate). */
  audited: string[]
  /** Round reports as the coordinator made them (JSON values; decoded for display only): `heldOut` is the held-out loss of the version the round made. */
  reports: Array<{ round: number; version: number; steps: number; loss: number | null; heldOut: number | null; lost: string[]; merged: string[][]; discarded?: boolean }>
  /** The starting version's held-out loss. */
  startHeldOut: number | null
  /** The credits ledger (absent in checkpoints from before staged credit was settled: it starts empty). */
  ledger?: LedgerJson
  bindings?: Record<string, WalletBinding>
  /** The settlement host's state (it decodes it itself). */
  settlement?: unknown
  /** The latest round record in the job log. */
  logHead?: string | null
  /** A governance decision ended the job. */
  ended?: boolean
  /** Rounds that merged nothing (a failed audit): they do not count toward the job's rounds. */
  discardedRounds?: number
  /** The job's spec its rounds ran with, but for its number of rounds (stage-log.ts's sameSpecText). */
  spec?: string
  /** The stage servers the coordinator vouches for (its announcement's), so a reload goes on naming them. */
  servers?: Array<{ peer: string; stage: number; version: number }>
}

const WHAT = 'staged job checkpoint'

export const encodePipelineCheckpoint = (c: PipelineCheckpoint): string => JSON.stringify({ ...c, reports: c.reports.slice(-KEPT_REPORTS) })

const peers = (value: unknown, what: string, most = MAX_PEERS): string[] => {
  if (!Array.isArray(value) || value.length > most || !value.every((p) => typeof p === 'string' && p.length <= 128)) throw new DecodeError(WHAT, `${what} must be a list of peer ids`)
  return value as string[]
}

export function decodePipelineCheckpoint(text: string, stages: number): PipelineCheckpoint {
  const obj = asObject(parseJsonLimited(text, 64 * 2 ** 20, WHAT), WHAT)
  const list = (key: string, most: number) => {
    const value = obj[key]
    if (!Array.isArray(value) || value.length > most) throw new DecodeError(WHAT, `"${key}" must be a list of at most ${most}`)
    return value as unknown[]
  }
  const stageFlops = (value: unknown, what: string): number[] => {
    if (!Array.isArray(value) || value.length !== stages || !value.every((f) => typeof f === 'number' && Number.isFinite(f) && f >= 0)) throw new DecodeError(WHAT, `${what} must list ${stages} FLOP counts`)
    return value as number[]
  }
  // JSON has no NaN: a loss that was not measured is null.
  const lossOrNull = (o: Record<string, unknown>, key: string) => (o[key] === null || o[key] === undefined ? null : readNumber(o, key, WHAT, 0, Number.MAX_VALUE))
  return {
    jobId: readString(obj, 'jobId', WHAT, 128),
    round: readInteger(obj, 'round', WHAT, 0, 0x7fffffff),
    version: readInteger(obj, 'version', WHAT, 0, 0x7fffffff),
    paramsCid: readString(obj, 'paramsCid', WHAT, 128),
    momentumCid: readString(obj, 'momentumCid', WHAT, 128),
    credit: list('credit', MAX_SAVED_PEERS).map((item, i) => {
      const c = asObject(item, `${WHAT} credit [${i}]`)
      return { peer: readString(c, 'peer', WHAT, 128), flops: readNumber(c, 'flops', WHAT, 0, Number.MAX_VALUE), byStage: stageFlops(c.byStage, `credit [${i}] "byStage"`) }
    }),
    banned: list('banned', MAX_SAVED_PEERS).map((item, i) => {
      const b = asObject(item, `${WHAT} banned [${i}]`)
      return { peer: readString(b, 'peer', WHAT, 128), reason: readString(b, 'reason', WHAT, 2000) }
    }),
    reports: list('reports', KEPT_REPORTS).map((item, i) => {
      const r = asObject(item, `${WHAT} reports [${i}]`)
      const merged = r.merged
      if (!Array.isArray(merged) || merged.length !== stages) throw new DecodeError(WHAT, `reports [${i}] "merged" must list ${stages} stages`)
      return {
        round: readInteger(r, 'round', WHAT, 0, 0x7fffffff),
        version: readInteger(r, 'version', WHAT, 0, 0x7fffffff),
        steps: readInteger(r, 'steps', WHAT, 0, 1_000_000),
        loss: lossOrNull(r, 'loss'),
        heldOut: lossOrNull(r, 'heldOut'),
        lost: peers(r.lost, `reports [${i}] "lost"`),
        merged: merged.map((m, s) => peers(m, `reports [${i}] "merged" [${s}]`)),
        ...(r.discarded === true ? { discarded: true } : {}),
      }
    }),
    startHeldOut: lossOrNull(obj, 'startHeldOut'),
    audited: peers(obj.audited, '"audited"', MAX_SAVED_PEERS),
    ...(obj.ledger === undefined ? {} : { ledger: CreditsLedger.fromJSON(obj.ledger).toJSON() }),
    ...(obj.bindings === undefined ? {} : { bindings: readBindings(obj.bindings) }),
    ...(obj.settlement === undefined ? {} : { settlement: obj.settlement }),
    ...(obj.logHead === undefined ? {} : { logHead: obj.logHead === null ? null : readString(obj, 'logHead', WHAT, 128) }),
    ...(obj.ended === undefined ? {} : { ended: obj.ended === true }),
    ...(obj.discardedRounds === undefined ? {} : { discardedRounds: readInteger(obj, 'discardedRounds', WHAT, 0, 0x7fffffff) }),
    ...(obj.spec === undefined ? {} : { spec: readString(obj, 'spec', WHAT, 2 ** 20) }),
    ...(obj.servers === undefined ? {} : { servers: list('servers', 512).map((item, i) => {
      const s = asObject(item, `${WHAT} servers [${i}]`)
      return { peer: readString(s, 'peer', WHAT, 128), stage: readInteger(s, 'stage', WHAT, 0, stages - 1), version: readInteger(s, 'version', WHAT, 0, 0x7fffffff) }
    }) }),
  }
}

function readBindings(value: unknown): Record<string, WalletBinding> {
  const obj = asObject(value, `${WHAT} bindings`)
  const entries = Object.entries(obj)
  if (entries.length > MAX_SAVED_PEERS) throw new DecodeError(WHAT, `"bindings" must hold at most ${MAX_SAVED_PEERS} peers`)
  return Object.fromEntries(entries.map(([peer, item]) => {
    const what = `${WHAT} bindings.${peer.slice(0, 60)}`
    if (peer.length > 128) throw new DecodeError(what, 'is not a peer id')
    const b = asObject(item, what)
    return [peer, { wallet: readString(b, 'wallet', what, 42), expiry: readInteger(b, 'expiry', what, 0, 2 ** 40), signature: readString(b, 'signature', what, 600), boundAtMs: readInteger(b, 'boundAtMs', what), seq: readInteger(b, 'seq', what) }]
  }))
}
