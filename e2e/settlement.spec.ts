// Settlement end to end in real Chromium against the stack's anvil: a researcher's injected wallet (EIP-6963)
// funds a job from the Research page; a volunteer's wallet binds to its tab's peer key with one EIP-712
// signature, the tab earns credit in a small training run, the coordinator posts an epoch root, and the
// volunteer claims it from the Ledger page and sees its balance change on chain.
import { expect, test } from '@playwright/test'
import { createPublicClient, http, parseEther, type Address } from 'viem'
import { launchChromium } from './chromium.ts'
import { startJob } from './research.ts'
import { E2E_WALLET_NAME, injectWallet } from './wallet.ts'
import { expectAccessible } from './pages.ts'
import { ANVIL_KEYS } from '../server/settlement.ts'
import { decodeStackConfig } from '../src/stack/stack-config.ts'
import { readClaimed, readEscrowJob } from '../src/ledger/escrow.ts'
import { jobEscrowAbi } from '../src/ledger/generated/contracts.ts'

const APP = process.env.TESSERAE_URL!
const RPC = process.env.TESSERAE_RPC_URL!

test('a funded job pays a bound volunteer, who claims from the Ledger page', async () => {
  test.setTimeout(420_000)
  const config = decodeStackConfig(await (await fetch(new URL('/config.json', APP))).text())
  const escrow = config.chain.contracts!.escrow
  const chain = createPublicClient({ transport: http(RPC) })
  const browser = await launchChromium()
  try {
    const researcherContext = await browser.newContext()
    await injectWallet(researcherContext, ANVIL_KEYS[1]!, RPC)
    const research = await researcherContext.newPage()
    await research.goto(new URL('/ledger', APP).toString())
    await research.getByRole('button', { name: `Connect ${E2E_WALLET_NAME}` }).click()
    await expect(research.getByTestId('wallet-address')).toHaveText(/^0x/)
    await research.getByRole('link', { name: 'Research' }).click()
    await expect(research.getByTestId('funding-note')).toContainText('escrows the reward pool')
    await research.getByTestId('coordinator-panel').getByLabel('Job name').fill('Settlement test job')
    const { jobId } = await startJob(research, { innerSteps: 8, batchSize: 16, unitsPerRound: 2, auditRate: 0, roundSeconds: 20 })
    const funded = await readEscrowJob(chain, escrow, jobId)
    expect(funded).toMatchObject({ deposited: parseEther('1'), epoch: 0n })

    const volunteerContext = await browser.newContext()
    const wallet: Address = await injectWallet(volunteerContext, ANVIL_KEYS[2]!, RPC)
    const volunteer = await volunteerContext.newPage()
    await volunteer.goto(new URL('/ledger', APP).toString())
    await volunteer.getByRole('button', { name: `Connect ${E2E_WALLET_NAME}` }).click()
    await expect(volunteer.getByTestId('wallet-address')).toHaveText(wallet)
    const row = volunteer.getByTestId(`job-rewards-${jobId}`)
    await expect(row.getByTestId('binding-status')).toContainText('not bound', { timeout: 90_000 })
    await row.getByTestId('bind-wallet').click()
    await expect(row.getByTestId('binding-status')).toHaveText(`bound to ${wallet}`, { timeout: 90_000 })

    // Earn: donate from the same tab (same peer key) until an epoch pays this wallet.
    await volunteer.getByRole('link', { name: 'Volunteer' }).click()
    await volunteer.getByTestId('donate').click()
    await expect.poll(async () => (await readEscrowJob(chain, escrow, jobId))?.epoch ?? 0n, { timeout: 240_000, intervals: [2000] }).toBeGreaterThan(0n)

    await volunteer.getByRole('link', { name: 'Ledger' }).click()
    await expect(row.getByTestId('claimable')).not.toHaveText(/^0 ETH$/, { timeout: 60_000 })
    await expectAccessible(volunteer, 'Ledger with a claim')
    const before = await chain.getBalance({ address: wallet })
    await row.getByTestId('claim').click()
    await expect(row.getByTestId('ledger-action')).toContainText('Claimed', { timeout: 60_000 })
    const claimed = await readClaimed(chain, escrow, jobId, wallet)
    expect(claimed).toBeGreaterThan(0n)
    const [event] = await chain.getContractEvents({ address: escrow, abi: jobEscrowAbi, eventName: 'Claimed', args: { account: wallet }, fromBlock: 0n })
    const receipt = await chain.getTransactionReceipt({ hash: event!.transactionHash })
    const after = await chain.getBalance({ address: wallet })
    // The wallet received exactly the claim, less the gas it paid to send it (the claim may also have landed
    // more epochs' credit meanwhile: the event names the amount actually paid).
    expect(after - before).toBe(event!.args.amount! - receipt.gasUsed * receipt.effectiveGasPrice)
    expect(event!.args.amount).toBe(claimed)
    // Nothing is left to claim from this tree, so the button is off until the next epoch.
    await expect(row.getByTestId('claim')).toBeDisabled()
  } finally {
    await browser.close()
  }
})
