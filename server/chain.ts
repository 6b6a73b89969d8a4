// Runs a local EVM chain (anvil, shipped as a binary inside the @foundry-rs/anvil npm package: no download)
// and waits until it answers JSON-RPC.
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { assertPortFree } from './ports.ts'

export interface RunningChain {
  rpcUrl: string
  chainId: number
  stop(): Promise<void>
}

export const LOCAL_CHAIN_ID = 31337
const READY_TIMEOUT_MS = 20_000

export function anvilBinaryPath(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}/package.json`
  try {
    return join(dirname(createRequire(import.meta.url).resolve(pkg)), 'bin', 'anvil')
  } catch (error) {
    throw new Error(`anvil has no build for ${process.platform}-${process.arch} (${pkg} is not installed)`, { cause: error })
  }
}

/** How often a persistent chain writes its state file, besides on a clean exit: a crash loses at most this. */
const STATE_INTERVAL_SECONDS = 2

/**
 * Starts anvil. With `stateFile` the chain is loaded from that file if it exists and written back to it every
 * couple of seconds and on exit, so roots, claims and bindings outlive a restart; without it the chain is fresh.
 */
export async function startChain(options: { host: string; port: number; stateFile?: string; blockSeconds?: number }): Promise<RunningChain> {
  const rpcUrl = `http://${options.host}:${options.port}`
  // Without this check we could mistake another chain already on the port for our own.
  await assertPortFree(options.host, options.port, 'the local chain (anvil)')
  const args = ['--host', options.host, '--port', String(options.port), '--chain-id', String(LOCAL_CHAIN_ID)]
  // Historical states and blocks come along, so event scans from the deploy block still work after a restart.
  if (options.stateFile) args.push('--state', options.stateFile, '--state-interval', String(STATE_INTERVAL_SECONDS), '--preserve-historical-states')
  // A real chain makes blocks when nobody transacts. Anvil by default does not, and then every read sees the
  // last block's clock: a challenge period or a vote never ends for a page, while the next transaction (mined
  // at the real time) sees it ended. Mixed mining keeps instant blocks for transactions and adds a clock tick.
  if (options.blockSeconds) args.push('--block-time', String(options.blockSeconds), '--mixed-mining')
  const child = spawn(anvilBinaryPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const collect = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-4000) }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`anvil exited with code ${code} before it was ready:\n${output}`))))
  await Promise.race([waitForRpc(rpcUrl), exited]).catch(async (error: unknown) => {
    await stopChild(child)
    throw error
  })
  return { rpcUrl, chainId: LOCAL_CHAIN_ID, stop: () => stopChild(child) }
}

async function waitForRpc(rpcUrl: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const response = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' })
      if (response.ok) return
      lastError = new Error(`HTTP ${response.status}`)
    } catch (error) {
      lastError = error
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`anvil did not answer at ${rpcUrl} within ${READY_TIMEOUT_MS / 1000} s: ${String(lastError)}`)
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolveStop) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000)
    child.once('exit', () => {
      clearTimeout(kill)
      resolveStop()
    })
    child.kill('SIGTERM')
  })
}
