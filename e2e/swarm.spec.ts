// Two separate Chromium processes meet through the relay, upgrade to a direct WebRTC connection, and hear
// each other's gossipsub announcements.
import { expect, test } from '@playwright/test'
import { launchChromium } from './chromium.ts'
import { peerIdOf } from './pages.ts'


test('two browsers connect directly over WebRTC and exchange gossip', async () => {
  const browsers = await Promise.all([launchChromium(), launchChromium()])
  try {
    const [a, b] = await Promise.all(browsers.map((browser) => browser.newPage()))
    await Promise.all([a!.goto(process.env.TESSERAE_URL!), b!.goto(process.env.TESSERAE_URL!)])
    const [idA, idB] = await Promise.all([peerIdOf(a!), peerIdOf(b!)])
    expect(idA).not.toBe(idB)

    for (const [page, otherId] of [[a!, idB], [b!, idA]] as const) {
      const row = page.locator(`[data-testid="peer-row"][data-peer-id="${otherId}"]`)
      // The other tab's presence arrived over gossipsub (only gossip carries its backend)...
      await expect(row).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 })
      // ...and the two are connected directly over WebRTC, not only through the relay.
      await expect(row).toHaveAttribute('data-transports', /(^| )webrtc( |$)/, { timeout: 60_000 })
      await expect(page.getByTestId('direct-peers')).toHaveText('Direct peers: 1')
      expect(Number(await page.getByTestId('gossip-received').textContent())).toBeGreaterThan(0)
    }
  } finally {
    await Promise.all(browsers.map((browser) => browser.close()))
  }
})
