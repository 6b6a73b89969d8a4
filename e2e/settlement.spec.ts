// Settlement end to end in real Chromium against the stack's anvil: a researcher's injected wallet (EIP-6963)
// mints the local test token and funds an ERC-20 pool from the Research page (approve + create); a volunteer's
// wallet binds to its tab's peer key with one EIP-712 signature, the tab earns credit in a small training run,
// the coordinator posts epoch roots, they become final after the challenge period, the Volunteer and Ledger
// pages show the same earnings to the base unit, and the volunteer claims every final epoch in one transaction.
import { expect, test } from '@playwright/test'
import { createPublicClient, getAddress, http, type Address } from 'viem'
import { launchChromium } from './chromium.ts'
import { startJob } from './research.ts'
import { injectWallet } from './wallet.ts'
import { bindTab, connectWallet, earningsOn } from './ledger.ts'
import { expectAccessible } from './pages.ts'
import { ANVIL_KEYS } from '../server/settlement.ts'
import { decodeStackConfig } from '../src/stack/stack-config.ts'
import { readClaimed, readEscrowJob } from '../src/ledger/escrow.ts'
import { jobEscrowAbi, testTokenAbi } from '../src/ledger/generated/contracts.ts'
import { jobKey } from '../src/ledger/job-key.ts'

const APP = process.env.TESSERAE_URL!
const RPC = process.env.TESSERAE_RPC_URL!

test('an ERC-20 pool funded from the Research page pays a bound volunteer, and both pages agree on what it earned', async () => {
  test.setTimeout(480_000)
  const config = decodeStackConfig(await (await fetch(new URL('/config.json', APP))).text())
  const escrow = config.chain.contracts!.escrow
  const token = config.chain.contracts!.testToken!
  const chain = createPublicClient({ transport: http(RPC) })
  const tokenBalance = (account: Address) => chain.readContract({ address: token, abi: testTokenAbi, functionName: 'balanceOf', args: [account] })
  const browser = await launchChromium()
  try {
    const researcherContext = await browser.newContext()
    const researcher = await injectWallet(researcherContext, ANVIL_KEYS[1]!, RPC)
    const research = await researcherContext.newPage()
    await connectWallet(research, APP, researcher)
    await research.getByTestId('mint-test-token').click()
    await expect(research.getByTestId('test-token-balance')).not.toHaveText(/^0 TUSD|…/, { timeout: 30_000 })
    await research.getByRole('link', { name: 'Research' }).click()
    await expect(research.getByTestId('funding-note')).toContainText('escrows the reward pool')
    const form = research.getByTestId('coordinator-panel')
    await form.getByLabel('Job name').fill('Settlement test job')
    await form.getByRole('button', { name: 'Use the test token' }).click()
    await expect(form.getByLabel('Amount (TUSD)')).toBeVisible({ timeout: 15_000 })
    await form.getByLabel('Amount (TUSD)').fill('100')
    const { jobId } = await startJob(research, { innerSteps: 8, batchSize: 16, unitsPerRound: 2, auditRate: 0, roundSeconds: 20 })
    // The escrow is keyed by its owner (the researcher's wallet) and the job's id: nobody could have taken it first.
    const key = jobKey(researcher, jobId)
    expect(await readEscrowJob(chain, escrow, key)).toMatchObject({ owner: getAddress(researcher), token: getAddress(token), deposited: 100_000_000n, epoch: 0n })

    const volunteerContext = await browser.newContext()
    const wallet: Address = await injectWallet(volunteerContext, ANVIL_KEYS[2]!, RPC)
    const volunteer = await volunteerContext.newPage()
    await connectWallet(volunteer, APP, wallet)
    const row = volunteer.getByTestId(`job-rewards-${jobId}`)
    await bindTab(volunteer, jobId, wallet)
    await expect(row.getByTestId('escrow-status')).toContainText('100 TUSD escrowed')

    // Earn: donate from the same tab (same peer key) until a root pays this wallet, then stop so the figures settle.
    await volunteer.getByRole('link', { name: 'Volunteer' }).click()
    await volunteer.getByTestId('donate').click()
    await expect.poll(async () => (await readEscrowJob(chain, escrow, key))?.epoch ?? 0n, { timeout: 240_000, intervals: [2000] }).toBeGreaterThan(0n)
    await expect(volunteer.getByTestId('earnings-wallet')).toHaveText(wallet)
    // Posted but not final yet: pending, not claimable.
    await expect.poll(async () => (await earningsOn(volunteer)).pending + (await earningsOn(volunteer)).claimable, { timeout: 30_000 }).toBeGreaterThan(0n)
    await volunteer.getByTestId('stop').click()
    // A unit already handed in may still land in one more round and root; wait for the last root to go final.
    await volunteer.waitForTimeout(25_000)
    const last = async () => {
      const job = await readEscrowJob(chain, escrow, key)
      return job && job.epoch > 0n && (await chain.readContract({ address: escrow, abi: jobEscrowAbi, functionName: 'isFinal', args: [key, job.epoch] })) ? job.epoch : 0n
    }
    await expect.poll(last, { timeout: 120_000, intervals: [2000] }).toBeGreaterThan(0n)
    await expect.poll(async () => (await earningsOn(volunteer)).pending, { timeout: 30_000 }).toBe(0n)
    const shown = await earningsOn(volunteer)
    expect(shown.claimable).toBeGreaterThan(0n)
    expect(shown.claimed).toBe(0n)

    // The Ledger page shows the same figures, to the base unit.
    await volunteer.getByRole('link', { name: 'Ledger' }).click()
    await expect.poll(() => earningsOn(volunteer), { timeout: 30_000 }).toEqual(shown)
    await expectAccessible(volunteer, 'Ledger with a claim')
    const before = await tokenBalance(wallet)
    await row.getByTestId('claim').click()
    await expect(row.getByTestId('ledger-action')).toContainText('Claimed', { timeout: 60_000 })
    // The wallet received exactly what both pages said was claimable (gas is paid in ETH, not the token).
    expect((await tokenBalance(wallet)) - before).toBe(shown.claimable)
    expect(await readClaimed(chain, escrow, key, wallet)).toBe(shown.claimable)
    await expect(row.getByTestId('claim')).toBeDisabled()
    await expect.poll(() => earningsOn(volunteer), { timeout: 15_000 }).toEqual({ claimable: 0n, pending: 0n, claimed: shown.claimable })
    await volunteer.getByRole('link', { name: 'Volunteer' }).click()
    await expect.poll(() => earningsOn(volunteer), { timeout: 15_000 }).toEqual({ claimable: 0n, pending: 0n, claimed: shown.claimable })
  } finally {
    await browser.close()
  }
})
