import { describe, expect, it } from 'vitest'
import { contentSecurityPolicy, pageHeaders, relayOrigin } from './page-headers.ts'
import { decodeStackConfig, type StackConfig } from './stack-config.ts'

const config: StackConfig = {
  relayAddrs: ['/dns4/relay.example.org/tcp/443/tls/ws/p2p/12D3KooWRelayA', '/ip6/2001:db8::1/tcp/9090/ws/p2p/12D3KooWRelayB'],
  iceServers: [],
  chain: { rpcUrl: 'https://rpc.example.net/v1/secret-path?key=1', chainId: 11155111, name: 'Sepolia', local: false },
}

describe('page headers', () => {
  it('maps relay multiaddrs to the WebSocket origins a browser dials', () => {
    expect(relayOrigin('/ip4/10.0.0.1/tcp/9090/ws/p2p/12D3KooWX')).toBe('ws://10.0.0.1:9090')
    expect(relayOrigin('/dns4/relay.example.org/tcp/443/tls/ws/p2p/12D3KooWX')).toBe('wss://relay.example.org:443')
    expect(relayOrigin('/dns/relay.example.org/tcp/443/wss/p2p/12D3KooWX')).toBe('wss://relay.example.org:443')
    expect(relayOrigin('/dns4/relay.example.org/tcp/443/tls/sni/relay.example.org/ws/p2p/12D3KooWX')).toBe('wss://relay.example.org:443')
    expect(relayOrigin('/ip6/::1/tcp/9090/ws/p2p/12D3KooWX')).toBe('ws://[::1]:9090')
  })

  it('refuses relay addresses a browser cannot dial, so the config fails loudly instead of the page', () => {
    for (const bad of ['/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWX', '/ip4/10.0.0.1/udp/4001/quic-v1/p2p/12D3KooWX', '/dnsaddr/bootstrap.example/p2p/12D3KooWX', '/ip4/10.0.0.1/tcp/x/ws/p2p/12D3KooWX']) {
      expect(() => relayOrigin(bad), bad).toThrow(/not one a browser can dial/)
      expect(() => decodeStackConfig(JSON.stringify({ ...config, relayAddrs: [bad] })), bad).toThrow(/not one a browser can dial/)
    }
  })

  it('lets the page connect to its own origin, its relays and its RPC origin, and nothing else', () => {
    const csp = contentSecurityPolicy(config)
    expect(csp).toContain("connect-src 'self' wss://relay.example.org:443 ws://[2001:db8::1]:9090 https://rpc.example.net;")
    // The RPC's path and key stay out of the header: CSP needs only the origin.
    expect(csp).not.toContain('secret-path')
    for (const directive of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) expect(csp).toContain(directive)
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toMatch(/'unsafe-eval'/)
  })

  it('sends isolation, referrer and permissions policies with it', () => {
    const headers = pageHeaders(config)
    expect(headers['Cross-Origin-Embedder-Policy']).toBe('require-corp')
    expect(headers['Cross-Origin-Opener-Policy']).toBe('same-origin')
    expect(headers['Referrer-Policy']).toBe('no-referrer')
    expect(headers['Permissions-Policy']).toMatch(/(^|, )camera=\(\)/)
    expect(headers['Permissions-Policy']).toMatch(/(^|, )microphone=\(\)/)
  })
})
