// A model too big for the visitor's tab, used anyway (issue 19): a job splits its character transformer into 3
// stages; three Node peers serve one stage each of a version; a visitor whose tab may use only 1 MiB opens the
// version's use link, is told its input goes to the stage peers, and gets the text the unsplit model writes
// (onnxruntime on the whole model, here) from peers that each hold a third of it. The job's page shows the
// stage map with a peer serving every stage.
import { expect, test } from '@playwright/test'
import * as ort from 'onnxruntime-web'
import { launchChromium } from './chromium.ts'
import { expectAccessible } from './pages.ts'
import { recordViolations } from './violations.ts'
import { startHeadlessCoordinator, startHeadlessStagePeer } from '../server/swarm/headless.ts'
import { textTask } from '../server/task-data.ts'
import { recipeModel, type ModelRecipe } from '../src/graph/model-recipe.ts'
import { taskInput, taskOutputs } from '../src/data/task.ts'
import type { TaskBlock } from '../src/data/task-block.ts'
import { detokenize } from '../src/data/text.ts'
import { promptTokens } from '../src/data/task-input.ts'
import { generateTokens } from '../src/compute/generate.ts'
import { inferenceBytes } from '../src/training/job-stages.ts'
import { ExchangeVectorStore } from '../src/roles/exchange-vector-store.ts'
import { paramLayout, unflatten } from '../src/training/vector.ts'
import { modelUseLink } from '../src/app/use-link.ts'

const APP = process.env.TESSERAE_URL!
const first = (block: TaskBlock, count: number): TaskBlock => ({ ...block, count, x: block.x.subarray(0, count * block.perSample), y: block.y?.subarray(0, count) ?? null })

test('a tab that may use 1 MiB writes with a model split over three stage peers, as the whole model would', async () => {
  test.setTimeout(300_000)
  ort.env.wasm.numThreads = 1
  const relayAddrs = process.env.TESSERAE_RELAY_ADDRS!.split(' ')
  const data = await textTask('text/devils-dictionary.txt', { vocab: 96, context: 32 })
  if (data.task.kind !== 'text') throw new Error('the text task is not text')
  const recipe: ModelRecipe = { spec: { kind: 'transformer', layers: 4, width: 128, heads: 4 }, input: taskInput(data.task), ...taskOutputs(data.task) }
  const model = recipeModel(recipe)
  const peerLog: string[] = []
  const peers: Array<{ stop(): Promise<void> }> = []
  const browser = await launchChromium()
  try {
    const coordinator = await startHeadlessCoordinator({
      relayAddrs, dataDir: null, host: '127.0.0.1', webrtc: true, task: { task: data.task, recipe }, train: first(data.train, 1500), test: first(data.test, 100), shardSize: 500, evalLimit: 50,
      log: (line) => peerLog.push(`[coordinator] ${line}`),
      overrides: { name: 'Split dictionary', batchSize: 16, innerSteps: 4, roundMs: 600_000, stages: { cuts: [2, 4], microBatch: 4, budgetBytes: 64 * 2 ** 20 } },
    })
    peers.push(coordinator)
    const { version, paramsCid } = coordinator.host.head()
    for (const stage of [0, 1, 2]) {
      peers.push(await startHeadlessStagePeer({ relayAddrs, dataDir: null, webrtc: true, jobId: coordinator.job.id, version, paramsCid, stages: [stage], log: (line) => peerLog.push(`[stage ${stage}] ${line}`) }))
    }
    // What the whole model writes: its parameters as the coordinator holds them, on onnxruntime here.
    const layout = paramLayout(model)
    const params = unflatten(layout, await new ExchangeVectorStore(coordinator.exchange, layout.total).getParams(paramsCid))
    const prompt = 'LAWYER, n. One skilled in the circumvention of the law.'
    const expected = detokenize(await generateTokens(ort, model, params, { prompt: promptTokens(data.task.schema, prompt), length: 200, temperature: 0, seed: 1 }), data.task.schema)
    expect(inferenceBytes(model)).toBeGreaterThan(2 * 2 ** 20)

    const page = await (await browser.newContext()).newPage()
    const violations = await recordViolations(page)
    await page.goto(new URL(modelUseLink(coordinator.job.id, paramsCid, version), APP).toString())
    await page.getByTestId('use-memory').fill('1')
    await page.getByTestId('use-memory').press('Enter')
    await expect(page.getByTestId('use-page')).toHaveAttribute('data-status', 'staged', { timeout: 120_000 })
    await expect(page.getByTestId('use-staged')).toContainText('What you enter is sent to them')
    await expect(page.getByTestId('use-staged')).toHaveAttribute('data-coverage', '1,1,1', { timeout: 120_000 })
    await page.getByTestId('use-prompt').fill(prompt)
    await page.getByTestId('use-temperature').fill('0')
    await page.getByTestId('use-write').click()
    await expect(page.getByTestId('use-result').locator('strong')).toHaveText(expected, { timeout: 120_000 })
    const route = (await page.getByTestId('use-staged').getAttribute('data-route'))!.split(',')
    expect(route).toEqual(peers.slice(1).map((p) => (p as unknown as { node: { peerId: { toString(): string } } }).node.peerId.toString()))
    await expectAccessible(page, 'the use page of a staged model')

    // The job's page: its stage map, with a peer serving each stage.
    await page.goto(new URL('/research', APP).toString())
    const rows = page.getByTestId('stage-row')
    await expect(rows).toHaveCount(3, { timeout: 60_000 })
    for (const s of [0, 1, 2]) await expect(rows.nth(s)).toHaveAttribute('data-peers', '1', { timeout: 30_000 })
    expect(await violations()).toEqual([])
  } finally {
    await browser.close()
    for (const p of peers.reverse()) await p.stop().catch(() => undefined)
    await test.info().attach('node peers', { body: peerLog.join('\n'), contentType: 'text/plain' })
  }
})
