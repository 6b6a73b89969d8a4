import { describe, expect, it } from 'vitest'
import { buildPeerTable, PRESENCE_TTL_MS, shouldDial } from './peer-table.ts'
import type { Presence } from './presence.ts'

const webrtcAddr = (id: string) => `/ip4/127.0.0.1/tcp/1/ws/p2p/R/p2p-circuit/webrtc/p2p/${id}`
const heardFrom = (peerId: string, receivedAtMs: number) => {
  const presence: Presence = { peerId, addrs: [webrtcAddr(peerId)], backend: 'wasm', sentAtMs: receivedAtMs }
  return [peerId, { presence, receivedAtMs }] as const
}

describe('peer table', () => {
  it('merges gossip presence with open connections and hides the relay', () => {
    const table = buildPeerTable(
      new Map([heardFrom('B', 1000)]),
      [
        { peerId: 'B', transport: 'relayed' },
        { peerId: 'B', transport: 'webrtc' },
        { peerId: 'R', transport: 'websockets' },
      ],
      new Set(['R']),
      2000,
    )
    expect(table).toEqual([{ peerId: 'B', backend: 'wasm', transports: ['relayed', 'webrtc'], lastHeardMs: 1000, addrs: [webrtcAddr('B')], stages: [] }])
  })

  it('forgets a silent peer after the TTL unless still connected', () => {
    const heard = new Map([heardFrom('B', 0), heardFrom('C', 0)])
    const table = buildPeerTable(heard, [{ peerId: 'C', transport: 'webrtc' }], new Set(), PRESENCE_TTL_MS + 1)
    expect(table.map((p) => p.peerId)).toEqual(['C'])
    expect(table[0]?.backend).toBeNull()
  })

  it('lets exactly one side of a pair dial, and only until the direct link exists', () => {
    const [, b] = heardFrom('B', 0)
    const view = { peerId: 'B', backend: b.presence.backend, transports: [], lastHeardMs: 0, addrs: b.presence.addrs, stages: [] }
    expect(shouldDial('A', view)).toBe(true)
    expect(shouldDial('C', view)).toBe(false)
    expect(shouldDial('A', { ...view, transports: ['webrtc'] })).toBe(false)
    // Reached directly over WebSockets (a Node coordinator): dialling WebRTC would only hand back that link.
    expect(shouldDial('A', { ...view, transports: ['websockets'] })).toBe(false)
    expect(shouldDial('A', { ...view, transports: ['relayed'] })).toBe(true)
    expect(shouldDial('A', { ...view, addrs: ['/ip4/1.2.3.4/tcp/1/ws/p2p/B'] })).toBe(false)
  })
})
