// The owner's own task in real Chromium: a researcher makes a job from a CSV with named columns (choosing the
// column to predict) and another from a folder of colour pictures in folders named as their own classes; a
// volunteer tab joins each by its share link; the dashboards show the owner's task and its held-out accuracy
// rising far above chance. A third job on a text reports bits per character and writes a sample.
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test, type Browser, type Page } from '@playwright/test'
import * as ort from 'onnxruntime-node'
import { launchChromium } from './chromium.ts'
import { startJob } from './research.ts'
import { DESKTOP, screenshot } from './pages.ts'
import { saveSignedDataset } from './contribute.ts'
import { readIdxPair } from '../src/data/labelled-images.ts'
import { sharedDatasetsDir } from '../server/fashion-mnist.ts'

const APP = process.env.TESSERAE_URL!

/** A 24-bit BMP (bottom-up rows padded to 4 bytes): every browser decodes it, no encoder needed. */
function bmp(width: number, height: number, rgb: (x: number, y: number) => [number, number, number]): Uint8Array {
  const row = Math.ceil((width * 3) / 4) * 4
  const bytes = new Uint8Array(54 + row * height)
  const view = new DataView(bytes.buffer)
  bytes.set([0x42, 0x4d])
  view.setUint32(2, bytes.length, true)
  view.setUint32(10, 54, true)
  view.setUint32(14, 40, true)
  view.setInt32(18, width, true)
  view.setInt32(22, height, true)
  view.setUint16(26, 1, true)
  view.setUint16(28, 24, true)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = rgb(x, height - 1 - y)
      bytes.set([b, g, r], 54 + y * row + x * 3)
    }
  }
  return bytes
}

/** Fashion-MNIST test pictures of three classes as tinted colour BMPs in folders named as the owner's classes. */
async function colourFolder(dir: string, name = 'my-pictures', skip = 0): Promise<{ root: string; total: number }> {
  const base = new URL('../public/datasets/fashion-mnist/', import.meta.url)
  const file = async (name: string) => ({ bytes: new Uint8Array(await readFile(new URL(name, base))), name })
  const set = await readIdxPair(await file('t10k-images-idx3-ubyte.gz'), await file('t10k-labels-idx1-ubyte.gz'))
  const classes: Record<number, string> = { 1: 'legs', 7: 'feet', 8: 'carry' }
  const root = join(dir, name)
  for (const name of Object.values(classes)) await mkdir(join(root, name), { recursive: true })
  const count: Record<string, number> = {}
  const seen: Record<string, number> = {}
  for (let i = 0; i < set.count; i++) {
    const name = classes[set.labels[i]!]
    if (!name || (count[name] ?? 0) >= 100) continue
    seen[name] = (seen[name] ?? 0) + 1
    if (seen[name]! <= skip) continue
    count[name] = (count[name] ?? 0) + 1
    const tint = [(i * 37) % 100, (i * 59) % 100, (i * 83) % 100].map((t) => 0.3 + (0.7 * t) / 100)
    const picture = bmp(28, 28, (x, y) => {
      const v = set.pixels[i * 784 + y * 28 + x]!
      return [v * tint[0]!, v * tint[1]!, v * tint[2]!]
    })
    await writeFile(join(root, name, `${i}.bmp`), picture)
  }
  return { root, total: Object.values(count).reduce((a, b) => a + b, 0) }
}

async function peerReady(page: Page): Promise<void> {
  await expect(page.getByTestId('self-peer-id')).toHaveText(/^12D3KooW/, { timeout: 60_000 })
}

/** A new owner's Research page with "your own data" chosen for a job named `name`. */
async function ownJobForm(browser: Browser, name: string) {
  const page = await (await browser.newContext({ viewport: DESKTOP })).newPage()
  await page.goto(new URL('/research', APP).toString())
  await peerReady(page)
  const form = page.getByTestId('coordinator-panel')
  await form.getByLabel('Job name').fill(name)
  await form.getByTestId('source-own').check()
  return { page, form }
}

/** Starts the job the form holds, brings a volunteer tab through the share link, and returns the dashboard. */
async function trainWithVolunteer(browser: Browser, research: Page) {
  const { jobId } = await startJob(research, { innerSteps: 16, batchSize: 16, unitsPerRound: 2, auditRate: 0, roundSeconds: 20 })
  const dashboard = research.locator(`[data-testid="job-dashboard"][data-job-id="${jobId}"]`)
  await expect(dashboard).toBeVisible({ timeout: 60_000 })
  const link = (await research.getByTestId('share-link').getAttribute('href'))!
  const volunteer = await (await browser.newContext({ viewport: DESKTOP })).newPage()
  await volunteer.goto(link)
  await peerReady(volunteer)
  await volunteer.getByTestId('donate').click({ timeout: 60_000 })
  return { dashboard, volunteer }
}

const accuracy = async (dashboard: ReturnType<Page['locator']>) => Number((await dashboard.getByTestId('dashboard-accuracy').getAttribute('data-accuracy')) || 0)

/**
 * A contributor's Contribute page imports `files` for the job (after `refused`, a file whose error it must show
 * and import nothing from), saves and signs them, and offers them; the owner sees the offer previewed and
 * accepts it, and the job then trains on it (its samples are credited as used).
 */
async function contribute(browser: Browser, owner: Page, jobId: string, expected: { shape: string; samples: number }, importInto: (page: Page) => Promise<void>, refused?: { file: { name: string; mimeType: string; buffer: Buffer }; error: string }) {
  const page = await (await browser.newContext({ viewport: DESKTOP })).newPage()
  await page.goto(new URL('/contribute', APP).toString())
  await expect(page.getByTestId('target-job').locator(`option[value="${jobId}"]`)).toHaveCount(1, { timeout: 60_000 })
  await page.getByTestId('target-job').selectOption(jobId)
  await expect(page.getByTestId('target-shape')).toContainText(expected.shape)
  if (refused) {
    await page.getByTestId('import-files').setInputFiles(refused.file)
    await expect(page.getByTestId('import-error')).toContainText(refused.error)
    await expect(page.getByTestId('sample-count')).toHaveCount(0)
  }
  await importInto(page)
  await expect(page.getByTestId('sample-count')).toHaveAttribute('data-count', String(expected.samples), { timeout: 60_000 })
  const datasetId = await saveSignedDataset(page, `More for ${jobId}`, 'CC-BY-4.0')
  await page.getByTestId('offer').click()
  await expect(page.getByTestId('dataset-job')).toHaveAttribute('data-status', 'pending', { timeout: 60_000 })
  const offer = owner.locator(`[data-testid="dataset-offer"][data-dataset-id="${datasetId}"]`)
  await expect(offer.getByTestId('sample-grid')).toBeVisible({ timeout: 60_000 })
  await offer.getByRole('button', { name: 'Accept' }).click()
  await expect(offer).toHaveAttribute('data-status', 'accepted', { timeout: 90_000 })
  await expect.poll(async () => Number(await offer.getAttribute('data-used')), { timeout: 120_000, intervals: [2000] }).toBeGreaterThan(0)
  return page
}

/** Runs `scenario` with its own Chromium and scratch folder, both gone afterwards whatever happens. */
async function withBrowser(scenario: (browser: Browser, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tesserae-own-'))
  const browser = await launchChromium()
  try {
    await scenario(browser, dir)
  } finally {
    await browser.close()
    await rm(dir, { recursive: true, force: true })
  }
}

// Three owners, each test on its own: a slow part names itself, and none inherits another's time limit.
test('an owner trains a job on their own table, exports it, a third browser uses it, and a new job fine-tunes it', async () => {
  test.setTimeout(420_000)
  await withBrowser(async (browser, dir) => {
    // A table: Wine, predicting its "cultivar" column from the 13 measurements.
    const { page: research, form } = await ownJobForm(browser, 'Wine cultivars')
    // A file that is not a table or a text is refused by name.
    await form.getByTestId('own-file').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from([1, 2, 3]) })
    await expect(form.getByTestId('own-error')).toContainText('photo.png is not a table')
    await form.getByTestId('own-file').setInputFiles(join(sharedDatasetsDir(), 'tabular', 'wine.csv'))
    await form.getByTestId('own-label').selectOption('cultivar')
    await expect(form.getByTestId('own-summary')).toContainText('table rows of 13 features predicting "cultivar" (3 classes): 142 samples to train on, 36 held out')
    await form.getByLabel('MLP hidden widths').fill('32')
    await expect(form.getByTestId('own-summary')).toHaveAttribute('data-parameters', String(13 * 32 + 32 + 32 * 3 + 3))
    const wine = await trainWithVolunteer(browser, research)
    await expect(wine.dashboard.getByTestId('dashboard-task')).toHaveText('table rows of 13 features predicting "cultivar" (3 classes)')
    // A contributor brings more measurements: every other wine re-measured 1 % higher, its columns in another
    // order with a notes column the job does not read.
    const rows = (await readFile(join(sharedDatasetsDir(), 'tabular', 'wine.csv'), 'utf8')).trim().split(/\r?\n/).map((line) => line.split(','))
    const header = rows[0]!
    const order = [header.length - 1, ...header.slice(0, -1).map((_, i) => header.length - 2 - i)]
    const more = [['notes', ...order.map((c) => header[c]!)], ...rows.slice(1).filter((_, i) => i % 2 === 1).map((r) => ['re-measured', ...order.map((c) => (c === header.length - 1 ? r[c]! : String(Number(r[c]) * 1.01)))])]
    await writeFile(join(dir, 'more-wine.csv'), more.map((r) => r.join(',')).join('\n'))
    const wineJob = (await wine.dashboard.getAttribute('data-job-id'))!
    const badRow = [header.join(','), ['abc', ...rows[1]!.slice(1)].join(',')].join('\n')
    const wineContributor = await contribute(browser, research, wineJob, { shape: 'table rows of 13 features predicting "cultivar" (3 classes)', samples: more.length - 1 }, (page) => page.getByTestId('import-files').setInputFiles(join(dir, 'more-wine.csv')), {
      file: { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(badRow) },
      error: 'bad.csv line 2 column "alcohol": "abc" is not a number',
    })
    await expect.poll(() => accuracy(wine.dashboard), { timeout: 180_000, intervals: [2000] }).toBeGreaterThanOrEqual(0.95)
    await screenshot(research, 'research-own-table', DESKTOP)
    // The owner exports that version as ONNX; a third browser opens its use link and types Wine's first row (a
    // class_0 wine), feature by feature: its probabilities are what onnxruntime-node gives on the exported file.
    await wine.dashboard.getByTestId('export-onnx').click()
    const download = wine.dashboard.getByTestId('onnx-download')
    await expect(download).toBeVisible({ timeout: 120_000 })
    const [file] = await Promise.all([research.waitForEvent('download'), download.click()])
    const onnx = await readFile((await file.path())!)
    expect(Number(await wine.dashboard.getByTestId('export-predictions').getAttribute('data-accuracy'))).toBeGreaterThanOrEqual(0.9)
    const useLink = (await wine.dashboard.getByTestId('export-use-link').getAttribute('href'))!
    expect(useLink).toContain(`version=${await download.getAttribute('data-version')}`)
    const user = await (await browser.newContext({ viewport: DESKTOP })).newPage()
    await user.goto(new URL(useLink, APP).toString())
    await expect(user.getByTestId('use-page')).toHaveAttribute('data-status', 'ready', { timeout: 120_000 })
    const csv = (await readFile(join(sharedDatasetsDir(), 'tabular', 'wine.csv'), 'utf8')).trim().split(/\r?\n/)
    const names = csv[0]!.split(',')
    const first = csv[1]!.split(',')
    for (const [i, name] of names.entries()) if (name !== 'cultivar') await user.getByLabel(name, { exact: true }).fill(first[i]!)
    await user.getByTestId('use-predict').click()
    await expect(user.getByTestId('use-result')).toHaveAttribute('data-top', first[names.indexOf('cultivar')]!)
    const inBrowser = JSON.parse((await user.getByTestId('use-result').getAttribute('data-probabilities'))!) as Record<string, number>
    const session = await ort.InferenceSession.create(onnx)
    // The file states its input columns in its metadata: here the CSV's, without the label.
    const columns = names.filter((n) => n !== 'cultivar')
    expect(onnx.toString('utf8')).toContain(JSON.stringify(columns))
    const row = Float32Array.from(columns, (name) => Number(first[names.indexOf(name)]))
    const probabilities = (await session.run({ features: new ort.Tensor('float32', row, [1, row.length]) })).probabilities!.data as Float32Array
    await session.release()
    const classes = Object.keys(inBrowser).sort()
    expect(classes).toEqual(['class_0', 'class_1', 'class_2'])
    for (const [i, name] of classes.entries()) expect(Math.abs(probabilities[i]! - inBrowser[name]!)).toBeLessThan(1e-4)
    await screenshot(user, 'use-table', DESKTOP)
    // The owner deploys the current version: every dashboard then offers it, recorded in the job log.
    await research.getByTestId('deploy').click()
    const deployed = wine.dashboard.getByTestId('dashboard-deployed')
    await expect(deployed).toBeVisible({ timeout: 30_000 })
    await expect(research.getByTestId('deploy-panel')).toHaveAttribute('data-deployed-version', (await deployed.getAttribute('data-version'))!)
    expect(await wine.dashboard.getByTestId('deployed-use-link').getAttribute('href')).toMatch(/^\/use\?job=.+&params=.+&version=\d+$/)
    // The exported file starts a new job on the same table: a fresh head on its body, the body at a tenth of the
    // learning rate. The volunteer's worker and the referee's replay of its first unit both train it so.
    const { page: tuner, form: tuneForm } = await ownJobForm(browser, 'Wine, fine-tuned')
    await tuneForm.getByTestId('own-file').setInputFiles(join(sharedDatasetsDir(), 'tabular', 'wine.csv'))
    await tuneForm.getByTestId('own-label').selectOption('cultivar')
    await tuneForm.getByTestId('own-start').setInputFiles({ name: 'wine.onnx', mimeType: 'application/octet-stream', buffer: onnx })
    await tuneForm.getByTestId('own-start-mode').selectOption('new-head-slow')
    await expect(tuneForm.getByTestId('own-start-summary')).toContainText('Starts from "Wine cultivars" version')
    const tuned = await trainWithVolunteer(browser, tuner)
    await expect(tuned.dashboard.getByTestId('dashboard-fine-tune')).toHaveAttribute('data-body-scale', '0.1', { timeout: 30_000 })
    await expect.poll(() => accuracy(tuned.dashboard), { timeout: 180_000, intervals: [2000] }).toBeGreaterThanOrEqual(0.9)
    expect(Number(await tuned.dashboard.getByTestId('dashboard-verification').getAttribute('data-rejected'))).toBe(0)
    await tuned.volunteer.context().close()
    await tuner.context().close()
    await user.context().close()
    await wineContributor.context().close()
    await wine.volunteer.context().close()
    await research.context().close()
  })
})

test('an owner trains a job on their own colour pictures with their own classes, and a contributor adds more', async () => {
  test.setTimeout(240_000)
  await withBrowser(async (browser, dir) => {
    // Pictures: three folders named as the owner's classes, fitted to 24×24 RGB by padding.
    const { root: pictures, total } = await colourFolder(dir)
    const heldOut = Math.ceil(total / 5)
    const { page: owner, form: form2 } = await ownJobForm(browser, 'Legs, feet or carry')
    await form2.getByTestId('own-folder').setInputFiles(pictures)
    await form2.getByLabel('Height (pixels)').fill('24')
    await form2.getByLabel('Width (pixels)').fill('24')
    await form2.getByLabel('Pictures of another shape are').selectOption('pad')
    await expect(form2.getByTestId('own-summary')).toContainText(`24×24 RGB images, 3 classes: ${total - heldOut} samples to train on, ${heldOut} held out`)
    const shoes = await trainWithVolunteer(browser, owner)
    await expect(shoes.dashboard.getByTestId('dashboard-task')).toHaveText('24×24 RGB images, 3 classes')
    // A contributor brings other colour pictures in folders named as the owner's classes, padded as the job says.
    const { root: morePictures, total: moreTotal } = await colourFolder(dir, 'their-pictures', 100)
    const shoesJob = (await shoes.dashboard.getAttribute('data-job-id'))!
    const pictureContributor = await contribute(browser, owner, shoesJob, { shape: '24×24 RGB images, 3 classes', samples: moreTotal }, (page) => page.getByTestId('import-folder').setInputFiles(morePictures), {
      file: { name: 'rows.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2') },
      error: 'rows.csv is a table, but this job\'s samples are 24×24 RGB images, 3 classes',
    })
    await expect(pictureContributor.getByTestId('dataset-row')).toHaveAttribute('data-status', 'accepted', { timeout: 30_000 })
    // Chance is a third.
    await expect.poll(() => accuracy(shoes.dashboard), { timeout: 180_000, intervals: [2000] }).toBeGreaterThan(0.7)
    await pictureContributor.context().close()
    await shoes.volunteer.context().close()
    await owner.context().close()
  })
})

test('an owner trains a job on their own text: bits per character, a sample on the dashboard, the use page writes', async () => {
  test.setTimeout(240_000)
  await withBrowser(async (browser) => {
    // A text: The Devil's Dictionary, character by character; the dashboard reports bits per character and
    // writes a sample with the current version.
    const { page: writer, form: form3 } = await ownJobForm(browser, 'Devil\'s Dictionary')
    await form3.getByTestId('own-file').setInputFiles(join(sharedDatasetsDir(), 'text', 'devils-dictionary.txt'))
    await form3.getByLabel('Context (tokens)').fill('32')
    await expect(form3.getByTestId('own-summary')).toContainText('character-level text, 85 tokens, context 32')
    // Dropout against overfitting a small text: the tab's worker draws the masks a referee's replay draws.
    await form3.getByLabel('Dropout').fill('0.1')
    await expect(form3.getByTestId('own-summary')).toContainText('trains with dropout 0.1')
    const text = await trainWithVolunteer(browser, writer)
    const bits = async () => Number((await text.dashboard.getByTestId('dashboard-accuracy').getAttribute('data-loss')) || Infinity) / Math.LN2
    // Below 6.4 bits (a uniform guess over 85 characters) once a round has closed.
    await expect.poll(bits, { timeout: 180_000, intervals: [2000] }).toBeLessThan(5)
    await expect(text.dashboard.getByTestId('dashboard-accuracy')).toContainText('now (next token right')
    await text.dashboard.getByTestId('write-sample').click()
    const sample = text.dashboard.getByTestId('sample-text')
    await expect(sample).toBeVisible({ timeout: 120_000 })
    expect(((await sample.locator('strong').textContent()) ?? '').length).toBeGreaterThan(100)
    // The use page writes from anyone's prompt.
    const reader = await (await browser.newContext({ viewport: DESKTOP })).newPage()
    await reader.goto(new URL((await text.dashboard.getByTestId('use-link').getAttribute('href'))!, APP).toString())
    await expect(reader.getByTestId('use-page')).toHaveAttribute('data-status', 'ready', { timeout: 120_000 })
    await reader.getByTestId('use-prompt').fill('LAWYER, n. One skilled in')
    await reader.getByTestId('use-write').click()
    await expect(reader.getByTestId('use-result').locator('strong')).toHaveText(/.{100,}/s, { timeout: 60_000 })
  })
})
