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
})
