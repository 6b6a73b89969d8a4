// Auditing in real Chromium and from the terminal against the e2e stack's chain and swarm: two Node coordinators
// run funded jobs side by side, one honest and one that pays itself from its second root on (its signed job log
// stays honest). A headless volunteer bound to a wallet works for each. `npm run audit` and the Audit page pass
// the honest job and name the dishonest one's doctored leaf: the coordinator's own account, paid what no one earned.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, test } from '@playwright/test'
import { createPublicClient, http, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { launchChromium } from './chromium.ts'
import { expectAccessible } from './pages.ts'
import { recordViolations } from './violations.ts'
import { ANVIL_KEYS, fundLocalJob, LOCAL_ESCROW, LOCAL_OWNER } from '../server/settlement.ts'
import { loadFashionMnist } from '../server/fashion-mnist.ts'
import { startHeadlessCoordinator, startHeadlessVolunteer } from '../server/swarm/headless.ts'
import { bindingTypedData } from '../src/ledger/binding.ts'
import { readEscrowJob } from '../src/ledger/escrow.ts'
import { jobKey } from '../src/ledger/job-key.ts'
import { sendBinding } from '../src/roles/rewards-client.ts'
import { paysItself } from '../src/roles/testing/settlement-adversaries.ts'
import { decodeStackConfig } from '../src/stack/stack-config.ts'

const APP = process.env.TESSERAE_URL!
const RPC = process.env.TESSERAE_RPC_URL!
const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Runs the audit CLI as a user would (it must not block this process, whose coordinators serve the log). */
function auditCli(jobId: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['server/audit.ts', jobId, '--config', new URL('/config.json', APP).toString(), '--listen-seconds', '60'], { cwd: ROOT, timeout: 120_000 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 2) : 0, out, err })
    })
  })
}

test('the audit passes an honest job and names the leaf a dishonest coordinator paid itself, in the CLI and the page', async () => {
  test.setTimeout(300_000)
  const config = decodeStackConfig(await (await fetch(new URL('/config.json', APP))).text())
  const chain = createPublicClient({ transport: http(RPC) })
  const relayAddrs = process.env.TESSERAE_RELAY_ADDRS!.split(' ')
  const data = fileURLToPath(new URL('../public/datasets/fashion-mnist', import.meta.url))
  const [train, testSet] = await Promise.all([loadFashionMnist('train', data), loadFashionMnist('test', data)])
  const peers: Array<{ stop(): Promise<void> }> = []
  // What the Node peers said, attached to the report (shown when the test fails).
  const peerLog: string[] = []
  const browser = await launchChromium()
  try {
    const start = async (name: string, dishonest: boolean, wallet: number) => {
      const c = await startHeadlessCoordinator({
        relayAddrs, dataDir: null, host: '127.0.0.1', webrtc: true, train, test: testSet, shardSize: 250, chain: config.chain, evalLimit: 100, log: (line) => peerLog.push(`[${name}] ${line}`),
        overrides: { name, model: 'mlp', roundMs: 6000, unitsPerRound: 2, innerSteps: 4, batchSize: 16, auditRate: 0.5, reward: { amount: parseEther('1').toString(), symbol: 'ETH', decimals: 18, dataShareBps: 0, owner: LOCAL_OWNER } },
        settlementAdversary: dishonest ? paysItself(parseEther('0.01'), 2) : undefined,
      })
      peers.push(c)
      await fundLocalJob({ rpcUrl: RPC, chainId: config.chain.chainId, escrow: config.chain.contracts!.escrow, jobId: c.job.id, coordinator: c.chainAccount!, amountEth: '1', days: 1, challengeSeconds: LOCAL_ESCROW.minChallengeSeconds })
      const v = await startHeadlessVolunteer({ relayAddrs, dataDir: null, jobId: c.job.id, log: (line) => peerLog.push(`[volunteer for ${name}] ${line}`) })
      peers.push(v)
      const account = privateKeyToAccount(ANVIL_KEYS[wallet]!)
      const binding = { job: c.job.id, peer: v.node.peerId.toString(), wallet: account.address, expiry: Math.floor(Date.now() / 1000) + 3600 }
      const addrs = c.node.getMultiaddrs().map((a) => a.toString()).filter((a) => a.includes('/ws/') && !a.includes('p2p-circuit'))
      await sendBinding(v.node, { job: c.job, addrs }, { ...binding, signature: await account.signTypedData(bindingTypedData(binding, { chainId: config.chain.chainId, escrow: config.chain.contracts!.escrow })) })
      return c
    }
    const honest = await start('Audit: honest job', false, 2)
    const dishonest = await start('Audit: self-paying job', true, 3)
    // Two roots each: the dishonest coordinator's second one pays itself.
    for (const c of [honest, dishonest]) {
      await expect.poll(async () => (await readEscrowJob(chain, config.chain.contracts!.escrow, jobKey(LOCAL_OWNER, c.job.id)))?.epoch ?? 0n, { timeout: 180_000, intervals: [2000] }).toBeGreaterThanOrEqual(2n)
    }
    const [good, bad] = await Promise.all([auditCli(honest.job.id), auditCli(dishonest.job.id)])
    expect(good.code, `${good.out}\n${good.err}`).toBe(0)
    expect(good.out).toMatch(/^Sound: all [0-9]+ epoch roots recompute from the signed job log/m)
    expect(bad.code, bad.err).toBe(1)
    expect(bad.out).toContain(`FIRST [LEAF_MISMATCH] epoch 2: the posted tree pays ${dishonest.chainAccount}`)
    expect(bad.out).toMatch(/but the job log gives no leaf/)
    const page = await (await browser.newContext()).newPage()
    // The page fetches the job log from the Node coordinators and reads the chain, all under the page's CSP.
    const violations = await recordViolations(page)
    await page.goto(new URL(`/audit?job=${encodeURIComponent(dishonest.job.id)}`, APP).toString())
    await expect(page.getByTestId('audit-job')).toHaveValue(dishonest.job.id, { timeout: 60_000 })
    await page.getByTestId('run-audit').click()
    await expect(page.getByTestId('audit-verdict')).toHaveAttribute('data-ok', 'false', { timeout: 120_000 })
    const first = page.getByTestId('audit-findings').locator('li').first()
    await expect(first).toHaveAttribute('data-code', 'LEAF_MISMATCH')
    await expect(first).toHaveAttribute('data-wallet', dishonest.chainAccount!)
    await expect(first).toHaveAttribute('data-epoch', '2')
    await expectAccessible(page, 'the Audit page with a discrepancy')
    await page.getByTestId('audit-job').selectOption(honest.job.id)
    await page.getByTestId('run-audit').click()
    await expect(page.getByTestId('audit-verdict')).toHaveAttribute('data-ok', 'true', { timeout: 120_000 })
    await expect(page.getByTestId('audit-verdict')).toContainText('Sound')
    expect(await violations()).toEqual([])
  } finally {
    await browser.close()
    for (const p of peers.reverse()) await p.stop().catch(() => undefined)
    await test.info().attach('node peers', { body: peerLog.join('\n'), contentType: 'text/plain' })
  }
})
