// What runs in the NAT e2e's public namespace: the app server, relay and chain (`npm start`'s stack, with
// STUN and TURN in its config.json) and coturn as STUN + TURN server, each a child process we stop again.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { PUBLIC_IP, TURN_PORT } from './topology.ts'
import type { IceServer } from '../../src/stack/stack-config.ts'

const START = fileURLToPath(new URL('../../server/start.ts', import.meta.url))
export const APP_URL = `http://${PUBLIC_IP}:8080/`

export interface PublicServices {
  iceServers: IceServer[]
  stop(): Promise<void>
}

function inNamespace(ns: string, command: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000))
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  return { child, output: () => output }
}

async function waitFor(what: string, ready: () => boolean, child: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ready()) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${output()}`)
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs / 1000} s:\n${output()}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGTERM')
  })

export async function startPublicServices(ns: string, workDir: string): Promise<PublicServices> {
  const credential = randomBytes(12).toString('hex')
  const turn = inNamespace(ns, 'turnserver', [
    '-n', '--listening-ip', PUBLIC_IP, '--relay-ip', PUBLIC_IP, '--listening-port', String(TURN_PORT), '--min-port', '49152', '--max-port', '49407',
    // One relay thread: with one per core, allocations on the first thread never received their peers' packets here.
    '--relay-threads', '1',
    '--lt-cred-mech', '--user', `tesserae:${credential}`, '--realm', 'tesserae.test', '--fingerprint', '--no-tls', '--no-dtls', '--no-cli',
    '--no-tcp-relay', '--log-file', 'stdout', '--simple-log', '--pidfile', `${workDir}/turnserver.pid`, '--no-software-attribute',
  ])
  const iceServers: IceServer[] = [{ urls: [`stun:${PUBLIC_IP}:${TURN_PORT}`] }, { urls: [`turn:${PUBLIC_IP}:${TURN_PORT}?transport=udp`], username: 'tesserae', credential }]
  const app = inNamespace(ns, process.execPath, [START], {
    TESSERAE_HOST: PUBLIC_IP,
    TESSERAE_DEMO_JOB: 'off',
    TESSERAE_DATA_DIR: `${workDir}/data`,
    TESSERAE_ICE_SERVERS: JSON.stringify(iceServers),
  })
  try {
    await waitFor('coturn', () => /listener opened on|Total (UDP|General) servers/.test(turn.output()), turn.child, turn.output)
    await waitFor('the app stack', () => turn.child.exitCode === null && app.output().includes('Tesserae is running'), app.child, app.output)
  } catch (error) {
    await Promise.all([stop(app.child), stop(turn.child)])
    throw error
  }
  return { iceServers, stop: () => Promise.all([stop(app.child), stop(turn.child)]).then(() => undefined) }
}
