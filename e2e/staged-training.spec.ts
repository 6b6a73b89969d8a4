// A staged job trained by a swarm of tabs and Node peers (issue 19): a character transformer split into 3
// stages; four Node volunteers and two Chromium tabs (joined by the job's share link) each hold a stage; the
// coordinator drives each round's micro-batches through them over WebRTC and WebSockets and merges each stage
// group's replicas. One tab is closed mid-round: its calls go to its stage's other peers, the round closes with
// every step, and training goes on with no round lost.
import { expect, test, type Page } from '@playwright/test'
import { launchChromium } from './chromium.ts'
import { peerIdOf } from './pages.ts'
import { startHeadlessPipelineCoordinator, startHeadlessStageVolunteer } from '../server/swarm/headless.ts'
import { textTask } from '../server/task-data.ts'
import type { ModelRecipe } from '../src/graph/model-recipe.ts'
import { taskInput, taskOutputs } from '../src/data/task.ts'
import type { TaskBlock } from '../src/data/task-block.ts'

const APP = process.env.TESSERAE_URL!
const first = (block: TaskBlock, count: number): TaskBlock => ({ ...block, count, x: block.x.subarray(0, count * block.perSample), y: block.y?.subarray(0, count) ?? null })


test('two tabs and four Node peers train a model in 3 stages; a tab closed mid-round loses no round', async () => {
  test.setTimeout(420_000)
  const relayAddrs = process.env.TESSERAE_RELAY_ADDRS!.split(' ')
  const data = await textTask('text/devils-dictionary.txt', { vocab: 64, context: 16 })
  const recipe: ModelRecipe = { spec: { kind: 'transformer', layers: 2, width: 32, heads: 4 }, input: taskInput(data.task), ...taskOutputs(data.task) }
  const peerLog: string[] = []
  const peers: Array<{ stop(): Promise<void> }> = []
  const browser = await launchChromium()
  /** Closed before this step of round 1 starts: a visitor leaving mid-round. */
  let closeMidRound: (() => Promise<void>) | null = null
  try {
    const coordinator = await startHeadlessPipelineCoordinator({
      relayAddrs, dataDir: null, host: '127.0.0.1', webrtc: true, task: { task: data.task, recipe }, train: first(data.train, 4000), test: first(data.test, 64),
      log: (line) => peerLog.push(`[coordinator] ${line}`),
      beforeStep: async (round, step) => {
        if (round === 1 && step === 3 && closeMidRound) await closeMidRound()
      },
      overrides: { name: 'Dictionary in stages', batchSize: 8, innerSteps: 8, innerLr: 3e-3, outerLr: 0.7, outerMomentum: 0.5, aggregator: 'mean', stages: { cuts: [2, 4], microBatch: 4, budgetBytes: 64 * 2 ** 20 } },
    })
    peers.push(coordinator)
    const jobId = coordinator.job.id
    for (let i = 0; i < 4; i++) peers.push(await startHeadlessStageVolunteer({ relayAddrs, dataDir: null, jobId, log: (line) => peerLog.push(`[node ${i}] ${line}`) }))
    const tabs: Page[] = []
    const tabIds: string[] = []
    for (let i = 0; i < 2; i++) {
      const page = await (await browser.newContext()).newPage()
      await page.goto(new URL(`/?job=${encodeURIComponent(jobId)}`, APP).toString())
      tabIds.push(await peerIdOf(page))
      await page.getByTestId('donate').click({ timeout: 60_000 })
      tabs.push(page)
    }
    const { coordinator: c } = coordinator
    await expect.poll(() => c.candidates().length, { timeout: 120_000, message: peerLog.join('\n') }).toBe(6)

    const first0 = await c.runRound()
    expect(first0, peerLog.join('\n')).not.toBeNull()
    expect(Object.keys(first0!.assigned).sort()).toEqual([...c.candidates()].sort())
    for (const s of [0, 1, 2]) expect(Object.values(first0!.assigned).filter((x) => x === s)).toHaveLength(2)
    // Every replica was new, so every one was audited (its round replayed on the coordinator, and a kept call
    // rerun): all honest, the tabs' worker engines included.
    expect(first0!.audits.run).toBe(6)
    expect(first0!.audits.failed).toEqual([])
    // Each tab shows the stage it holds, and ran its share of the round's calls.
    for (const [i, page] of tabs.entries()) {
      await expect(page.getByTestId('stage-held')).toHaveAttribute('data-stage', String(first0!.assigned[tabIds[i]!]))
      expect(first0!.credited[tabIds[i]!], `tab ${i} was paid for its stage's FLOPs`).toBeGreaterThan(0)
      // The coordinator tells it what it earned when it next joins, and the tab shows it.
      await expect(page.getByTestId('stage-held')).toHaveAttribute('data-credit', String(first0!.credited[tabIds[i]!]), { timeout: 30_000 })
      await expect(page.getByTestId('stage-held')).toContainText('verified work so far')
    }

    // Round 1: the first tab closes while the round is under way.
    closeMidRound = () => tabs[0]!.context().close()
    const second = await c.runRound()
    expect(second, peerLog.join('\n')).not.toBeNull()
    expect(second!.steps).toBe(8)
    expect(second!.lost).toContain(tabIds[0])
    expect(second!.credited[tabIds[0]!]).toBeUndefined()
    const closedStage = first0!.assigned[tabIds[0]!]!
    expect(second!.merged[closedStage]!.length).toBeGreaterThan(0)
    expect(second!.audits.failed).toEqual([])

    // Training goes on: every round closes with all its steps and moves the version on, and the loss falls.
    const later = [await c.runRound(), await c.runRound()]
    for (const report of later) {
      expect(report, peerLog.join('\n')).not.toBeNull()
      expect(report!.steps).toBe(8)
      expect(report!.audits.failed).toEqual([])
    }
    expect(c.version).toBe(4)
    expect(later.at(-1)!.loss).toBeLessThan(first0!.loss)
    // Each version is scored on 64 held-out windows through the coordinator's own stage engines: it falls too.
    expect(later.at(-1)!.heldOut!).toBeLessThan(c.startHeldOut!)
    await expect(tabs[1]!.getByTestId('stage-held')).toHaveAttribute('data-version', '3', { timeout: 30_000 })
  } finally {
    await browser.close()
    for (const p of peers.reverse()) await p.stop().catch(() => undefined)
    await test.info().attach('node peers', { body: peerLog.join('\n'), contentType: 'text/plain' })
  }
})
