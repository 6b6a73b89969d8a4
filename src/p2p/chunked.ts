// Payloads larger than one block (a CNN's parameters are ~0.8 MB) are split into chunks under a small JSON
// root block that lists them; the root's CID names the whole payload. Every limit is checked before any
// chunk is fetched, so a hostile root cannot make us download or allocate without bound.
// A volunteer's work (its delta and checkpoints) is salted: every chunk starts with a nonce the root names,
// so two volunteers who did the same unit publish different blocks. Otherwise a want for one copy that
// timed out (its volunteer left) could keep the other copy from ever arriving: @helia/bitswap sends no
// cancel for an aborted want, so a peer that later gets the block sends it once, unwanted, and then treats
// our next want for it as already served.
import type { PeerId } from '@libp2p/interface'
import { DecodeError } from '../errors.ts'
import { asObject, parseJsonLimited, readInteger, readString, readStringArray } from '../schema.ts'
import { parseCid } from '../data/cid.ts'
import { MAX_MESSAGE_BYTES, type BlockExchange } from './block-exchange.ts'
import type { CID } from 'multiformats/cid'
import { concatBytes, spansItsBuffer } from '../bytes.ts'
import { fromHex, toHex } from '../hex.ts'
import { TransferWatchdog } from './transfer-watchdog.ts'

export const CHUNK_BYTES = 512 * 1024
const MAX_ROOT_BYTES = 64 * 1024
export type PayloadKind = 'params' | 'delta' | 'checkpoint' | 'epoch-tree' | 'job-log'
const SALTED: ReadonlySet<PayloadKind> = new Set(['delta', 'checkpoint'])
const NONCE_BYTES = 16
/** Checkpoints come in small pieces, so a spot check can fetch a few of them without the rest. */
const CHECKPOINT_CHUNK_BYTES = 16 * 1024
const MAX_CHUNKS = 900
const PUT_AT_ONCE = 16

/** Chunk size for a payload: small for checkpoints (while the root stays under its limit), else the default. */
function chunkBytesFor(kind: PayloadKind, total: number): number {
  if (kind !== 'checkpoint') return CHUNK_BYTES
  return Math.min(CHUNK_BYTES, Math.max(CHECKPOINT_CHUNK_BYTES, 4 * Math.ceil(total / MAX_CHUNKS / 4)))
}

export async function putChunked(exchange: BlockExchange, kind: PayloadKind, bytes: Uint8Array): Promise<string> {
  const nonce = SALTED.has(kind) ? crypto.getRandomValues(new Uint8Array(NONCE_BYTES)) : null
  const chunkBytes = chunkBytesFor(kind, bytes.length)
  // Chunks are stored PUT_AT_ONCE at a time: one after the other, a CNN checkpoint's 50 IndexedDB writes took
  // 0.8 s of a volunteer's first unit; all at once, a 900-piece payload would start 900 writes and announcements.
  const slices: Uint8Array[] = []
  for (let at = 0; at < bytes.length || slices.length === 0; at += chunkBytes) slices.push(bytes.subarray(at, at + chunkBytes))
  const chunks: string[] = []
  for (let i = 0; i < slices.length; i += PUT_AT_ONCE) {
    const stored = await Promise.all(slices.slice(i, i + PUT_AT_ONCE).map((slice) => exchange.put(nonce === null ? slice : concatBytes([nonce, slice]))))
    chunks.push(...stored.map(String))
  }
  const root = new TextEncoder().encode(JSON.stringify({ kind, bytes: bytes.length, chunks, ...(chunkBytes === CHUNK_BYTES ? {} : { chunkBytes }), ...(nonce === null ? {} : { nonce: toHex(nonce) }) }))
  return (await exchange.put(root)).toString()
}

/**
 * `timeoutMs`: how long the payload's peers may send nothing at all (default 60 s); the whole payload must also
 * come faster than the watchdog's floor rate.
 */
type FetchOptions = { maxBytes: number; providers?: PeerId[]; timeoutMs?: number; signal?: AbortSignal }
type BlockOptions = { providers?: PeerId[]; timeoutMs: null; signal: AbortSignal }
const DEFAULT_STALL_MS = 60_000

/** Runs a payload's fetch under a watchdog that ends it when its blocks stop coming (transfer-watchdog.ts). */
async function watched<T>(what: string, options: FetchOptions, fetch: (blocks: BlockOptions, watchdog: TransferWatchdog) => Promise<T>): Promise<T> {
  const watchdog = new TransferWatchdog(what, options.timeoutMs ?? DEFAULT_STALL_MS, options.signal)
  try {
    return await fetch({ providers: options.providers, timeoutMs: null, signal: watchdog.signal }, watchdog)
  } catch (error) {
    throw watchdog.explain(error)
  } finally {
    watchdog.close()
  }
}

interface Root {
  what: string
  total: number
  chunkBytes: number
  chunks: CID[]
  salt: Uint8Array
}

async function readRoot(exchange: BlockExchange, rootCid: string, kind: PayloadKind, options: FetchOptions, blocks: BlockOptions, watchdog: TransferWatchdog): Promise<Root> {
  const what = `${kind} root ${rootCid.slice(0, 16)}…`
  const rootBytes = await exchange.get(parseCid(rootCid), blocks)
  watchdog.progress(rootBytes.length)
  if (rootBytes.length > MAX_ROOT_BYTES) throw new DecodeError(what, `is ${rootBytes.length} bytes, over ${MAX_ROOT_BYTES}`)
  const root = asObject(parseJsonLimited(new TextDecoder().decode(rootBytes), MAX_ROOT_BYTES, what), what)
  if (readString(root, 'kind', what, 16) !== kind) throw new DecodeError(what, `is a "${String(root.kind)}" payload, expected "${kind}"`)
  const total = readInteger(root, 'bytes', what, 0, options.maxBytes)
  const chunkBytes = root.chunkBytes === undefined ? CHUNK_BYTES : readInteger(root, 'chunkBytes', what, 1024, CHUNK_BYTES)
  const chunks = readStringArray(root, 'chunks', what, Math.ceil(options.maxBytes / chunkBytes) + 1, 128).map(parseCid)
  if (chunks.length !== Math.max(1, Math.ceil(total / chunkBytes))) throw new DecodeError(what, `lists ${chunks.length} chunks for ${total} bytes`)
  // The pattern fixes the length; readString's bound only keeps a hostile root from costing a long scan.
  const nonce = SALTED.has(kind) ? readString(root, 'nonce', what, 4 * NONCE_BYTES) : null
  if (nonce !== null && !/^[0-9a-f]{32}$/.test(nonce)) throw new DecodeError(what, '"nonce" must be 32 hex digits')
  return { what, total, chunkBytes, chunks, salt: nonce === null ? new Uint8Array(0) : fromHex(nonce) }
}

/** Chunk i of the payload without its salt, checked for its length. */
async function readChunk(exchange: BlockExchange, root: Root, i: number, blocks: BlockOptions, watchdog: TransferWatchdog): Promise<Uint8Array> {
  const block = await exchange.get(root.chunks[i]!, blocks)
  watchdog.progress(block.length)
  if (!block.subarray(0, root.salt.length).every((b, k) => b === root.salt[k])) throw new DecodeError(root.what, `chunk ${i} does not start with the payload's nonce`)
  const part = block.subarray(root.salt.length)
  const expected = i < root.chunks.length - 1 ? root.chunkBytes : root.total - root.chunkBytes * (root.chunks.length - 1)
  if (part.length !== expected) throw new DecodeError(root.what, `chunk ${i} is ${part.length} bytes, expected ${expected}`)
  return part
}

/** The whole payload, assembled into a new buffer the caller owns. */
export async function getChunked(exchange: BlockExchange, rootCid: string, kind: PayloadKind, options: FetchOptions): Promise<Uint8Array> {
  return watched(`${kind} ${rootCid.slice(0, 16)}…`, options, async (blocks, watchdog) => {
    const root = await readRoot(exchange, rootCid, kind, options, blocks, watchdog)
    watchdog.expect(root.total, MAX_MESSAGE_BYTES)
    // Chunks are fetched in parallel; each is verified against its CID by the exchange.
    return assemble(root, await Promise.all(root.chunks.map((_, i) => readChunk(exchange, root, i, blocks, watchdog))))
  })
}

function assemble(root: Root, parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(root.total)
  // readChunk checked each part's length against the root's total, so the parts fill `out` exactly.
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** Only some chunks of a payload: `pick` is told how many there are and names the ones wanted. */
export async function getChunkedPieces(exchange: BlockExchange, rootCid: string, kind: PayloadKind, pick: (chunks: number) => number[], options: FetchOptions): Promise<{ chunkBytes: number; pieces: Map<number, Uint8Array> }> {
  return watched(`${kind} ${rootCid.slice(0, 16)}… (some pieces)`, options, async (blocks, watchdog) => {
    const root = await readRoot(exchange, rootCid, kind, options, blocks, watchdog)
    const wanted = [...new Set(pick(root.chunks.length))].filter((i) => Number.isInteger(i) && i >= 0 && i < root.chunks.length)
    watchdog.expect(wanted.length * root.chunkBytes, MAX_MESSAGE_BYTES)
    const parts = await Promise.all(wanted.map((i) => readChunk(exchange, root, i, blocks, watchdog)))
    return { chunkBytes: root.chunkBytes, pieces: new Map(wanted.map((i, k) => [i, parts[k]!])) }
  })
}

/** Removes a payload we stored (its root and chunks) from the local store; peers can no longer fetch it here. */
export async function deleteChunked(exchange: BlockExchange, rootCid: string): Promise<void> {
  const root = parseCid(rootCid)
  if (!(await exchange.has(root))) return
  const what = `root ${rootCid.slice(0, 16)}…`
  const obj = asObject(parseJsonLimited(new TextDecoder().decode(await exchange.get(root)), MAX_ROOT_BYTES, what), what)
  for (const chunk of readStringArray(obj, 'chunks', what, 1 << 16, 128)) await exchange.blockstore.delete(parseCid(chunk))
  await exchange.blockstore.delete(root)
}

export function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength))
}

/**
 * The bytes of `values` without a copy, for a salted payload: `putChunked` copies each piece into a block
 * behind its nonce (an unsalted payload would store views of the caller's array). The caller must leave
 * `values` unchanged until `putChunked` resolves.
 */
export function float32View(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength)
}

/**
 * `bytes` as float32 values, each checked finite. `handOver`: the caller gives up `bytes` (a buffer of its
 * own, as `getChunked` returns), so the values are read in place instead of copied.
 */
export function bytesToFloat32(bytes: Uint8Array, expectedLength: number, what: string, handOver = false): Float32Array {
  if (bytes.length !== expectedLength * 4) throw new DecodeError(what, `has ${bytes.length / 4} values, the model has ${expectedLength}`)
  // Otherwise a copy into a fresh buffer: `bytes` may be a Node Buffer, whose slice() is a view into a shared
  // pool, or a block the store still holds.
  const whole = handOver && spansItsBuffer(bytes)
  const values = new Float32Array(whole ? bytes.buffer : new Uint8Array(bytes).buffer)
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) throw new DecodeError(what, `value ${i} is ${values[i]}`)
  return values
}
