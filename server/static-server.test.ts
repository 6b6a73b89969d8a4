import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, mkdir, writeFile, rm, symlink } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startStaticServer, type RunningStaticServer } from './static-server.ts'
import { decodeStackConfig, type StackConfig } from '../src/stack/stack-config.ts'

const config: StackConfig = { relayAddrs: ['/ip4/127.0.0.1/tcp/1/ws/p2p/12D3KooWRelay'], iceServers: [], chain: { rpcUrl: 'http://127.0.0.1:8545', chainId: 31337, name: 'anvil', local: true } }
let dir: string
let outside: string
let server: RunningStaticServer

// Raw requests: fetch() would normalise paths like /../ before they reach the server.
function get(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(server.url)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tesserae-static-'))
  await mkdir(join(dir, 'assets'))
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>app</title>')
  await writeFile(join(dir, 'assets', 'ort.wasm'), new Uint8Array([0, 97, 115, 109]))
  await writeFile(join(dir, '..', 'secret.txt'), 'do not serve')
  // Links planted inside the root (a careless deploy, a compromised build step): out of it, and within it.
  outside = await mkdtemp(join(tmpdir(), 'tesserae-outside-'))
  await writeFile(join(outside, 'id_ed25519'), 'private key')
  await symlink(join(dir, '..', 'secret.txt'), join(dir, 'assets', 'leak.txt'))
  await symlink(outside, join(dir, 'assets', 'home'))
  await symlink(join(dir, 'assets', 'ort.wasm'), join(dir, 'ort-latest.wasm'))
  server = await startStaticServer({ rootDir: dir, host: '127.0.0.1', port: 0, config })
})

afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true })
  await rm(join(dir, '..', 'secret.txt'))
  await rm(outside, { recursive: true })
})

describe('static server', () => {
  it('sends cross-origin isolation headers on every response, errors included', async () => {
    for (const path of ['/', '/config.json', '/assets/ort.wasm', '/assets/nope.js']) {
      const { headers } = await get(path)
      expect(headers['cross-origin-opener-policy'], path).toBe('same-origin')
      expect(headers['cross-origin-embedder-policy'], path).toBe('require-corp')
    }
  })

  it('sends a Content-Security-Policy naming only its own origin, the relay and the RPC, on every response', async () => {
    for (const path of ['/', '/research', '/assets/ort.wasm', '/config.json', '/assets/nope.js']) {
      const { headers } = await get(path)
      const csp = String(headers['content-security-policy'])
      expect(csp, path).toContain("connect-src 'self' ws://127.0.0.1:1 http://127.0.0.1:8545;")
      expect(csp, path).toContain("script-src 'self' 'wasm-unsafe-eval';")
      expect(csp, path).toContain("frame-ancestors 'none'")
      expect(headers['referrer-policy'], path).toBe('no-referrer')
      expect(headers['permissions-policy'], path).toContain('camera=()')
      expect(headers['x-content-type-options'], path).toBe('nosniff')
    }
  })

  it('serves the stack config the app decodes, uncached', async () => {
    const response = await get('/config.json')
    expect(decodeStackConfig(response.body)).toEqual(config)
    expect(response.headers['cache-control']).toBe('no-store')
  })

  it('serves wasm with its MIME type and client routes with the app', async () => {
    expect((await get('/assets/ort.wasm')).headers['content-type']).toBe('application/wasm')
    const route = await get('/research/job/42')
    expect(route.status).toBe(200)
    expect(route.body).toContain('<title>app</title>')
  })

  it('never serves files outside its root and rejects bad requests clearly', async () => {
    expect((await get('/..%2fsecret.txt')).status).toBe(403)
    expect((await get('/%E0%A4%A')).status).toBe(400)
    expect((await get('/', 'POST')).status).toBe(405)
    expect((await get('/assets/missing.js')).status).toBe(404)
  })

  it('resolves symlinks and refuses any that lead out of its root', async () => {
    for (const path of ['/assets/leak.txt', '/assets/home/id_ed25519', '/assets/home']) {
      const response = await get(path)
      expect(response.status, path).toBe(403)
      expect(response.body, path).not.toContain('private key')
      expect(response.body, path).not.toContain('do not serve')
    }
    const inside = await get('/ort-latest.wasm')
    expect(inside.status).toBe(200)
    expect(inside.headers['content-type']).toBe('application/wasm')
  })

  it('refuses to start without a built app', async () => {
    await expect(startStaticServer({ rootDir: join(dir, 'nope'), host: '127.0.0.1', port: 0, config })).rejects.toThrow(/npm run build/)
  })
})
