// `npm run relay` as an operator runs it: settings from flags and environment, a key file that keeps its
// identity across restarts, and its own TLS certificate so browsers on https pages can dial wss://.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { DEFAULT_LISTEN, parseRelaySettings } from './relay-options.ts'
import { DEFAULT_RELAY_LIMITS } from '../src/p2p/relay-limits.ts'
import { createNodePeer } from '../src/p2p/node-peer.ts'

const CLI = fileURLToPath(new URL('./relay.ts', import.meta.url))
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tesserae-relay-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true })
})

/** Starts the relay CLI and resolves with its printed config.json addresses. */
async function startRelayCli(args: string[]): Promise<{ child: ChildProcess; addrs: string[] }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const addrs = await new Promise<string[]>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const line = /"relayAddrs": (\[.*\])/.exec(output)
      if (line) resolve(JSON.parse(line[1]!) as string[])
    })
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}:\n${output}`)))
  })
  return { child, addrs }
}

const stopped = (child: ChildProcess) => new Promise<number | null>((resolve) => {
  child.once('exit', resolve)
  child.kill('SIGTERM')
})

describe('relay settings', () => {
  it('takes limits from flags before the environment, in the units it documents', () => {
    const settings = parseRelaySettings(['--max-connections-per-ip', '16', '--ban-seconds', '30'], { TESSERAE_RELAY_MAX_CONNECTIONS_PER_IP: '99', TESSERAE_RELAY_MAX_RESERVATIONS: '10', TESSERAE_RELAY_ANNOUNCE: '/dns4/a.example/tcp/443/tls/ws /dns4/b.example/tcp/443/tls/ws' })
    expect(settings.limits).toEqual({ ...DEFAULT_RELAY_LIMITS, maxConnectionsPerIp: 16, banMs: 30_000, maxReservations: 10 })
    expect(settings.announce).toEqual(['/dns4/a.example/tcp/443/tls/ws', '/dns4/b.example/tcp/443/tls/ws'])
    expect(settings.listen).toEqual([DEFAULT_LISTEN])
  })

  it('refuses what it cannot honour, saying why', () => {
    expect(() => parseRelaySettings(['--max-connections', '0'], {})).toThrow(/positive number/)
    expect(() => parseRelaySettings(['--listen', 'tcp://0.0.0.0:9090'], {})).toThrow(/not a multiaddr/)
    expect(() => parseRelaySettings(['--announce', '/dns4/a.example/tcp/443/tls/ws/p2p/12D3KooWX'], {})).toThrow(/peer id/)
    expect(() => parseRelaySettings(['--listen', '/ip4/0.0.0.0/tcp/443/tls/ws'], {})).toThrow(/--tls-cert/)
    expect(() => parseRelaySettings(['--tls-cert', 'c.pem'], {})).toThrow(/go together/)
  })
})

describe('npm run relay', () => {
  it('serves wss:// with its own certificate and keeps its peer id in a private key file across restarts', async () => {
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')]
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
    } catch (error) {
      throw new Error('this test makes a self-signed certificate with openssl (Debian package "openssl")', { cause: error })
    }
    execFileSync('chmod', ['600', key])
    const args = ['--listen', '/ip4/127.0.0.1/tcp/0/tls/ws', '--tls-cert', cert, '--tls-key', key, '--key-file', join(dir, 'relay-key')]
    const first = await startRelayCli(args)
    const wss = first.addrs.find((a) => a.includes('/tls/ws/'))!
    expect(wss).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/tls\/ws\/p2p\/12D3KooW/)
    expect((await stat(join(dir, 'relay-key'))).mode & 0o777).toBe(0o600)

    // A client that trusts this certificate (as a browser trusts a real one) connects over TLS.
    const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'
    const client = await createNodePeer()
    try {
      const connection = await client.dial(multiaddr(wss))
      expect(connection.remoteAddr.toString()).toContain('/tls/ws')
    } finally {
      await client.stop()
      if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous
    }
    expect(await stopped(first.child)).toBe(0)

    const second = await startRelayCli(args)
    expect(second.addrs[0]!.split('/p2p/')[1]).toBe(wss.split('/p2p/')[1])
    await stopped(second.child)
  })
})
