import { describe, expect, it } from 'vitest'
import { decodePresence, encodePresence, MAX_PRESENCE_BYTES, type Presence } from './presence.ts'

const alice: Presence = {
  peerId: '12D3KooWAlice',
  addrs: ['/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWRelay/p2p-circuit/webrtc/p2p/12D3KooWAlice'],
  backend: 'webgpu',
  sentAtMs: 1_700_000_000_000,
}

describe('presence codec', () => {
  it('round-trips an announcement from its signer', () => {
    expect(decodePresence(encodePresence(alice), alice.peerId)).toEqual(alice)
  })

  it('rejects an announcement that impersonates another peer', () => {
    expect(() => decodePresence(encodePresence(alice), '12D3KooWMallory')).toThrow(/claims to be 12D3KooWAlice/)
  })

  it('rejects oversized, malformed and ill-typed messages without throwing anything but a DecodeError', () => {
    expect(() => decodePresence(new Uint8Array(MAX_PRESENCE_BYTES + 1), 'x')).toThrow(/exceeds/)
    expect(() => decodePresence(new TextEncoder().encode('{"peerId":'), 'x')).toThrow(/not valid JSON/)
    expect(() => decodePresence(encodePresence({ ...alice, backend: 'cuda' as never }), alice.peerId)).toThrow(/unknown backend/)
    expect(() => decodePresence(encodePresence({ ...alice, addrs: Array(9).fill('/a') }), alice.peerId)).toThrow(/more than 8/)
    expect(() => decodePresence(encodePresence({ ...alice, addrs: ['http://evil'] }), alice.peerId)).toThrow(/not a multiaddr/)
  })

  it('takes an announcement of exactly the size limit, every listed backend, and lists and strings at their limits', () => {
    const padded = new TextEncoder().encode(JSON.stringify(alice).padEnd(MAX_PRESENCE_BYTES, ' '))
    expect(decodePresence(padded, alice.peerId)).toEqual(alice)
    expect(() => decodePresence(new TextEncoder().encode(JSON.stringify(alice).padEnd(MAX_PRESENCE_BYTES + 1, ' ')), alice.peerId)).toThrow(`${MAX_PRESENCE_BYTES + 1} bytes exceeds the ${MAX_PRESENCE_BYTES}-byte limit`)
    for (const backend of ['webgpu', 'wasm', 'unknown'] as const) expect(decodePresence(encodePresence({ ...alice, backend }), alice.peerId).backend).toBe(backend)
    const eight = Array.from({ length: 8 }, (_, i) => `/ip4/10.0.0.${i}/tcp/1`.padEnd(400, '0'))
    expect(decodePresence(encodePresence({ ...alice, addrs: eight.map((a) => a.slice(0, 300)) }), alice.peerId).addrs).toHaveLength(8)
    expect(decodePresence(encodePresence({ ...alice, addrs: ['/'.padEnd(512, 'a')] }), alice.peerId).addrs[0]).toHaveLength(512)
    expect(() => decodePresence(encodePresence({ ...alice, addrs: ['/'.padEnd(513, 'a')] }), alice.peerId)).toThrow('"addrs[0]" is longer than 512')
    const long = 'p'.repeat(128)
    expect(decodePresence(encodePresence({ ...alice, peerId: long }), long).peerId).toBe(long)
    expect(() => decodePresence(encodePresence({ ...alice, peerId: long + 'p' }), long + 'p')).toThrow('"peerId" is longer than 128')
    expect(() => decodePresence(encodePresence({ ...alice, sentAtMs: -1 }), alice.peerId)).toThrow('"sentAtMs" must be between 0')
    expect(() => decodePresence(new TextEncoder().encode('[]'), alice.peerId)).toThrow('presence announcement: expected an object')
    expect(() => decodePresence(encodePresence({ ...alice, addrs: ['/ok', 'ws://x'] }), alice.peerId)).toThrow('address "ws://x" is not a multiaddr')
  })

  it('carries the pipeline stages a peer serves, decoded strictly', () => {
    const stages = [{ job: 'j', params: 'bafy-Params_1', version: 3, stage: 0 }, { job: 'j', params: 'bafy-Params_1', version: 3, stage: 1023 }]
    expect(decodePresence(encodePresence({ ...alice, stages }), alice.peerId).stages).toEqual(stages)
    expect(decodePresence(encodePresence({ ...alice, stages: Array(4).fill(stages[0]) }), alice.peerId).stages).toHaveLength(4)
    expect(() => decodePresence(encodePresence({ ...alice, stages: Array(5).fill(stages[0]) }), alice.peerId)).toThrow('"stages" must be a list of at most 4 stages')
    expect(() => decodePresence(encodePresence({ ...alice, stages: [{ ...stages[0]!, stage: 1024 }] }), alice.peerId)).toThrow('stages[0]: "stage" must be between 0 and 1023')
    expect(() => decodePresence(encodePresence({ ...alice, stages: [{ ...stages[0]!, params: 'a/b' }] }), alice.peerId)).toThrow('"params" is not a content id')
    expect(() => decodePresence(encodePresence({ ...alice, stages: [{ ...stages[0]!, version: -1 }] }), alice.peerId)).toThrow('"version" must be between 0')
    expect(() => decodePresence(new TextEncoder().encode(JSON.stringify({ ...alice, stages: {} })), alice.peerId)).toThrow('"stages" must be a list')
  })
})
