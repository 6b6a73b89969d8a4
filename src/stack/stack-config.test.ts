import { describe, expect, it } from 'vitest'
import { decodeStackConfig, encodeStackConfig, type StackConfig } from './stack-config.ts'

const good: StackConfig = {
  relayAddrs: ['/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWExample'],
  iceServers: [],
  chain: { rpcUrl: 'http://127.0.0.1:8545', chainId: 31337, name: 'anvil', local: true },
}

describe('stack config', () => {
  it('round-trips a valid config', () => {
    expect(decodeStackConfig(encodeStackConfig(good))).toEqual(good)
  })

  it('rejects a relay address without a peer id', () => {
    const bad = { ...good, relayAddrs: ['/ip4/127.0.0.1/tcp/4001/ws'] }
    expect(() => decodeStackConfig(JSON.stringify(bad))).toThrow(/must be a multiaddr ending in \/p2p/)
  })

  it('rejects a non-http rpc url and a missing chain id', () => {
    expect(() => decodeStackConfig(JSON.stringify({ ...good, chain: { ...good.chain, rpcUrl: 'file:///etc/passwd' } }))).toThrow(/http\(s\) URL/)
    expect(() => decodeStackConfig(JSON.stringify({ ...good, chain: { rpcUrl: 'http://x', name: 'x' } }))).toThrow(/chainId/)
  })

  it('rejects an ICE server that is not a STUN or TURN url', () => {
    expect(() => decodeStackConfig(JSON.stringify({ ...good, iceServers: ['http://x'] }))).toThrow(/stun: or turn:/)
    expect(() => decodeStackConfig(JSON.stringify({ ...good, iceServers: [{ urls: ['turn:x:3478', 'ftp://x'], username: 'u', credential: 'p' }] }))).toThrow(/stun: or turn:/)
  })

  it('reads STUN shorthand and TURN with credentials, and refuses TURN without them', () => {
    const iceServers = ['stun:stun.example.org:3478', { urls: 'turn:turn.example.org:3478?transport=udp', username: 'tesserae', credential: 'secret' }]
    expect(decodeStackConfig(JSON.stringify({ ...good, iceServers })).iceServers).toEqual([
      { urls: ['stun:stun.example.org:3478'] },
      { urls: ['turn:turn.example.org:3478?transport=udp'], username: 'tesserae', credential: 'secret' },
    ])
    expect(() => decodeStackConfig(JSON.stringify({ ...good, iceServers: ['turn:turn.example.org:3478'] }))).toThrow(/needs a "username" and a "credential"/)
  })

  it('rejects oversized and non-JSON bodies with a clear error', () => {
    expect(() => decodeStackConfig('x'.repeat(20_000))).toThrow(/limit is 16384/)
    expect(() => decodeStackConfig('<html>')).toThrow(/not valid JSON/)
  })
})
