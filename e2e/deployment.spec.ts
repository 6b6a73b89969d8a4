// The README's "Deploying" section, step by step, against anvil standing in for a public chain and a second
// relay started with `npm run relay`: deploy and verify the contracts, add the relay to config.json, build
// with it, publish the build on a plain static host (no headers), and a browser that knows nothing but that
// config.json trains and settles: a funded job, a bound volunteer, an epoch root, a claim.
import { spawn, type ChildProcess } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from '@playwright/test'
import { launchChromium } from './chromium.ts'
import { fundEarnAndClaim } from './settlement-flow.ts'
import { startPlainHost } from './plain-host.ts'
import { startChain } from '../server/chain.ts'
import { freePort } from '../server/ports.ts'
import { ANVIL_KEYS } from '../server/settlement.ts'
import { decodeStackConfig } from '../src/stack/stack-config.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Runs an npm script as the README shows it; resolves with its output once `until` appears (or it exits 0). */
function npmRun(args: string[], env: Record<string, string>, until?: RegExp): Promise<{ child: ChildProcess; output: string }> {
  // The test's network namespace reaches no registry: npm must not go looking for its own updates.
  const child = spawn('npm', ['run', '--silent', ...args], { cwd: ROOT, env: { ...process.env, npm_config_update_notifier: 'false', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  return new Promise((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString()
      if (until?.test(output)) resolve({ child, output })
    }
    child.stdout!.on('data', collect)
    child.stderr!.on('data', collect)
    child.once('exit', (code) => (code === 0 && until === undefined ? resolve({ child, output }) : reject(new Error(`npm run ${args.join(' ')} exited with ${code}:\n${output}`))))
  })
}

test('a fresh deployment from the README: contracts, relay, static build; a browser trains and settles', async () => {
  test.setTimeout(600_000)
  const work = await mkdtemp(join(tmpdir(), 'tesserae-deploy-'))
  // A public chain makes blocks when nobody transacts; so does this stand-in, or a root's challenge period
  // would never end for the pages once the coordinator stops posting.
  const chain = await startChain({ host: '127.0.0.1', port: await freePort('127.0.0.1'), blockSeconds: 2 })
  let relay: ChildProcess | undefined
  let host: Awaited<ReturnType<typeof startPlainHost>> | undefined
  const browser = await launchChromium()
  const startedAt = Date.now()
  const step = (what: string) => console.log(`deployment: ${what} after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`)
  try {
    // 1. Contracts: a funded deployer key, readable only by us.
    const key = join(work, 'deployer.key')
    await writeFile(key, ANVIL_KEYS[3]!)
    await chmod(key, 0o600)
    const config = join(work, 'config.json')
    // Public-chain rules but for the challenge period: the browser below should not wait three days for its claim.
    const deployed = await npmRun(['deploy:contracts', '--', '--rpc', chain.rpcUrl, '--key-file', key, '--config', config, '--name', 'Public chain stand-in', '--min-challenge-seconds', '30'], {})
    expect(deployed.output).toContain('verified')
    expect(deployed.output).toContain("set as the escrow's governor")
    step('contracts deployed and verified')

    // 2. A relay of its own, which adds its address to config.json.
    const relayUp = await npmRun(['relay', '--', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--key-file', join(work, 'relay-key'), '--config', config], {}, /added to/)
    relay = relayUp.child
    const written = decodeStackConfig(await readFile(config, 'utf8'))
    expect(written.relayAddrs).toHaveLength(1)
    expect(written.chain).toMatchObject({ rpcUrl: chain.rpcUrl, local: false })
    step('relay up and in config.json')

    // 3. Build with that config.json, then publish the folder on a host that sends no headers.
    const site = join(work, 'site')
    await npmRun(['build', '--', '--outDir', site, '--emptyOutDir', '--logLevel', 'warn'], { TESSERAE_CONFIG: config })
    expect(decodeStackConfig(await readFile(join(site, 'config.json'), 'utf8'))).toEqual(written)
    const headers = await readFile(join(site, '_headers'), 'utf8')
    expect(headers).toContain(`connect-src 'self' ${new URL(written.relayAddrs[0]!.replace(/^\/ip4\/([^/]+)\/tcp\/(\d+)\/ws.*/, 'ws://$1:$2')).origin} ${new URL(chain.rpcUrl).origin}`)
    host = await startPlainHost(site)
    step('built and published')

    // 4. A browser that has only that config.json trains and settles.
    await fundEarnAndClaim(browser, { appUrl: host.url, rpcUrl: chain.rpcUrl, escrow: written.chain.contracts!.escrow })
    step('a job funded, trained, settled and claimed')
  } finally {
    await browser.close()
    await host?.stop()
    relay?.kill('SIGTERM')
    await chain.stop()
    await rm(work, { recursive: true, force: true })
  }
})
