// Payloads larger than one block (a CNN's parameters are ~0.8 MB) are split into chunks under a small JSON
// root block that lists them; the root's CID names the whole payload. Every limit is checked before any
// chunk is fetched, so a hostile root cannot make us download or allocate without bound.
import type { PeerId } from '@libp2p/interface'
import { DecodeError, TesseraeError } from '../errors.ts'
import { asObject, parseJsonLimited, readInteger, readString, readStringArray } from '../schema.ts'
import { parseCid } from '../data/cid.ts'
import type { BlockExchange } from './block-exchange.ts'

export const CHUNK_BYTES = 512 * 1024
const MAX_ROOT_BYTES = 64 * 1024
export type PayloadKind = 'params' | 'delta' | 'epoch-tree'

export async function putChunked(exchange: BlockExchange, kind: PayloadKind, bytes: Uint8Array): Promise<string> {
  const chunks: string[] = []
  for (let at = 0; at < bytes.length || chunks.length === 0; at += CHUNK_BYTES) chunks.push((await exchange.put(bytes.subarray(at, at + CHUNK_BYTES))).toString())
  const root = new TextEncoder().encode(JSON.stringify({ kind, bytes: bytes.length, chunks }))
  return (await exchange.put(root)).toString()
}

export async function getChunked(
  exchange: BlockExchange,
  rootCid: string,
  kind: PayloadKind,
  options: { maxBytes: number; providers?: PeerId[]; timeoutMs?: number },
): Promise<Uint8Array> {
  const what = `${kind} root ${rootCid.slice(0, 16)}…`
  const rootBytes = await exchange.get(parseCid(rootCid), options)
  if (rootBytes.length > MAX_ROOT_BYTES) throw new DecodeError(what, `is ${rootBytes.length} bytes, over ${MAX_ROOT_BYTES}`)
  const root = asObject(parseJsonLimited(new TextDecoder().decode(rootBytes), MAX_ROOT_BYTES, what), what)
  if (readString(root, 'kind', what, 16) !== kind) throw new DecodeError(what, `is a "${String(root.kind)}" payload, expected "${kind}"`)
  const total = readInteger(root, 'bytes', what, 0, options.maxBytes)
  const chunks = readStringArray(root, 'chunks', what, Math.ceil(options.maxBytes / CHUNK_BYTES) + 1, 128).map(parseCid)
  if (chunks.length !== Math.max(1, Math.ceil(total / CHUNK_BYTES))) throw new DecodeError(what, `lists ${chunks.length} chunks for ${total} bytes`)
  const out = new Uint8Array(total)
  let at = 0
  // Chunks are fetched in parallel; each is verified against its CID by the exchange.
  const parts = await Promise.all(chunks.map((cid) => exchange.get(cid, options)))
  for (const [i, part] of parts.entries()) {
    const expected = i < parts.length - 1 ? CHUNK_BYTES : total - CHUNK_BYTES * (parts.length - 1)
    if (part.length !== expected) throw new DecodeError(what, `chunk ${i} is ${part.length} bytes, expected ${expected}`)
    out.set(part, at)
    at += part.length
  }
  if (at !== total) throw new TesseraeError('PAYLOAD_SIZE', `${what} assembled ${at} of ${total} bytes`)
  return out
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

export function bytesToFloat32(bytes: Uint8Array, expectedLength: number, what: string): Float32Array {
  if (bytes.length !== expectedLength * 4) throw new DecodeError(what, `has ${bytes.length / 4} values, the model has ${expectedLength}`)
  const values = new Float32Array(bytes.slice().buffer)
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) throw new DecodeError(what, `value ${i} is ${values[i]}`)
  return values
}
