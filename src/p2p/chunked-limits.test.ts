// Every check of a chunked payload's root and chunks, at its limit, against blocks in one node's local store
// (no network needed: the exchange reads local blocks first). The transfer itself is in chunked.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { createNodePeer, type NodePeer } from './node-peer.ts'
import { BlockExchange } from './block-exchange.ts'
import { bytesToFloat32, CHUNK_BYTES, deleteChunked, float32Bytes, float32View, getChunked, getChunkedPieces, putChunked } from './chunked.ts'
import { parseCid } from '../data/cid.ts'

describe('chunked payload limits', () => {
  let node: NodePeer
  let ex: BlockExchange
  beforeAll(async () => {
    node = await createNodePeer()
    ex = await BlockExchange.start(node, new MemoryBlockstore())
  })
  afterAll(async () => {
    await ex.stop()
    await node.stop()
  })

  const block = async (bytes: Uint8Array) => (await ex.put(bytes)).toString()
  const root = (value: object, pad = 0) => block(new TextEncoder().encode(JSON.stringify(value).padEnd(pad, ' ')))
  const get = (cid: string, kind: 'params' | 'delta' | 'checkpoint' = 'params', maxBytes = 10_000) => getChunked(ex, cid, kind, { maxBytes, timeoutMs: 1000 })

  it('reads a root of exactly 64 KiB and refuses a larger one before parsing it', async () => {
    const chunk = await block(Uint8Array.of(1, 2, 3))
    const body = { kind: 'params', bytes: 3, chunks: [chunk] }
    expect(await get(await root(body, 64 * 1024))).toEqual(Uint8Array.of(1, 2, 3))
    await expect(get(await root(body, 64 * 1024 + 1))).rejects.toThrow('is 65537 bytes, over 65536')
  })

  it('takes a payload of exactly the byte limit and refuses one byte more', async () => {
    const chunk = await block(new Uint8Array(100).fill(7))
    expect(await get(await root({ kind: 'params', bytes: 100, chunks: [chunk] }), 'params', 100)).toHaveLength(100)
    await expect(get(await root({ kind: 'params', bytes: 100, chunks: [chunk] }), 'params', 99)).rejects.toThrow('"bytes" must be between 0 and 99')
  })

  it('holds the root to its chunk count: one chunk per chunkBytes, one for an empty payload', async () => {
    const a = await block(new Uint8Array(1024).fill(1))
    const b = await block(new Uint8Array(10).fill(2))
    const two = await get(await root({ kind: 'params', bytes: 1034, chunkBytes: 1024, chunks: [a, b] }))
    expect([...two.subarray(1020, 1028)]).toEqual([1, 1, 1, 1, 2, 2, 2, 2])
    await expect(get(await root({ kind: 'params', bytes: 1034, chunkBytes: 1024, chunks: [a] }))).rejects.toThrow('lists 1 chunks for 1034 bytes')
    await expect(get(await root({ kind: 'params', bytes: 1024, chunkBytes: 1024, chunks: [a, b] }))).rejects.toThrow('lists 2 chunks for 1024 bytes')
    const empty = await block(new Uint8Array(0))
    expect(await get(await root({ kind: 'params', bytes: 0, chunks: [empty] }))).toHaveLength(0)
    await expect(get(await root({ kind: 'params', bytes: 0, chunks: [] }))).rejects.toThrow('lists 0 chunks for 0 bytes')
    expect(await get(await putChunked(ex, 'params', new Uint8Array(0)))).toHaveLength(0)
  })

  it('takes chunk sizes from 1 KiB to the default and refuses smaller or larger', async () => {
    const a = await block(new Uint8Array(1023))
    await expect(get(await root({ kind: 'params', bytes: 1023, chunkBytes: 1023, chunks: [a] }))).rejects.toThrow(`"chunkBytes" must be between 1024 and ${CHUNK_BYTES}`)
    await expect(get(await root({ kind: 'params', bytes: 1023, chunkBytes: CHUNK_BYTES + 1, chunks: [a] }))).rejects.toThrow('"chunkBytes" must be between 1024')
    expect(await get(await root({ kind: 'params', bytes: 1023, chunkBytes: CHUNK_BYTES, chunks: [a] }))).toHaveLength(1023)
  })

  it('refuses a chunk longer or shorter than the root says, in the middle or at the end', async () => {
    const full = await block(new Uint8Array(1024))
    const short = await block(new Uint8Array(1000))
    await expect(get(await root({ kind: 'params', bytes: 2024, chunkBytes: 1024, chunks: [short, full] }))).rejects.toThrow('chunk 0 is 1000 bytes, expected 1024')
    await expect(get(await root({ kind: 'params', bytes: 2000, chunkBytes: 1024, chunks: [full, full] }))).rejects.toThrow('chunk 1 is 1024 bytes, expected 976')
  })

  it('lists at most as many chunks as the byte limit allows', async () => {
    const chunk = await block(new Uint8Array(1024))
    const max = Math.ceil(5000 / 1024) + 1
    await expect(get(await root({ kind: 'params', bytes: 5000, chunkBytes: 1024, chunks: Array(max + 1).fill(chunk) }), 'params', 5000)).rejects.toThrow(`"chunks" has more than ${max} entries`)
  })

  it('salts only volunteers\' work, with a nonce of exactly 32 lowercase hex digits', async () => {
    const nonce = 'ab'.repeat(16)
    const salted = await block(Uint8Array.from([...new Uint8Array(16).fill(0xab), 5, 6]))
    expect(await get(await root({ kind: 'delta', bytes: 2, chunks: [salted], nonce }), 'delta')).toEqual(Uint8Array.of(5, 6))
    await expect(get(await root({ kind: 'delta', bytes: 2, chunks: [salted] }), 'delta')).rejects.toThrow('"nonce" must be a string')
    for (const bad of ['AB'.repeat(16), 'ab'.repeat(15) + 'a', 'zz'.repeat(16)]) await expect(get(await root({ kind: 'delta', bytes: 2, chunks: [salted], nonce: bad }), 'delta')).rejects.toThrow('"nonce" must be 32 hex digits')
    // One digit more or less, before or after 32 good ones, is refused by the pattern; far longer, by length.
    for (const bad of ['a' + nonce, nonce + 'a', 'ab'.repeat(17)]) await expect(get(await root({ kind: 'delta', bytes: 2, chunks: [salted], nonce: bad }), 'delta')).rejects.toThrow('"nonce" must be 32 hex digits')
    await expect(get(await root({ kind: 'delta', bytes: 2, chunks: [salted], nonce: 'ab'.repeat(33) }), 'delta')).rejects.toThrow('"nonce" is longer than 64')
    // Parameters and epoch trees are not salted: a nonce in their root is ignored, the bytes are taken whole.
    const plain = await block(Uint8Array.of(5, 6))
    expect(await get(await root({ kind: 'params', bytes: 2, chunks: [plain], nonce }))).toEqual(Uint8Array.of(5, 6))
    const params = await putChunked(ex, 'params', Uint8Array.of(1, 2, 3))
    expect(JSON.parse(new TextDecoder().decode(await ex.get(parseCid(params))))).toEqual({ kind: 'params', bytes: 3, chunks: [expect.any(String)] })
  })

  it('cuts checkpoints into 16 KiB pieces, larger ones into at most 900, and names the size in the root', async () => {
    const small = await putChunked(ex, 'checkpoint', new Uint8Array(40_000).fill(3))
    const smallRoot = JSON.parse(new TextDecoder().decode(await ex.get(parseCid(small))))
    expect(smallRoot).toMatchObject({ kind: 'checkpoint', bytes: 40_000, chunkBytes: 16 * 1024 })
    expect(smallRoot.chunks).toHaveLength(3)
    expect(await get(small, 'checkpoint', 40_000)).toEqual(new Uint8Array(40_000).fill(3))
    const total = 900 * 16 * 1024 + 4
    const large = JSON.parse(new TextDecoder().decode(await ex.get(parseCid(await putChunked(ex, 'checkpoint', new Uint8Array(total))))))
    expect(large.chunkBytes).toBe(4 * Math.ceil(total / 900 / 4))
    expect(large.chunks).toHaveLength(900)
    const delta = JSON.parse(new TextDecoder().decode(await ex.get(parseCid(await putChunked(ex, 'delta', new Uint8Array(40_000))))))
    expect(delta).not.toHaveProperty('chunkBytes')
    expect(delta.chunks).toHaveLength(1)
  })

  it('fetches only the wanted pieces that exist: each once, whole numbers within range', async () => {
    const cid = await putChunked(ex, 'checkpoint', Uint8Array.from({ length: 5 * 16 * 1024 }, (_, i) => i >> 14))
    const { chunkBytes, pieces } = await getChunkedPieces(ex, cid, 'checkpoint', (n) => [n - 1, 0, 0, -1, 1.5, n, 2], { maxBytes: 1e6 })
    expect(chunkBytes).toBe(16 * 1024)
    expect([...pieces.keys()]).toEqual([4, 0, 2])
    for (const [i, piece] of pieces) expect(piece.every((b) => b === i)).toBe(true)
  })

  it('deletes a payload it stored, root and chunks, and ignores one it never had', async () => {
    const cid = await putChunked(ex, 'params', new Uint8Array(CHUNK_BYTES + 1))
    const chunks = JSON.parse(new TextDecoder().decode(await ex.get(parseCid(cid)))).chunks as string[]
    await deleteChunked(ex, cid)
    expect(await ex.has(parseCid(cid))).toBe(false)
    for (const c of chunks) expect(await ex.has(parseCid(c))).toBe(false)
    await expect(deleteChunked(ex, cid)).resolves.toBeUndefined()
  })

  it('reads float32 values only at the model size and only when finite, from a copy', () => {
    const values = Float32Array.of(1, -2, 3.5)
    const bytes = float32Bytes(values)
    expect(bytes).toHaveLength(12)
    expect(bytesToFloat32(bytes, 3, 'x')).toEqual(values)
    expect(() => bytesToFloat32(bytes, 2, 'checkpoint')).toThrow('checkpoint: has 3 values, the model has 2')
    expect(() => bytesToFloat32(bytes.subarray(0, 8), 3, 'x')).toThrow('has 2 values, the model has 3')
    for (const bad of [NaN, Infinity, -Infinity]) expect(() => bytesToFloat32(float32Bytes(Float32Array.of(0, bad)), 2, 'x')).toThrow(`value 1 is ${bad}`)
    // A view into a larger buffer (a Node Buffer from a pool) is read at its own offset, not the buffer's start.
    const pooled = new Uint8Array(20)
    pooled.set(bytes, 4)
    expect(bytesToFloat32(pooled.subarray(4, 16), 3, 'x')).toEqual(values)
    expect(float32Bytes(new Float32Array(pooled.buffer, 4, 3))).toEqual(bytes)
    // Handed over, a buffer of its own is read in place; a view into a larger one is still copied.
    const own = float32Bytes(values)
    expect(bytesToFloat32(own, 3, 'x', true).buffer).toBe(own.buffer)
    expect(bytesToFloat32(own, 3, 'x').buffer).not.toBe(own.buffer)
    const read = bytesToFloat32(pooled.subarray(4, 16), 3, 'x', true)
    expect(read.buffer).not.toBe(pooled.buffer)
    expect(read).toEqual(values)
    expect(() => bytesToFloat32(float32Bytes(Float32Array.of(NaN, 0)), 2, 'x', true)).toThrow('value 0 is NaN')
  })

  it('views float32 values as bytes without a copy (for salted payloads)', () => {
    const values = Float32Array.of(0, 1, 2, 3)
    const view = float32View(values.subarray(1, 3))
    expect(view.buffer).toBe(values.buffer)
    expect([view.byteOffset, view.byteLength]).toEqual([4, 8])
    expect(view).toEqual(float32Bytes(Float32Array.of(1, 2)))
  })
})

