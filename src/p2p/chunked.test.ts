// Chunked payloads over real Bitswap between two Node peers: round trip, and a hostile root is refused before
// anything large is fetched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { multiaddr } from '@multiformats/multiaddr'
import { createNodePeer, type NodePeer } from './node-peer.ts'
import { BlockExchange } from './block-exchange.ts'
import { CHUNK_BYTES, getChunked, putChunked } from './chunked.ts'

describe('chunked payloads over Bitswap', () => {
  let a: NodePeer
  let b: NodePeer
  let ea: BlockExchange
  let eb: BlockExchange
  beforeAll(async () => {
    a = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
    b = await createNodePeer()
    ea = await BlockExchange.start(a, new MemoryBlockstore())
    eb = await BlockExchange.start(b, new MemoryBlockstore())
    await b.dial(multiaddr(a.getMultiaddrs()[0]!.toString()))
  })
  afterAll(async () => {
    await ea.stop()
    await eb.stop()
    await b.stop()
    await a.stop()
  })

  it('moves a multi-chunk payload and verifies every block', async () => {
    const payload = Uint8Array.from({ length: 2 * CHUNK_BYTES + 123 }, (_, i) => (i * 31) & 255)
    const root = await putChunked(ea, 'params', payload)
    const got = await getChunked(eb, root, 'params', { maxBytes: 4 * CHUNK_BYTES, providers: [a.peerId], timeoutMs: 10_000 })
    expect(got).toEqual(payload)
    expect(eb.stats.bytesFetched).toBeGreaterThan(payload.length)
  })

  it('refuses a root of the wrong kind or over the size limit', async () => {
    const root = await putChunked(ea, 'delta', new Uint8Array(10))
    await expect(getChunked(eb, root, 'params', { maxBytes: 100, providers: [a.peerId], timeoutMs: 10_000 })).rejects.toThrow(/"delta" payload/)
    const big = await putChunked(ea, 'params', new Uint8Array(CHUNK_BYTES + 1))
    await expect(getChunked(eb, big, 'params', { maxBytes: 1000, providers: [a.peerId], timeoutMs: 10_000 })).rejects.toThrow(/bytes/)
  })

  it('times out with a clear error when nobody has the block', async () => {
    await expect(getChunked(eb, 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', 'params', { maxBytes: 100, timeoutMs: 1500 })).rejects.toThrow(/no peer delivered/)
  })
})
