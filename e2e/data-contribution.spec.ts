// Data contribution end to end in real browsers: a contributor imports a folder of Fashion-MNIST PNGs (one
// sub-folder per class) and an IDX pair, sees a corrupt file refused with its name, relabels a sample, saves
// and signs the dataset and offers it to a job; the job owner reviews it (sample grid, class balance, automatic
// checks) and accepts it; a volunteer in another browser trains on chunks fetched from the contributor's tab,
// and the contributor sees the credit and the copies the swarm holds; then the contributor's browser closes
// and the next three rounds still close on time, training on the copies the others hold.
import { expect, test } from '@playwright/test'
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launchChromium } from './chromium.ts'
import { startJob } from './research.ts'
import { fashionTestSet, saveSignedDataset, writeIdxSlice } from './contribute.ts'
import { encodePng } from '../src/data/testing/png.ts'
import { FASHION_MNIST_CLASSES } from '../src/data/fashion-mnist-files.ts'

const APP = process.env.TESSERAE_URL!

/** A folder of PNGs (three classes, four images each, one class folder named by index) and an IDX slice. */
async function fixtures(dir: string) {
  const { images, labels } = await fashionTestSet()
  const image = (i: number) => images.subarray(16 + i * 784, 16 + (i + 1) * 784)
  const folder = join(dir, 'fashion-pngs')
  const classes: Array<[number, string]> = [[1, 'Trouser'], [8, 'Bag'], [0, '0']]
  for (const [label, name] of classes) {
    await mkdir(join(folder, name), { recursive: true })
    const rows = Array.from({ length: 1000 }, (_, r) => r).filter((r) => labels[8 + r] === label).slice(0, 4)
    for (const [k, row] of rows.entries()) await writeFile(join(folder, name, `${k}.png`), await encodePng(28, 28, image(row)))
  }
  await writeFile(join(folder, 'README.txt'), 'Fashion-MNIST test images, one folder per class.')
  const broken = join(dir, 'broken-pngs')
  await mkdir(join(broken, 'Coat'), { recursive: true })
  await writeFile(join(broken, 'Coat', 'good.png'), await encodePng(28, 28, image(0)))
  await writeFile(join(broken, 'Coat', 'cut.png'), (await encodePng(28, 28, image(1))).subarray(0, 60))
  const n = 1100
  return { folder, broken, idx: await writeIdxSlice(dir, 2000, n), total: 12 + n }
}

test('a contributor uploads, labels, signs and shares a dataset that a volunteer in another browser trains on', async () => {
  test.setTimeout(480_000)
  const dir = await mkdtemp(join(tmpdir(), 'tesserae-data-'))
  const files = await fixtures(dir)
  const owners = await launchChromium()
  const volunteerBrowser = await launchChromium()
  try {
    // The job owner starts a small job.
    const research = await (await owners.newContext()).newPage()
    await research.goto(new URL('/research', APP).toString())
    const { jobId } = await startJob(research, { innerSteps: 8, batchSize: 16, unitsPerRound: 4, auditRate: 0, roundSeconds: 30 })

    // The contributor sees the job and imports into its shape.
    const contribute = await (await owners.newContext()).newPage()
    await contribute.goto(new URL('/contribute', APP).toString())
    await expect(contribute.getByTestId('target-job')).toHaveValue(jobId, { timeout: 60_000 })
    await expect(contribute.getByTestId('target-shape')).toContainText('28×28 grayscale, 10 classes')
    await expect(contribute.getByTestId('storage-budget')).toContainText('Browser storage:')

    // A folder with a truncated PNG is refused, naming the file; nothing is added.
    await contribute.getByTestId('import-folder').setInputFiles(files.broken)
    await expect(contribute.getByTestId('import-error')).toContainText('broken-pngs/Coat/cut.png is a truncated PNG')
    await expect(contribute.getByTestId('sample-count')).toHaveCount(0)

    await contribute.getByTestId('import-folder').setInputFiles(files.folder)
    await expect(contribute.getByTestId('import-notice')).toContainText('Imported 12 samples; left out 1 files')
    await contribute.getByTestId('import-files').setInputFiles(files.idx)
    await expect(contribute.getByTestId('sample-count')).toHaveAttribute('data-count', String(files.total), { timeout: 60_000 })
    const count = (name: string) => contribute.locator(`[data-testid="class-count"][data-class="${name}"]`)
    expect(Number(await count('Trouser').getAttribute('data-count'))).toBeGreaterThanOrEqual(4)
    const tshirts = Number(await count(FASHION_MNIST_CLASSES[0]).getAttribute('data-count'))
    const coats = Number(await count('Coat').getAttribute('data-count'))

    // Relabel the first sample (a T-shirt from folder "0", in path order) as a coat.
    const first = contribute.locator('[data-testid="sample"][data-index="0"]')
    await expect(first).toHaveAttribute('data-label', FASHION_MNIST_CLASSES[0])
    await first.click()
    await contribute.getByTestId('relabel-select').selectOption({ label: 'Coat' })
    await contribute.getByTestId('relabel-apply').click()
    await expect(first).toHaveAttribute('data-label', 'Coat')
    await expect(count('Coat')).toHaveAttribute('data-count', String(coats + 1))
    await expect(count(FASHION_MNIST_CLASSES[0])).toHaveAttribute('data-count', String(tshirts - 1))

    // Save: chunked, content-addressed, signed with the tab's peer key, stored in IndexedDB.
    await expect(contribute.getByTestId('save-panel').getByTestId('quota')).toContainText('the browser allows')
    const datasetId = await saveSignedDataset(contribute, 'Fashion slice with fixes', 'CC-BY-4.0')
    const row = contribute.getByTestId('dataset-row')
    await expect(row).toContainText('1,112 in 2 chunks')

    // Survives a reload (IndexedDB), then offered to the job.
    await contribute.reload()
    await expect(contribute.getByTestId('dataset-row')).toHaveAttribute('data-dataset-id', datasetId)
    await expect(contribute.getByTestId('target-job')).toHaveValue(jobId, { timeout: 60_000 })
    // The stored chunks give back the reviewed samples, relabel included (editing would save a new version).
    await contribute.getByTestId('edit-dataset').click()
    await expect(contribute.getByTestId('sample-count')).toHaveAttribute('data-count', String(files.total))
    await expect(first).toHaveAttribute('data-label', 'Coat')
    await contribute.getByRole('button', { name: 'Discard all' }).click()
    await expect(contribute.getByTestId('sample-count')).toHaveCount(0)
    await contribute.getByTestId('offer').click()
    await expect(contribute.getByTestId('dataset-job')).toHaveAttribute('data-status', 'pending', { timeout: 60_000 })

    // The job owner sees the offer and accepts it (every chunk is fetched from the contributor and checked).
    const offer = research.locator(`[data-testid="dataset-offer"][data-dataset-id="${datasetId}"]`)
    await expect(offer).toContainText('Fashion slice with fixes', { timeout: 30_000 })
    // The review: a grid of its samples, its class balance, and checks that found nothing odd in real images.
    await expect(offer.getByTestId('sample-grid')).toHaveAttribute('data-count', '32', { timeout: 60_000 })
    await expect(offer.locator('[data-testid="class-balance"] tr[data-class="Trouser"]')).toHaveAttribute('data-count', /^[1-9]/)
    await expect(offer.getByTestId('review-clean')).toBeVisible()
    await expect(research.getByTestId('auto-accept')).not.toBeChecked()
    await offer.getByRole('button', { name: 'Accept' }).click()
    await expect(offer).toHaveAttribute('data-status', 'accepted', { timeout: 90_000 })
    await expect(contribute.getByTestId('dataset-job')).toHaveAttribute('data-status', 'accepted', { timeout: 30_000 })

    // A volunteer in another browser trains; the contributed chunks come from the contributor's tab.
    const volunteer = await (await volunteerBrowser.newContext()).newPage()
    await volunteer.goto(APP)
    await volunteer.getByTestId('donate').click({ timeout: 60_000 })
    await expect.poll(async () => Number(await volunteer.getByTestId('contributed-chunks').getAttribute('data-count')), { timeout: 180_000, intervals: [1000] }).toBeGreaterThan(0)
    await expect.poll(async () => Number(await contribute.getByTestId('served-chunks').getAttribute('data-count')), { timeout: 60_000 }).toBeGreaterThan(0)
    // Credit: samples used by accepted units, reported by the coordinator and shown on the Contribute page.
    await expect.poll(async () => Number(await contribute.getByTestId('dataset-row').getAttribute('data-used')), { timeout: 180_000, intervals: [1000] }).toBeGreaterThan(0)
    await expect(contribute.getByTestId('dataset-credit')).toContainText('samples used by accepted work')
    // The volunteer pinned what it fetched: with the owner's tab and the coordinator's copy, three copies.
    await expect.poll(async () => Number(await contribute.getByTestId('dataset-copies').getAttribute('data-count')), { timeout: 60_000 }).toBeGreaterThanOrEqual(2)

    // The contributor closes its browser context. Its data stays served by the coordinator's and the
    // volunteer's copies, and the next three rounds close on time with accepted work. (Whether they plan its
    // two chunks among the job's own shards is the least-used rule's choice; server/swarm/data-availability.test.ts
    // checks its data is still trained on after the owner left.)
    const closedRounds = () => research.getByTestId('round-row').evaluateAll((rows) => rows.map((r) => ({ round: Number(r.getAttribute('data-round')), ms: Number(r.getAttribute('data-ms')), accepted: Number(r.getAttribute('data-accepted')) })))
    const lastBefore = Math.max(-1, ...(await closedRounds()).map((r) => r.round))
    const leftAt = Date.now()
    await contribute.context().close()
    await expect(offer.getByTestId('dataset-copies')).toHaveAttribute('data-count', /^[1-9]/, { timeout: 10_000 })
    await expect.poll(async () => Math.max(-1, ...(await closedRounds()).map((r) => r.round)), { timeout: 3 * 40_000, intervals: [1000] }).toBeGreaterThanOrEqual(lastBefore + 3)
    const after = (await closedRounds()).filter((r) => r.round > lastBefore && r.round <= lastBefore + 3)
    expect(after, JSON.stringify(after)).toHaveLength(3)
    // Each closes by its 30 s deadline (plus the 1 s tick and aggregation), and trains: nothing waits for the owner.
    for (const r of after) expect(r.ms, JSON.stringify(after)).toBeLessThan(30_000 + 8_000)
    expect(after.every((r) => r.accepted > 0), JSON.stringify(after)).toBe(true)
    expect(Date.now() - leftAt).toBeLessThan(3 * 40_000)

    // The owner's live dashboard, fed by the coordinator's gossiped metrics: curves and a CSV export.
    await expect(research.getByTestId('job-dashboard')).toHaveAttribute('data-job-id', jobId)
    await expect.poll(async () => Number(await research.getByTestId('round-chart').getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThan(0)
    await expect(research.locator('[data-testid="round-chart"] canvas')).toHaveCount(1)
    const [csv] = await Promise.all([research.waitForEvent('download'), research.getByTestId('export-csv').click()])
    const rows = (await readFile((await csv.path())!, 'utf8')).trim().split('\n')
    expect(rows[0]).toMatch(/^round,version,startedAtMs,/)
    expect(rows.length).toBeGreaterThan(1)
  } finally {
    await Promise.all([owners.close(), volunteerBrowser.close()])
    await rm(dir, { recursive: true, force: true })
  }
})
