// The Ledger page steps several specs share: connecting the injected e2e wallet, and binding a tab's peer key
// to it for one job (one EIP-712 signature, sent to the job's coordinator).
import { expect, type Page } from '@playwright/test'
import { E2E_WALLET_NAME } from './wallet.ts'

/** Opens the Ledger page and connects the context's injected wallet. */
export async function connectWallet(page: Page, app: string, wallet: string): Promise<void> {
  await page.goto(new URL('/ledger', app).toString())
  await page.getByRole('button', { name: `Connect ${E2E_WALLET_NAME}` }).click()
  await expect(page.getByTestId('wallet-address')).toHaveText(wallet)
}

/** On the Ledger page, binds this tab's credit in `jobId` to the connected wallet once the job's escrow is read. */
export async function bindTab(page: Page, jobId: string, wallet: string): Promise<void> {
  const row = page.getByTestId(`job-rewards-${jobId}`)
  await expect(row.getByTestId('binding-status')).toContainText('not bound', { timeout: 90_000 })
  await row.getByTestId('bind-wallet').click()
  await expect(row.getByTestId('binding-status')).toHaveText(`bound to ${wallet}`, { timeout: 90_000 })
}

/** The earnings figures (claimable, pending, claimed) the Volunteer and Ledger pages show, in base units. */
export async function earningsOn(page: Page): Promise<{ claimable: bigint; pending: bigint; claimed: bigint }> {
  const units = async (id: string) => BigInt((await page.getByTestId(id).first().getAttribute('data-units')) ?? '-1')
  return { claimable: await units('claimable'), pending: await units('pending'), claimed: await units('claimed') }
}
