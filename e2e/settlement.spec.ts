// Settlement end to end in real Chromium against the stack's anvil (e2e/settlement-flow.ts): fund a job,
// bind a wallet, earn, and claim from the Ledger page, checked on chain.
import { test } from '@playwright/test'
import { launchChromium } from './chromium.ts'
import { fundEarnAndClaim } from './settlement-flow.ts'
import { decodeStackConfig } from '../src/stack/stack-config.ts'

const APP = process.env.TESSERAE_URL!
const RPC = process.env.TESSERAE_RPC_URL!

test('a funded job pays a bound volunteer, who claims from the Ledger page', async () => {
  test.setTimeout(420_000)
  const config = decodeStackConfig(await (await fetch(new URL('/config.json', APP))).text())
  const browser = await launchChromium()
  try {
    await fundEarnAndClaim(browser, { appUrl: APP, rpcUrl: RPC, escrow: config.chain.contracts!.escrow })
  } finally {
    await browser.close()
  }
})
