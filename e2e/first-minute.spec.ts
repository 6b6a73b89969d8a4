// A volunteer's first minute on the stack `npm start` runs (relay, chain, app and the demo job's Node
// coordinator): a fresh Chromium profile opens the page and presses "Donate compute". The job shows as found
// at once, its first unit is a short probe whose verified credit appears within seconds, and pausing keeps the
// status on "paused" whatever the unit
// in flight does. The time is recorded in `npm run bench` (bench/first-minute.ts) too.
import { expect, test } from '@playwright/test'
import { launchChromium } from './chromium.ts'
import { startDemoJob } from '../server/demo-job.ts'
import { decodeStackConfig } from '../src/stack/stack-config.ts'

const APP = process.env.TESSERAE_URL!
/**
 * The goal is 10 s (README, "The first minute"); `npm run bench` measures 3.5–6.5 s (median 4.5 s) on the
 * 2-core development machine: Donate works before the swarm is up, the compute worker warms its engine up while
 * the job is looked for, the first unit is a 4-step probe the referee re-runs at once. Here Chromium shares two
 * cores with the relay, the chain, the coordinator and the test runner (5.0 s in the last full run, 12–14 s on
 * a loaded machine), so the bound leaves room; it still fails if the engine start goes back behind the job's announcement
 * plus a cold first run (13–17 s), the first unit back to a full 64-step unit (23–36 s), or a dial to the
 * coordinator that stalls the first unit (20 s and more).
 */
const FIRST_CREDIT_MS = 20_000

test('a first volunteer sees its job at once and verified credit within seconds, and a pause stays a pause', async () => {
  test.setTimeout(180_000)
  const config = decodeStackConfig(await (await fetch(new URL('/config.json', APP))).text())
  const demo = await startDemoJob(config, { dataDir: null, host: '127.0.0.1' })
  const browser = await launchChromium()
  try {
    const page = await (await browser.newContext()).newPage()
    const opened = Date.now()
    await page.goto(APP)
    await page.getByTestId('donate').click({ timeout: 30_000 })
    const job = page.getByTestId('volunteer-job')
    await expect(job).toContainText(demo.job.name, { timeout: 10_000 })
    await expect(page.getByTestId('volunteer-phase')).not.toHaveAttribute('data-phase', 'looking for a job')
    const credit = page.getByTestId('credit')
    await expect.poll(async () => Number(await credit.getAttribute('data-flops')), { timeout: 60_000, intervals: [100] }).toBeGreaterThan(0)
    const firstCreditMs = Date.now() - opened
    console.log(`first verified credit ${firstCreditMs} ms after opening the page`)
    // The first unit was the probe (training/probe.ts), accepted by the referee. Asked of the coordinator: on the
    // page the probe's status shows for a few hundred milliseconds, which a poll can miss.
    const view = demo.coordinator.view
    const probeAccepted = (view.current.probes ?? []).some((p) => p.holders.some((h) => h.status === 'accepted')) || view.history.some((r) => (r.probes ?? 0) > 0)
    expect(probeAccepted).toBe(true)
    expect(firstCreditMs).toBeLessThan(FIRST_CREDIT_MS)

    // Paused mid-work: the status says paused (not whatever the unit in flight ran into) until resumed.
    const phase = page.getByTestId('volunteer-phase')
    await page.getByTestId('pause').click()
    await expect(phase).toHaveAttribute('data-phase', 'paused')
    for (let i = 0; i < 10; i++) {
      await page.waitForTimeout(500)
      await expect(phase).toHaveAttribute('data-phase', 'paused')
    }
    await page.getByTestId('pause').click()
    await expect(phase).not.toHaveAttribute('data-phase', 'paused', { timeout: 10_000 })
  } finally {
    await browser.close()
    await demo.stop()
  }
})
