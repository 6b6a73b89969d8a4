// The work protocol's messages (/tesserae/work/2.0.0): one JSON request and one JSON reply per stream, each
// length-prefixed and at most 64 KiB. Deltas and checkpoints never travel here; they are blocks named by CID.
// Waits and acknowledgements carry a verdict code and its parameters, never prose: the app words them.
import { DecodeError } from '../errors.ts'
import { asObject, parseJsonLimited, readBoolean, readInteger, readString, readStringArray } from '../schema.ts'
import { readShardRef, type ShardRef } from '../training/job.ts'
import { decodeAssignment, decodeResult, type UnitAssignment, type UnitResult } from '../training/unit.ts'
import type { DatasetStatus } from '../training/datasets.ts'
import { decodeSignedManifest, type SignedManifest } from '../data/manifest.ts'
import { decodeSignedBinding, type SignedBinding } from '../ledger/binding.ts'
import { decodeVerdict, WAIT_CODES, type Verdict, type WaitCode } from '../training/verdicts.ts'

// 3.0.0: a text unit reads its windows from drawn offsets (task-batch.ts); a peer of 2.0.0 would train on
// other batches than the referee replays and fail its audits, so it cannot speak to a coordinator of this one.
export const WORK_PROTOCOL = '/tesserae/work/3.0.0'
export const MAX_WORK_MESSAGE_BYTES = 64 * 1024
/** Chunk CIDs a volunteer may say it holds in one request (a job has at most MAX_SHARDS shards). */
const MAX_HOLDS = 512
const MAX_REPLICATE = 16
const MAX_PROVIDERS = 8

export type WorkRequest =
  /** `holds`: contributed chunks (CIDs) the volunteer has pinned and serves; it is listed as their provider. */
  | { type: 'request'; jobId: string; backend: string; holds?: string[] }
  /** The holder of `unitId` could not fetch chunk `cid` from anyone: its unit moves to other data. */
  | { type: 'missing'; jobId: string; unitId: string; cid: string }
  | { type: 'submit'; result: UnitResult; /** hex Ed25519 signature over resultSigningBytes(result) */ signature: string }
  /** A contributor offers a signed dataset to the job. */
  | { type: 'offer'; jobId: string; dataset: SignedManifest }
  /** A wallet's EIP-712 binding to the sending peer, for the job's rewards. */
  | { type: 'bind'; binding: SignedBinding }

export type WorkResponse =
  /** `providers`: live holders of the unit's contributed chunks; `replicate`: chunks to fetch and pin as well. */
  | { type: 'unit'; unit: UnitAssignment; providers?: Record<string, string[]>; replicate?: ShardRef[] }
  | { type: 'wait'; retryMs: number; verdict: Verdict<WaitCode> }
  /** accepted: taken for verification (code RECEIVED); otherwise refused, with why. */
  | { type: 'ack'; accepted: boolean; verdict: Verdict }
  | { type: 'error'; message: string }
  | { type: 'dataset'; id: string; status: DatasetStatus; reason: string }
  | { type: 'bound'; wallet: string; expiry: number }

export function encodeWork(message: WorkRequest | WorkResponse): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify(message))
  if (bytes.length > MAX_WORK_MESSAGE_BYTES) throw new DecodeError('work message', `is ${bytes.length} bytes, over ${MAX_WORK_MESSAGE_BYTES}`)
  return bytes
}

function parse(bytes: Uint8Array, what: string) {
  const obj = asObject(parseJsonLimited(new TextDecoder('utf-8', { fatal: false }).decode(bytes), MAX_WORK_MESSAGE_BYTES, what), what)
  return { obj, type: readString(obj, 'type', what, 16) }
}

export function decodeWorkRequest(bytes: Uint8Array): WorkRequest {
  const what = 'work request'
  const { obj, type } = parse(bytes, what)
  switch (type) {
    case 'request': {
      const request: WorkRequest = { type, jobId: readString(obj, 'jobId', what, 128), backend: readString(obj, 'backend', what, 16) }
      if (obj.holds !== undefined) request.holds = readStringArray(obj, 'holds', what, MAX_HOLDS, 128)
      return request
    }
    case 'missing':
      return { type, jobId: readString(obj, 'jobId', what, 128), unitId: readString(obj, 'unitId', what, 64), cid: readString(obj, 'cid', what, 128) }
    case 'submit': {
      const signature = readString(obj, 'signature', what, 256)
      // Whole bytes only: fromHex would drop a trailing digit, so one signature would have many spellings.
      if (!/^([0-9a-f]{2})+$/.test(signature)) throw new DecodeError(what, '"signature" must be lowercase hex')
      return { type, result: decodeResult(obj.result), signature }
    }
    case 'offer':
      return { type, jobId: readString(obj, 'jobId', what, 128), dataset: decodeSignedManifest(obj.dataset) }
    case 'bind':
      return { type, binding: decodeSignedBinding(obj.binding) }
    default:
      throw new DecodeError(what, `unknown type "${type}"`)
  }
}

function readProviders(value: unknown, what: string): Record<string, string[]> {
  const obj = asObject(value, `${what} providers`)
  const entries = Object.entries(obj)
  if (entries.length > 64) throw new DecodeError(what, '"providers" names more than 64 chunks')
  return Object.fromEntries(
    entries.map(([cid]) => {
      if (cid.length > 128) throw new DecodeError(what, 'a chunk CID in "providers" is longer than 128 characters')
      return [cid, readStringArray(obj, cid, `${what} providers`, MAX_PROVIDERS, 128)]
    }),
  )
}

export function decodeWorkResponse(bytes: Uint8Array): WorkResponse {
  const what = 'work response'
  const { obj, type } = parse(bytes, what)
  switch (type) {
    case 'unit': {
      const reply: WorkResponse = { type, unit: decodeAssignment(obj.unit) }
      if (obj.providers !== undefined) reply.providers = readProviders(obj.providers, what)
      if (obj.replicate !== undefined) {
        if (!Array.isArray(obj.replicate) || obj.replicate.length > MAX_REPLICATE) throw new DecodeError(what, `"replicate" must be an array of at most ${MAX_REPLICATE} shards`)
        reply.replicate = obj.replicate.map((r: unknown, i: number) => readShardRef(r, `${what} replicate[${i}]`))
      }
      return reply
    }
    case 'wait':
      return { type, retryMs: readInteger(obj, 'retryMs', what, 0, 3600_000), verdict: decodeVerdict(obj.verdict, `${what} verdict`, WAIT_CODES) as Verdict<WaitCode> }
    case 'ack':
      return { type, accepted: readBoolean(obj, 'accepted', what), verdict: decodeVerdict(obj.verdict, `${what} verdict`) }
    case 'error':
      return { type, message: readString(obj, 'message', what, 1000) }
    case 'dataset': {
      const status = readString(obj, 'status', what, 16)
      if (status !== 'pending' && status !== 'accepted' && status !== 'rejected') throw new DecodeError(what, `unknown dataset status "${status}"`)
      return { type, id: readString(obj, 'id', what, 128), status, reason: readString(obj, 'reason', what, 500) }
    }
    case 'bound':
      return { type, wallet: readString(obj, 'wallet', what, 42), expiry: readInteger(obj, 'expiry', what) }
    default:
      throw new DecodeError(what, `unknown type "${type}"`)
  }
}
