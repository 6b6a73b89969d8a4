// A researcher's tab coordinates a staged job (issue 19): on the Research page the owner brings a text, sizes
// a transformer, splits it into 3 stages by a memory per tab and their own cuts, and funds its reward pool from
// their wallet; the tab announces the job, gives each of two joining Node volunteers and a volunteer's tab a
// stage, drives every step's micro-batch through them over WebRTC, merges each stage group, audits every new
// replica and credits each peer's FLOPs per stage. The volunteer's tab bound its wallet on the Ledger page (over
// the stage protocol) and is paid its verified work in an epoch root on chain, which its Volunteer page shows;
// the Audit page recomputes every root from the staged rounds in the job log. The job runs its rounds to the end
// with the loss falling; its volunteers then serve the final version stage by stage, and a visitor whose tab may
// use 1 MiB writes with the model through them (the volunteer tab among them); a reload of the researcher's tab
// resumes the job from IndexedDB.
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { createPublicClient, getAddress, http, parseEther, type Address } from 'viem'
import { launchChromium } from './chromium.ts'
import { DESKTOP, expectAccessible, peerIdOf } from './pages.ts'
import { injectWallet } from './wallet.ts'
import { bindTab, connectWallet, earningsOn } from './ledger.ts'
import { startHeadlessStageVolunteer } from '../server/swarm/headless.ts'
import { sharedDatasetsDir } from '../server/fashion-mnist.ts'
import { ANVIL_KEYS } from '../server/settlement.ts'
import { decodeStackConfig } from '../src/stack/stack-config.ts'
import { readEscrowJob } from '../src/ledger/escrow.ts'
import { jobKey } from '../src/ledger/job-key.ts'

const APP = process.env.TESSERAE_URL!
const RPC = process.env.TESSERAE_RPC_URL!

test('an owner splits a text model into 3 stages and funds its pool; volunteers train it to the end and a bound tab is paid on chain; the audit recomputes every root; a reload resumes it', async () => {
  test.setTimeout(420_000)
  const relayAddrs = process.env.TESSERAE_RELAY_ADDRS!.split(' ')
  const config = decodeStackConfig(await (await fetch(new URL('/config.json', APP))).text())
  const escrow = config.chain.contracts!.escrow
  const chain = createPublicClient({ transport: http(RPC) })
  const peerLog: string[] = []
  const peers: Array<{ stop(): Promise<void> }> = []
  const browser = await launchChromium()
  try {
    const context = await browser.newContext({ viewport: DESKTOP })
    const researcher: Address = await injectWallet(context, ANVIL_KEYS[1]!, RPC)
    const page = await context.newPage()
    page.on('console', (m) => m.text().includes('[staged coordinator]') && peerLog.push(`[tab] ${m.text()}`))
    await connectWallet(page, APP, researcher)
    await page.getByRole('link', { name: 'Research' }).click()
    await expect(page.getByTestId('self-peer-id')).toHaveText(/^12D3KooW/, { timeout: 60_000 })
    await expect(page.getByTestId('funding-note')).toContainText('escrows the reward pool')
    const form = page.getByTestId('coordinator-panel')
    await form.getByLabel('Job name').fill('Dictionary in three stages')
    await form.getByTestId('source-own').check()
    await form.getByTestId('own-file').setInputFiles(join(sharedDatasetsDir(), 'text', 'devils-dictionary.txt'))
    await form.getByLabel('Context (tokens)').fill('16')
    // Wide enough (about 1.9 MiB to run) that a visitor's tab limited to 1 MiB uses it through the volunteers.
    await form.getByLabel('Width', { exact: true }).fill('96')
    await expect(form.getByTestId('own-summary')).toContainText('context 16')
    const fields = { innerSteps: '8', batchSize: '8', innerLr: '0.003', outerLr: '0.7', outerMomentum: '0.5', rounds: '3' }
    for (const [field, value] of Object.entries(fields)) await form.locator(`#job-${field}`).fill(value)

    // Split: a memory the whole model does not fit is refused as it is typed, then the owner's cuts.
    await form.getByTestId('split-stages').check()
    await form.getByTestId('stage-memory').fill('4096')
    await expect(form.getByText(/whole model fits 4096 MiB in one tab/)).toBeVisible()
    await form.getByTestId('stage-memory').fill('64')
    await form.getByTestId('stage-cuts').fill('3, 2')
    await expect(form.getByText('the cuts must rise, each once')).toBeVisible()
    await form.getByTestId('stage-cuts').fill('2, 4')
    await expect(form.getByTestId('stage-plan')).toHaveAttribute('data-stages', '3')
    await expect(form.getByTestId('stage-plan')).toHaveAttribute('data-cuts', '2,4')
    await expect(form.getByTestId('stage-plan')).toContainText('paid from the reward pool for their verified work')
    await expectAccessible(page, 'the job form with stages')
    await form.getByRole('button', { name: 'Start the job' }).click()

    const panel = page.getByTestId('staged-panel')
    await expect(panel).toBeVisible({ timeout: 120_000 })
    const jobId = (await panel.getAttribute('data-job-id'))!
    // The job as this browser keeps it: split as the form said, its pool escrowed by the owner's wallet, all of it
    // for volunteers (the job trains on the owner's own data).
    const saved = await page.evaluate(() => new Promise<unknown>((resolve, reject) => {
      const open = indexedDB.open('tesserae')
      open.onerror = () => reject(open.error)
      open.onsuccess = () => {
        const get = open.result.transaction('jobs').objectStore('jobs').get('coordinated-0')
        get.onerror = () => reject(get.error)
        get.onsuccess = () => resolve(get.result)
      }
    }))
    expect(saved).toMatchObject({ id: jobId, stages: { cuts: [2, 4], microBatch: 8 } })
    expect((saved as { reward?: { dataShareBps: number; owner: string } }).reward).toMatchObject({ dataShareBps: 0, owner: getAddress(researcher) })
    const key = jobKey(researcher, jobId)
    expect(await readEscrowJob(chain, escrow, key)).toMatchObject({ owner: getAddress(researcher), deposited: parseEther('1'), epoch: 0n })
    await expect(panel.getByTestId('stage-map')).toHaveAttribute('data-stages', '3')

    // A volunteer's tab binds its wallet to the staged job on the Ledger page, then donates by the share link.
    const volunteerContext = await browser.newContext()
    const wallet: Address = await injectWallet(volunteerContext, ANVIL_KEYS[2]!, RPC)
    const volunteer = await volunteerContext.newPage()
    volunteer.on('console', (m) => m.text().includes('[stage]') && peerLog.push(`[volunteer tab] ${m.text()}`))
    await connectWallet(volunteer, APP, wallet)
    await bindTab(volunteer, jobId, wallet)
    await volunteer.goto(new URL(`/?job=${encodeURIComponent(jobId)}`, APP).toString())
    await volunteer.getByTestId('donate').click({ timeout: 60_000 })
    const tabPeer = await peerIdOf(volunteer)
    for (let i = 0; i < 2; i++) peers.push(await startHeadlessStageVolunteer({ relayAddrs, dataDir: null, webrtc: true, jobId, log: (line) => peerLog.push(`[node ${i}] ${line}`) }))

    // Three rounds, each with all its steps, every stage merged: the job is finished.
    await expect(panel, peerLog.join('\n')).toHaveAttribute('data-finished', 'true', { timeout: 240_000 })
    const rows = panel.getByTestId('staged-round-row')
    await expect(rows).toHaveCount(3)
    const history = await rows.evaluateAll((trs) => trs.map((tr) => ({ steps: Number(tr.getAttribute('data-steps')), loss: Number(tr.getAttribute('data-loss')) })))
    expect(history.map((r) => r.steps), peerLog.join('\n')).toEqual([8, 8, 8])
    expect(history[2]!.loss).toBeLessThan(history[0]!.loss)
    // Every version is scored on the job's held-out windows through the tab's own stage engines.
    const heldOut = panel.getByTestId('staged-held-out')
    const start = Number(await heldOut.getAttribute('data-start'))
    expect(start).toBeGreaterThan(3)
    expect(Number(await heldOut.getAttribute('data-now'))).toBeLessThan(start)
    await expect(heldOut).toContainText('bits per character')
    await expect(panel).toHaveAttribute('data-version', '3')
    // Every volunteer was paid for its stage's FLOPs, and every new replica with a call to check was audited.
    const credit = panel.getByTestId('staged-credit-row')
    await expect(credit).toHaveCount(3)
    for (const flops of await credit.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-flops'))))) expect(flops).toBeGreaterThan(0)
    expect(Number(await panel.getByTestId('staged-audits').getAttribute('data-run'))).toBeGreaterThanOrEqual(3)
    await expect(panel.getByTestId('staged-audits')).toHaveAttribute('data-failed', '0')
    // Every peer's first replica was audited, so its first round's work is verified: the tab's included.
    const tabRow = panel.locator(`[data-testid="staged-credit-row"][data-peer-id="${tabPeer}"]`)
    expect(Number(await tabRow.getAttribute('data-verified'))).toBeGreaterThan(0)
    await expectAccessible(page, 'a staged job\'s panel')

    // Paid on chain: a root after a round reserves the tab's share for its wallet, and its page shows it.
    await expect.poll(async () => (await readEscrowJob(chain, escrow, key))?.epoch ?? 0n, { timeout: 60_000, intervals: [1000], message: peerLog.join('\n') }).toBeGreaterThan(0n)
    await expect(volunteer.getByTestId('earnings-wallet')).toHaveText(wallet, { timeout: 30_000 })
    await expect.poll(async () => { const e = await earningsOn(volunteer); return e.pending + e.claimable }, { timeout: 60_000 }).toBeGreaterThan(0n)

    // The volunteers serve the final version stage by stage: a visitor whose tab may use 1 MiB writes with it
    // through them, the volunteer tab among them.
    const useLink = (await panel.getByTestId('staged-use-link').getAttribute('href'))!
    expect(useLink).toContain('version=3')
    for (const s of [0, 1, 2]) await expect(panel.getByTestId('stage-row').nth(s)).toHaveAttribute('data-peers', '1', { timeout: 60_000 })
    const visitor = await (await browser.newContext()).newPage()
    await visitor.goto(new URL(useLink, APP).toString())
    await visitor.getByTestId('use-memory').fill('1')
    await visitor.getByTestId('use-memory').press('Enter')
    await expect(visitor.getByTestId('use-page')).toHaveAttribute('data-status', 'staged', { timeout: 120_000 })
    await expect(visitor.getByTestId('use-staged')).toHaveAttribute('data-coverage', '1,1,1', { timeout: 120_000 })
    // The peers are the ones the researcher's tab asked to serve the final version (its announcement names them).
    await expect(visitor.getByTestId('use-staged')).toHaveAttribute('data-vouched', 'true')
    await visitor.getByTestId('use-prompt').fill('LAWYER, n. One skilled')
    await visitor.getByTestId('use-temperature').fill('0')
    await visitor.getByTestId('use-write').click()
    // (After three short rounds the model writes mostly spaces: what is checked is that an answer came through all three stages.)
    await expect.poll(async () => (await visitor.getByTestId('use-result').locator('strong').textContent({ timeout: 1000 }).catch(() => ''))?.length ?? 0, { timeout: 120_000, message: peerLog.join('\n') }).toBeGreaterThan(0)
    await expect(visitor.getByTestId('use-staged')).toHaveAttribute('data-route', /^[^,]+,[^,]+,[^,]+$/)
    expect((await visitor.getByTestId('use-staged').getAttribute('data-route'))!.split(',')).toContain(tabPeer)

    // Anyone recomputes every root from the job log: the staged rounds, the bindings and the epochs.
    await volunteer.goto(new URL(`/audit?job=${encodeURIComponent(jobId)}`, APP).toString())
    await expect(volunteer.getByTestId('audit-job')).toHaveValue(jobId, { timeout: 60_000 })
    await volunteer.getByTestId('run-audit').click()
    await expect(volunteer.getByTestId('audit-verdict'), peerLog.join('\n')).toHaveAttribute('data-ok', 'true', { timeout: 120_000 })

    // A reload resumes the job from this browser: same job, its rounds and its version.
    await page.reload()
    const resumed = page.getByTestId('staged-panel')
    await expect(resumed).toHaveAttribute('data-job-id', jobId, { timeout: 120_000 })
    await expect(resumed.getByTestId('resumed')).toBeVisible()
    await expect(resumed).toHaveAttribute('data-version', '3')
    await expect(resumed.getByTestId('staged-round-row')).toHaveCount(3)
    await expect(resumed.getByTestId('staged-held-out')).toHaveAttribute('data-start', String(start))
  } finally {
    await browser.close()
    for (const p of peers.reverse()) await p.stop().catch(() => undefined)
    await test.info().attach('peers', { body: peerLog.join('\n'), contentType: 'text/plain' })
  }
})
