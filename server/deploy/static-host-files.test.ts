import { describe, expect, it } from 'vitest'
import { headersFile, precacheList } from './static-host-files.ts'
import { pageHeaders } from '../../src/stack/page-headers.ts'
import type { StackConfig } from '../../src/stack/stack-config.ts'

const config: StackConfig = {
  relayAddrs: ['/dns4/relay.example.org/tcp/443/tls/ws/p2p/12D3KooWRelay'],
  iceServers: [],
  chain: { rpcUrl: 'https://rpc.example.net', chainId: 11155111, name: 'Sepolia', local: false },
}

/** Netlify's `_headers` grammar: a path line, then indented `Name: value` lines. */
function parse(text: string): Map<string, Record<string, string>> {
  const rules = new Map<string, Record<string, string>>()
  let current: Record<string, string> | null = null
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue
    if (!line.startsWith(' ')) rules.set(line, (current = {}))
    else {
      const at = line.indexOf(':')
      current![line.slice(0, at).trim()] = line.slice(at + 1).trim()
    }
  }
  return rules
}

describe('static host files', () => {
  it('gives every path the same headers the Node server sends, and caches by kind of file', () => {
    const rules = parse(headersFile(config))
    expect(rules.get('/*')).toEqual(pageHeaders(config))
    expect(rules.get('/assets/*')).toEqual({ 'Cache-Control': 'public, max-age=31536000, immutable' })
    expect(rules.get('/config.json')).toEqual({ 'Cache-Control': 'no-store' })
    expect(rules.get('/sw.js')).toEqual({ 'Cache-Control': 'no-cache' })
  })

  it('precaches the app and leaves out source maps, deployment files and demo data', () => {
    const files = ['index.html', 'assets/index-a1.js', 'assets/index-a1.js.map', 'assets/ort-wasm-simd-threaded-b2.wasm', 'sw.js', 'config.json', '_headers', '_redirects', '404.html', 'datasets/fashion-mnist/train-images-idx3-ubyte.gz', 'favicon.svg', 'manifest.webmanifest']
    expect(precacheList(files)).toEqual(['/assets/index-a1.js', '/assets/ort-wasm-simd-threaded-b2.wasm', '/favicon.svg', '/index.html', '/manifest.webmanifest'])
  })
})
