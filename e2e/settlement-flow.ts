// The settlement path a researcher and a volunteer walk, shared by the local-stack spec and the deployment
// spec. A researcher's injected wallet (EIP-6963) funds a job's pool from the Research page: in ETH, or in the
// local test token it mints first (approve + create). A volunteer's wallet binds to its tab's peer key with one
// EIP-712 signature, the tab earns credit in a small training run, the coordinator posts epoch roots, they go
// final after the challenge period, the Volunteer and Ledger pages show the same earnings to the base unit,
// and the volunteer claims every final epoch in one transaction. Checked on chain.
import { expect, type Browser } from '@playwright/test'
import { createPublicClient, getAddress, http, parseEther, type Address } from 'viem'
import { startJob } from './research.ts'
import { injectWallet } from './wallet.ts'
import { bindTab, connectWallet, earningsOn } from './ledger.ts'
import { expectAccessible } from './pages.ts'
import { ANVIL_KEYS } from '../server/settlement.ts'
import { NATIVE_TOKEN, readClaimed, readEscrowJob } from '../src/ledger/escrow.ts'
import { jobEscrowAbi, testTokenAbi } from '../src/ledger/generated/contracts.ts'
import { jobKey } from '../src/ledger/job-key.ts'

export interface SettlementWalk {
  appUrl: string
  rpcUrl: string
  escrow: Address
  /** Fund the pool in this test token (minted from the Ledger page); ETH when absent. */
  testToken?: Address
}

export async function fundEarnAndClaim(browser: Browser, walk: SettlementWalk): Promise<void> {
  const { appUrl, rpcUrl, escrow, testToken } = walk
  const chain = createPublicClient({ transport: http(rpcUrl) })
  const researcherContext = await browser.newContext()
  const researcher = await injectWallet(researcherContext, ANVIL_KEYS[1]!, rpcUrl)
  const research = await researcherContext.newPage()
  await connectWallet(research, appUrl, researcher)
  if (testToken) {
    await research.getByTestId('mint-test-token').click()
    await expect(research.getByTestId('test-token-balance')).not.toHaveText(/^0 TUSD|…/, { timeout: 30_000 })
  }
  await research.getByRole('link', { name: 'Research' }).click()
  await expect(research.getByTestId('funding-note')).toContainText('escrows the reward pool')
  const form = research.getByTestId('coordinator-panel')
  await form.getByLabel('Job name').fill('Settlement test job')
  if (testToken) {
    await form.getByRole('button', { name: 'Use the test token' }).click()
    await expect(form.getByLabel('Amount (TUSD)')).toBeVisible({ timeout: 15_000 })
    await form.getByLabel('Amount (TUSD)').fill('100')
  }
  const { jobId } = await startJob(research, { innerSteps: 8, batchSize: 16, unitsPerRound: 2, auditRate: 0, roundSeconds: 20 })
  // The escrow is keyed by its owner (the researcher's wallet) and the job's id: nobody could have taken it first.
  const key = jobKey(researcher, jobId)
  expect(await readEscrowJob(chain, escrow, key)).toMatchObject({
    owner: getAddress(researcher),
    token: testToken ? getAddress(testToken) : NATIVE_TOKEN,
    deposited: testToken ? 100_000_000n : parseEther('1'),
    epoch: 0n,
  })

  const volunteerContext = await browser.newContext()
  const wallet: Address = await injectWallet(volunteerContext, ANVIL_KEYS[2]!, rpcUrl)
  const volunteer = await volunteerContext.newPage()
  await connectWallet(volunteer, appUrl, wallet)
  const row = volunteer.getByTestId(`job-rewards-${jobId}`)
  await bindTab(volunteer, jobId, wallet)
  await expect(row.getByTestId('escrow-status')).toContainText(testToken ? '100 TUSD escrowed' : '1 ETH escrowed')

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
  const balance = (account: Address) => (testToken ? chain.readContract({ address: testToken, abi: testTokenAbi, functionName: 'balanceOf', args: [account] }) : chain.getBalance({ address: account }))
  const before = await balance(wallet)
  await row.getByTestId('claim').click()
  await expect(row.getByTestId('ledger-action')).toContainText('Claimed', { timeout: 60_000 })
  // The wallet received exactly what both pages said was claimable; an ETH claim less the gas it paid.
  const [event] = await chain.getContractEvents({ address: escrow, abi: jobEscrowAbi, eventName: 'Claimed', args: { account: wallet }, fromBlock: 0n })
  const receipt = await chain.getTransactionReceipt({ hash: event!.transactionHash })
  const gas = testToken ? 0n : receipt.gasUsed * receipt.effectiveGasPrice
  expect((await balance(wallet)) - before).toBe(shown.claimable - gas)
  expect(await readClaimed(chain, escrow, key, wallet)).toBe(shown.claimable)
  await expect(row.getByTestId('claim')).toBeDisabled()
  await expect.poll(() => earningsOn(volunteer), { timeout: 15_000 }).toEqual({ claimable: 0n, pending: 0n, claimed: shown.claimable })
  await volunteer.getByRole('link', { name: 'Volunteer' }).click()
  await expect.poll(() => earningsOn(volunteer), { timeout: 15_000 }).toEqual({ claimable: 0n, pending: 0n, claimed: shown.claimable })
}
