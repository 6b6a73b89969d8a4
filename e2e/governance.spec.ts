// Governance end to end in real Chromium against the stack's anvil: a researcher funds a job in ETH and
// accepts a contributed dataset; two volunteers bind their wallets and earn credit in a final root; on the
// Governance page one proposes to exclude the dataset (after a bad value is refused field by field) and votes,
// the other votes with its weight from the snapshot's tree and executes it by majority, and the coordinator
// follows: the dataset is reported excluded, and every round planned after the decision leaves it out.
import { expect, test, type Locator } from '@playwright/test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launchChromium } from './chromium.ts'
import { startJob } from './research.ts'
import { injectWallet } from './wallet.ts'
import { bindTab, connectWallet, earningsOn } from './ledger.ts'
import { saveSignedDataset, writeIdxSlice } from './contribute.ts'
import { expectAccessible } from './pages.ts'
import { ANVIL_KEYS } from '../server/settlement.ts'

const APP = process.env.TESSERAE_URL!
const RPC = process.env.TESSERAE_RPC_URL!
const DATASET = 'Slice to vote on'

const units = (locator: Locator) => async () => BigInt((await locator.getAttribute('data-units')) || '0')

test('credit holders vote a contributed dataset out, and the coordinator stops training on it', async () => {
  test.setTimeout(420_000)
  const dir = await mkdtemp(join(tmpdir(), 'tesserae-governance-'))
  const coordinatorLog: string[] = []
  const browser = await launchChromium()
  try {
    const researcherContext = await browser.newContext()
    const research = await researcherContext.newPage()
    // The coordinator tab's own account of its rounds and epochs, attached to the report (shown on failure).
    research.on('console', (message) => {
      if (message.text().startsWith('[coordinator]')) coordinatorLog.push(message.text())
    })
    const contribute = await (await browser.newContext()).newPage()

    // The contributor imports and signs a dataset while the researcher funds (1 ETH, the form's default) and starts a job.
    const [datasetId, { jobId }] = await Promise.all([
      (async () => {
        await contribute.goto(new URL('/contribute', APP).toString())
        await contribute.getByTestId('import-files').setInputFiles(await writeIdxSlice(dir, 3000, 300))
        await expect(contribute.getByTestId('sample-count')).toHaveAttribute('data-count', '300', { timeout: 60_000 })
        return saveSignedDataset(contribute, DATASET, 'CC-BY-4.0')
      })(),
      (async () => {
        await connectWallet(research, APP, await injectWallet(researcherContext, ANVIL_KEYS[1]!, RPC))
        await research.getByRole('link', { name: 'Research' }).click()
        // Started before the wallet is ready, the job would be announced but not escrowed.
        await expect(research.getByTestId('funding-note')).toContainText('escrows the reward pool')
        await research.getByTestId('coordinator-panel').getByLabel('Job name').fill('Governance test job')
        return startJob(research, { innerSteps: 8, batchSize: 16, unitsPerRound: 2, auditRate: 0, roundSeconds: 15 })
      })(),
    ])

    // Offered and accepted (every chunk checked), while two volunteers bind their wallets and donate.
    const acceptOffer = async () => {
      await expect(contribute.getByTestId('target-job')).toHaveValue(jobId, { timeout: 60_000 })
      await contribute.locator(`[data-testid="dataset-row"][data-dataset-id="${datasetId}"]`).getByTestId('offer').click()
      const offer = research.locator(`[data-testid="dataset-offer"][data-dataset-id="${datasetId}"]`)
      await offer.getByRole('button', { name: 'Accept' }).click({ timeout: 60_000 })
      await expect(offer).toHaveAttribute('data-status', 'accepted', { timeout: 90_000 })
    }
    const bindAndDonate = async (account: number) => {
      const context = await browser.newContext()
      const wallet = await injectWallet(context, ANVIL_KEYS[account]!, RPC)
      const page = await context.newPage()
      await connectWallet(page, APP, wallet)
      await bindTab(page, jobId, wallet)
      await page.getByRole('link', { name: 'Volunteer' }).click()
      await page.getByTestId('donate').click()
      return { page, wallet }
    }
    const [alice, bob] = await Promise.all([bindAndDonate(2), bindAndDonate(3), acceptOffer()])

    // Both hold credit in a final root: a claimable amount means its challenge period is over.
    for (const v of [alice, bob]) await expect.poll(async () => (await earningsOn(v.page)).claimable, { timeout: 240_000, intervals: [2000] }).toBeGreaterThan(0n)

    // Alice proposes. A value the job cannot take is refused in the form, and nothing is sent.
    await alice.page.getByRole('link', { name: 'Governance' }).click()
    const aliceJob = alice.page.getByTestId(`governance-job-${jobId}`)
    await expect.poll(units(aliceJob.getByTestId('voting-credit')), { timeout: 30_000 }).toBeGreaterThan(0n)
    const form = aliceJob.getByTestId('proposal-form')
    await form.getByLabel('Proposal', { exact: true }).selectOption('set-hyper-parameter')
    await form.getByLabel('Hyper-parameter').selectOption('innerLr')
    await form.getByLabel('New value').fill('2')
    await form.getByLabel('New value').press('Enter')
    await expect(form.getByText(/setting innerLr to 2 would make the job invalid/)).toBeVisible()
    await expect(form.getByLabel('New value')).toBeFocused()
    await expect(aliceJob.getByTestId('governance-action')).toHaveAttribute('data-state', 'idle')

    await form.getByLabel('Proposal', { exact: true }).selectOption('exclude-dataset')
    await form.getByLabel('Dataset').selectOption(datasetId)
    await form.getByRole('button', { name: 'Propose', exact: true }).click()
    await expect(aliceJob.getByTestId('governance-action')).toContainText(`is open: exclude dataset "${DATASET}" from training`, { timeout: 60_000 })
    const proposal = aliceJob.locator('[data-testid="proposal"][data-kind="exclude-dataset"]')
    await expect(proposal).toHaveAttribute('data-phase', 'open', { timeout: 15_000 })
    const proposalId = (await proposal.getAttribute('data-proposal-id'))!
    const aliceWeight = await units(proposal.getByTestId('vote-weight'))()
    expect(aliceWeight).toBeGreaterThan(0n)
    await proposal.getByRole('button', { name: 'Vote for' }).click()
    await expect(aliceJob.getByTestId('governance-action')).toContainText(`Voted for proposal ${proposalId}`, { timeout: 60_000 })
    await expect(proposal).toHaveAttribute('data-voted', 'true', { timeout: 15_000 })
    await expectAccessible(alice.page, 'Governance with an open proposal')

    // Bob votes with his credit in the same snapshot: all of it is now for, a majority, so he executes at once.
    await bob.page.getByRole('link', { name: 'Governance' }).click()
    const bobJob = bob.page.getByTestId(`governance-job-${jobId}`)
    const bobProposal = bobJob.locator(`[data-testid="proposal"][data-proposal-id="${proposalId}"]`)
    await expect.poll(units(bobProposal.getByTestId('vote-weight')), { timeout: 30_000 }).toBeGreaterThan(0n)
    const bobWeight = await units(bobProposal.getByTestId('vote-weight'))()
    await bobProposal.getByRole('button', { name: 'Vote for' }).click()
    await expect(bobProposal).toHaveAttribute('data-phase', 'decided', { timeout: 60_000 })
    await expect(bobProposal.getByTestId('proposal-tally')).toHaveAttribute('data-for', String(aliceWeight + bobWeight))
    await expect(bobProposal.getByTestId('proposal-snapshot')).toContainText(/^epoch \d+'s root/)
    await bobProposal.getByRole('button', { name: 'Execute' }).click()
    await expect(bobJob.getByTestId('governance-action')).toContainText(`Proposal ${proposalId} passed`, { timeout: 60_000 })
    await expect(bobProposal).toHaveAttribute('data-phase', 'executed-passed', { timeout: 15_000 })

    // The coordinator reads the decision and excludes the dataset; the contributor sees why.
    const offer = research.locator(`[data-testid="dataset-offer"][data-dataset-id="${datasetId}"]`)
    await expect(offer).toHaveAttribute('data-status', 'rejected', { timeout: 30_000 })
    await expect(offer).toContainText(`excluded by governance proposal ${proposalId}`)
    await expect(contribute.getByTestId('dataset-job')).toHaveAttribute('data-status', 'rejected', { timeout: 30_000 })
    // The round open now was planned before the decision; the coordinator's published plans of the next ones
    // leave the dataset out.
    const plan = research.getByTestId('round-datasets')
    const decidedIn = Number(await research.getByTestId('current-round').textContent())
    for (const round of [decidedIn + 1, decidedIn + 2]) {
      await expect(plan).toHaveAttribute('data-round', String(round), { timeout: 45_000 })
      expect((await plan.getAttribute('data-ids'))!.split(' ')).not.toContain(datasetId)
    }
  } finally {
    await browser.close()
    await rm(dir, { recursive: true, force: true })
    await test.info().attach('coordinator tab', { body: coordinatorLog.join('\n'), contentType: 'text/plain' })
  }
})
