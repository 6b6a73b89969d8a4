// Settlement end to end in real Chromium against the stack's anvil (e2e/settlement-flow.ts): an ERC-20 pool
// funded from the Research page, a bound volunteer's earnings shown alike on two pages, and its claim.
import { test } from '@playwright/test'
import { launchChromium } from './chromium.ts'
import { fundEarnAndClaim } from './settlement-flow.ts'
import { decodeStackConfig } from '../src/stack/stack-config.ts'

const APP = process.env.TESSERAE_URL!
const RPC = process.env.TESSERAE_RPC_URL!

test('an ERC-20 pool funded from the Research page pays a bound volunteer, and both pages agree on what it earned', async () => {
  test.setTimeout(480_000)
  const config = decodeStackConfig(await (await fetch(new URL('/config.json', APP))).text())
  const browser = await launchChromium()
  try {
    await fundEarnAndClaim(browser, { appUrl: APP, rpcUrl: RPC, escrow: config.chain.contracts!.escrow, testToken: config.chain.contracts!.testToken! })
  } finally {
    await browser.close()
  }
})
