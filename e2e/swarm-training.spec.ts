// The swarm in real browsers: a coordinator tab and three volunteer tabs train the Fashion-MNIST CNN with
// DiLoCo over WebRTC, while three hostile headless peers join over WebRTC too: a colluding pair sending the
// same biased work and a free rider sending nothing. One volunteer tab closes mid-round, and the coordinator
// tab reloads and resumes from IndexedDB. The dashboard shows the audits, their outcomes and the bans by
// reason. (WebGPU against the wasm referee is measured by the device check, in webgpu.spec.ts.)
import { expect, test, type Locator } from '@playwright/test'
import { launchChromium } from './chromium.ts'
import { peerIdOf } from './pages.ts'
import { startJob } from './research.ts'
import { startHeadlessVolunteer } from '../server/swarm/headless.ts'
import { ATTACKS, colludingPair, type Attack } from '../src/training/testing/adversaries.ts'

const APP = process.env.TESSERAE_URL!

async function currentRound(panel: Locator): Promise<number> {
  return Number(await panel.getAttribute('data-round'))
}

async function waitForRound(panel: Locator, round: number, timeout: number): Promise<void> {
  await expect.poll(() => currentRound(panel), { timeout, intervals: [500] }).toBeGreaterThanOrEqual(round)
}


test('three volunteer tabs train while a colluding pair and a free rider are caught, with a coordinator tab that survives a reload', async () => {
  test.setTimeout(600_000)
  const coordinatorBrowser = await launchChromium()
  const volunteerBrowser = await launchChromium()
  const hostile: Array<Awaited<ReturnType<typeof startHeadlessVolunteer>>> = []
  try {
    const research = await (await coordinatorBrowser.newContext()).newPage()
    await research.goto(new URL("/research", APP).toString())
    const coordinatorId = await peerIdOf(research)
    const { panel, jobId } = await startJob(research, { innerSteps: 8, batchSize: 16, unitsPerRound: 4, auditRate: 0.5, roundSeconds: 40 })

    const volunteers = await Promise.all([0, 1, 2].map(async () => (await volunteerBrowser.newContext()).newPage()))
    const honestIds: string[] = []
    for (const page of volunteers) {
      await page.goto(APP)
      honestIds.push(await peerIdOf(page))
      await page.getByTestId('donate').click({ timeout: 60_000 })
    }
    const [colluderA, colluderB] = colludingPair()
    for (const attack of [colluderA, colluderB, ATTACKS.zero()] as Attack[]) {
      hostile.push(await startHeadlessVolunteer({ relayAddrs: process.env.TESSERAE_RELAY_ADDRS!.split(' '), dataDir: null, webrtc: true, attack }))
    }
    const hostileIds = hostile.map((h) => h.node.peerId.toString())

    await waitForRound(panel, 2, 240_000)
    // Close one volunteer tab while a round is under way: its unit goes to someone else, training goes on.
    // Rounds close at their deadline even with nothing delivered, so on a slow machine a tab may still be
    // compiling the CNN by round 2 (three tabs compile at once on two cores): close one that is working.
    const working = /^(training|downloading|uploading|waiting for work)$/
    let closing = -1
    await expect.poll(async () => {
      for (const i of [2, 1, 0]) if (working.test((await volunteers[i]!.getByTestId('volunteer-phase').getAttribute('data-phase')) ?? '')) return (closing = i)
      return -1
    }, { timeout: 180_000 }).toBeGreaterThanOrEqual(0)
    await volunteers[closing]!.context().close()
    const remaining = volunteers.filter((_, i) => i !== closing)
    const afterClose = await currentRound(panel)
    await waitForRound(panel, afterClose + 2, 240_000)

    // Reload the coordinator: same identity, same job, same round history, and it keeps going.
    const roundBefore = await currentRound(panel)
    await research.reload()
    expect(await peerIdOf(research)).toBe(coordinatorId)
    const resumed = research.locator(`[data-testid="coordinator-panel"][data-job-id="${jobId}"]`)
    await expect(resumed).toBeVisible({ timeout: 120_000 })
    await expect(research.getByTestId('resumed')).toBeVisible()
    expect(await currentRound(resumed)).toBeGreaterThanOrEqual(roundBefore)
    await waitForRound(resumed, roundBefore + 1, 240_000)

    // Accuracy rose; every hostile peer was caught with nothing accepted; every honest unit was accepted.
    const initial = Number(await research.getByTestId('initial-accuracy').textContent())
    const latest = Number(await research.getByTestId('latest-accuracy').textContent())
    expect(latest).toBeGreaterThan(initial + 0.2)
    const row = (id: string) => research.locator(`[data-testid="job-peer-row"][data-peer-id="${id}"]`)
    for (const id of hostileIds) {
      await expect(row(id)).toHaveAttribute('data-accepted', '0')
      // On a loaded machine a hostile peer's first result can still be on its way (in one full run a peer had
      // delivered nothing yet here): it is caught the moment it delivers, and rounds go on meanwhile.
      await expect(row(id)).toHaveAttribute('data-banned', 'true', { timeout: 150_000 })
    }
    let honestAccepted = 0
    for (const id of honestIds) {
      if ((await row(id).count()) === 0) continue
      await expect(row(id), `honest ${id}: ${await row(id).getAttribute('data-rejections')}`).toHaveAttribute('data-rejected', '0')
      honestAccepted += Number(await row(id).getAttribute('data-accepted'))
    }
    expect(honestAccepted).toBeGreaterThan(4)

    // The live dashboard (built from gossip) shows the audits, their outcomes and who was excluded for what.
    const verification = research.getByTestId('dashboard-verification')
    await expect.poll(async () => Number(await verification.getAttribute('data-failed')), { timeout: 30_000 }).toBeGreaterThanOrEqual(3)
    expect(Number(await verification.getAttribute('data-audits'))).toBeGreaterThan(Number(await verification.getAttribute('data-failed')))
    await expect(research.getByTestId('dashboard-bans')).toContainText('3 peers failed an audit')
    for (const id of hostileIds) {
      const peerRow = research.locator(`[data-testid="dashboard-peer"][data-peer-id="${id}"]`)
      await expect(peerRow).toHaveAttribute('data-banned-for', 'AUDIT_FAILED')
      await expect(peerRow).toHaveAttribute('data-credit', '0')
    }
    // Volunteers see their verdicts and credit through the coordinator's gossiped metrics.
    await expect.poll(async () => {
      for (const page of remaining) if (/GFLOP verified/.test((await page.getByTestId('credit').textContent()) ?? '')) return true
      return false
    }, { timeout: 30_000 }).toBe(true)
  } finally {
    for (const h of hostile) await h.stop()
    await Promise.all([coordinatorBrowser.close(), volunteerBrowser.close()])
  }
})
