import { describe, expect, it } from 'vitest'
import { transportKind } from './transport-kind.ts'

describe('transportKind', () => {
  it('tells a direct WebRTC connection from a relayed one', () => {
    expect(transportKind('/ip4/127.0.0.1/tcp/4001/ws/p2p/R/p2p-circuit/webrtc/p2p/B')).toBe('webrtc')
    expect(transportKind('/ip4/127.0.0.1/tcp/4001/ws/p2p/R/p2p-circuit/p2p/B')).toBe('relayed')
  })

  it('recognises the relay link and other transports', () => {
    expect(transportKind('/ip4/127.0.0.1/tcp/4001/ws/p2p/R')).toBe('websockets')
    expect(transportKind('/ip4/1.2.3.4/udp/1/webrtc-direct/certhash/u/p2p/X')).toBe('webrtc-direct')
    expect(transportKind('/ip4/127.0.0.1/tcp/4002')).toBe('tcp')
    expect(transportKind('/memory/1')).toBe('other')
  })
})
