import { describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { webSocketDialAllowed } from './browser-node.ts'

const RELAY = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
const PEER = '12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV'
const origins = new Set(['wss://relay.example.org:443', 'ws://127.0.0.1:9090'])
const allowed = (addr: string) => webSocketDialAllowed(origins, multiaddr(addr))

describe('which addresses a tab dials', () => {
  it('opens WebSockets only to its relays, circuits through them included', () => {
    expect(allowed(`/dns4/relay.example.org/tcp/443/tls/ws/p2p/${RELAY}`)).toBe(true)
    expect(allowed(`/ip4/127.0.0.1/tcp/9090/ws/p2p/${RELAY}`)).toBe(true)
    expect(allowed(`/ip4/127.0.0.1/tcp/9090/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`)).toBe(true)
  })

  it('refuses a WebSocket anywhere else, such as a Node coordinator on another port or host', () => {
    expect(allowed(`/ip4/127.0.0.1/tcp/41234/ws/p2p/${PEER}`)).toBe(false)
    expect(allowed(`/dns4/coordinator.example.org/tcp/443/tls/ws/p2p/${PEER}`)).toBe(false)
    expect(allowed(`/ip4/203.0.113.9/tcp/9090/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`)).toBe(false)
  })

  it('leaves addresses without a WebSocket to their transports', () => {
    expect(allowed(`/p2p/${PEER}`)).toBe(true)
    expect(allowed(`/webrtc/p2p/${PEER}`)).toBe(true)
  })
})
