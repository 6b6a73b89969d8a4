// Each audience's main path in real Chromium, the way a user would walk it: a researcher fills the job form
// (and is told what is wrong first), invites a volunteer through the share link (QR included), the volunteer
// donates and sees credit and earnings survive a reload, and the researcher exports the model, which gives the
// same predictions in onnxruntime-node as in the browser. Screenshots at desktop and phone widths are saved.
import { readFile } from 'node:fs/promises'
import { expect, test, type Page } from '@playwright/test'
import * as ort from 'onnxruntime-node'
import jsQR from 'jsqr'
import { launchChromium } from './chromium.ts'
import { startJob } from './research.ts'
import { DESKTOP, NARROW, PHONE, expectAccessible, screenshot } from './pages.ts'
import { readIdxPair } from '../src/data/labelled-images.ts'

const APP = process.env.TESSERAE_URL!

async function peerIdOf(page: Page): Promise<string> {
  const id = page.getByTestId('self-peer-id')
  await expect(id).toHaveText(/^12D3KooW/, { timeout: 60_000 })
  return (await id.textContent())!
}

/** The QR code as the browser drew it, decoded by jsQR in Node. */
async function readQr(page: Page): Promise<string | null> {
  const { data, width, height } = await page.getByTestId('share-qr').evaluate(async (img: HTMLImageElement) => {
    await img.decode()
    const canvas = new OffscreenCanvas(img.naturalWidth, img.naturalHeight)
    const context = canvas.getContext('2d')!
    context.drawImage(img, 0, 0)
    return { data: Array.from(context.getImageData(0, 0, canvas.width, canvas.height).data), width: canvas.width, height: canvas.height }
  })
  return jsQR(Uint8ClampedArray.from(data), width, height)?.data ?? null
}

async function demoTestImages() {
  const dir = new URL('../public/datasets/fashion-mnist/', import.meta.url)
  const file = async (name: string) => ({ bytes: new Uint8Array(await readFile(new URL(name, dir))), name })
  return readIdxPair(await file('t10k-images-idx3-ubyte.gz'), await file('t10k-labels-idx1-ubyte.gz'))
}

test('researcher creates a job, a volunteer joins by its share link, earns, reloads, and the model exports', async () => {
  test.setTimeout(480_000)
  const browser = await launchChromium()
  try {
    const research = await (await browser.newContext({ viewport: DESKTOP })).newPage()
    await research.goto(new URL('/research', APP).toString())
    await peerIdOf(research)

    // The form says what is wrong before anything starts, and puts the cursor on the first bad field.
    const form = research.getByTestId('coordinator-panel')
    await form.getByLabel('Batch size').fill('sixteen')
    await form.getByLabel('Job name').fill('')
    await form.getByRole('button', { name: 'Start the job' }).click()
    await expect(form.getByText('give the job a name volunteers will recognise')).toBeVisible()
    await expect(form.getByText('"sixteen" is not a number')).toBeVisible()
    await expect(form.getByLabel('Job name')).toBeFocused()
    await expect(form.getByLabel('Batch size')).toHaveAttribute('aria-invalid', 'true')
    await expect(form.getByLabel('Model', { exact: true })).toContainText('params')
    await form.getByLabel('Job name').fill('UX test job')
    const { jobId } = await startJob(research, { innerSteps: 8, batchSize: 16, unitsPerRound: 2, auditRate: 0, roundSeconds: 20 })

    const dashboard = research.locator(`[data-testid="job-dashboard"][data-job-id="${jobId}"]`)
    await expect(dashboard).toBeVisible({ timeout: 60_000 })
    await expect(dashboard).toContainText('reward pool 1 ETH (20% to data)')
    const link = (await research.getByTestId('share-link').getAttribute('href'))!
    expect(link).toBe(`${APP.replace(/\/$/, '')}/?job=${encodeURIComponent(jobId)}`)
    expect(await readQr(research)).toBe(link)

    // The volunteer arrives through the link, pinned to this job.
    const volunteer = await (await browser.newContext({ viewport: DESKTOP })).newPage()
    await volunteer.goto(link)
    const volunteerId = await peerIdOf(volunteer)
    await expect(volunteer.getByTestId('invited-job')).toContainText('UX test job', { timeout: 60_000 })
    await volunteer.getByTestId('usage').fill('80')
    await volunteer.getByTestId('donate').click({ timeout: 60_000 })
    await expect(volunteer.getByTestId('volunteer-job')).toContainText('UX test job', { timeout: 60_000 })
    const credit = volunteer.getByTestId('credit')
    await expect.poll(async () => Number(await credit.getAttribute('data-flops')), { timeout: 240_000, intervals: [1000] }).toBeGreaterThan(0)
    // The researcher funded nothing (no wallet), so the announced 1 ETH pool is not money anyone can claim: the
    // page says so instead of estimating a share of it.
    await expect(volunteer.getByTestId('escrow-status')).toHaveAttribute('data-escrowed', 'no', { timeout: 30_000 })
    await expect(volunteer.getByTestId('escrow-status')).toContainText('not escrowed')
    await expect(volunteer.getByTestId('earnings')).not.toContainText('ETH')

    // The researcher's dashboard, fed by gossip: curves, timeline, the volunteer with its backend and speed.
    await expect.poll(async () => Number(await dashboard.getByTestId('round-chart').getAttribute('data-points')), { timeout: 120_000 }).toBeGreaterThanOrEqual(1)
    await expect(dashboard.getByTestId('round-timeline')).toBeVisible()
    const row = dashboard.locator(`[data-testid="dashboard-peer"][data-peer-id="${volunteerId}"]`)
    await expect(row).toHaveAttribute('data-backend', 'wasm')
    await expect(row.locator('td').nth(2)).toHaveText(/^[0-9]+$/)

    await screenshot(research, 'research-training', DESKTOP)
    await screenshot(research, 'research-training', PHONE)
    await screenshot(research, 'research-training', NARROW)
    await expectAccessible(research, 'the Research page during training')
    await research.setViewportSize(DESKTOP)
    await screenshot(volunteer, 'volunteer', DESKTOP)
    await screenshot(volunteer, 'volunteer', PHONE)
    await screenshot(volunteer, 'volunteer', NARROW)
    await expectAccessible(volunteer, 'the Volunteer page while donating')

    await expect.poll(async () => Number(await dashboard.getAttribute('data-round')), { timeout: 180_000 }).toBeGreaterThanOrEqual(4)
    // Export: the file, and what the browser predicts with that version on 100 held-out images.
    await dashboard.getByTestId('export-onnx').click()
    const download = dashboard.getByTestId('onnx-download')
    await expect(download).toBeVisible({ timeout: 120_000 })
    const [file] = await Promise.all([research.waitForEvent('download'), download.click()])
    const onnx = await readFile((await file.path())!)
    const predictions = (await dashboard.getByTestId('export-predictions').getAttribute('data-predictions'))!.split(',').map(Number)
    expect(predictions).toHaveLength(100)
    const test = await demoTestImages()
    // The file's batch is symbolic: all 100 images in one run.
    const session = await ort.InferenceSession.create(onnx)
    const pixels = Float32Array.from(test.pixels.subarray(0, 100 * 784), (p) => p / 255)
    const logits = (await session.run({ pixels: new ort.Tensor('float32', pixels, [100, 1, 28, 28]) })).logits!.data as Float32Array
    const inNode = Array.from({ length: 100 }, (_, i) => {
      const row = Array.from(logits.subarray(i * 10, (i + 1) * 10))
      return row.indexOf(Math.max(...row))
    })
    await session.release()
    expect(inNode).toEqual(predictions)
    // Trained for at least a round: better than chance on these images.
    expect(inNode.filter((p, i) => p === test.labels[i]).length).toBeGreaterThan(20)

    // Reload the volunteer: it resumes donating by itself, with its credit and slider setting intact.
    const before = Number(await credit.getAttribute('data-flops'))
    await volunteer.reload()
    await expect(volunteer.getByTestId('donation-resumed')).toBeVisible({ timeout: 60_000 })
    await expect(volunteer.getByTestId('usage')).toHaveValue('80')
    await expect.poll(async () => Number(await volunteer.getByTestId('credit').getAttribute('data-flops')), { timeout: 60_000 }).toBeGreaterThanOrEqual(before)
    // Other pages do not stop the donation: the status bar says it goes on, and back on the Volunteer page the
    // same client is still counting (a restarted one would start again from no units).
    const delivered = async () => parseInt((await volunteer.getByTestId('units-submitted').textContent()) ?? '0', 10)
    await expect.poll(delivered, { timeout: 120_000 }).toBeGreaterThanOrEqual(1)
    const sofar = await delivered()
    await volunteer.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Ledger' }).click()
    await expect(volunteer.getByTestId('donating')).toHaveText('Donating')
    await volunteer.waitForTimeout(3000)
    await volunteer.getByTestId('donating').click()
    await expect(volunteer.getByTestId('stop')).toBeVisible()
    expect(await delivered()).toBeGreaterThanOrEqual(sofar)
    await volunteer.getByTestId('stop').click()
    await volunteer.reload()
    await expect(volunteer.getByTestId('donate')).toBeVisible({ timeout: 60_000 })
  } finally {
    await browser.close()
  }
})

test('every page is accessible, fits a phone, and works from the keyboard', async () => {
  test.setTimeout(240_000)
  const browser = await launchChromium()
  try {
    const page = await (await browser.newContext({ viewport: DESKTOP })).newPage()
    for (const [path, name] of [['/', 'volunteer-idle'], ['/contribute', 'contribute'], ['/research', 'research-idle'], ['/ledger', 'ledger']] as const) {
      await page.goto(new URL(path, APP).toString())
      await expect(page.locator('[aria-busy="true"]')).toHaveCount(0, { timeout: 60_000 })
      await screenshot(page, name, DESKTOP)
      await screenshot(page, name, PHONE)
      await screenshot(page, name, NARROW)
      await expectAccessible(page, `${path} at the narrowest phone width`)
      await page.setViewportSize(DESKTOP)
    }
    // Protocol words explain themselves: the "?" beside one opens its explanation, and the footer lists them all.
    await page.goto(new URL('/research', APP).toString())
    const term = page.locator('[data-term="outerNesterov"]').first()
    await term.getByRole('button', { name: 'What is outer Nesterov momentum?' }).click()
    await expect(term.getByRole('note')).toContainText('momentum')
    await page.getByTestId('glossary').locator('summary').click()
    await expect(page.getByTestId('glossary')).toContainText('Merkle root')
    // Keyboard only: from the top of the Volunteer page, Tab reaches "Donate compute" and Enter starts it.
    await page.goto(APP)
    await expect(page.getByTestId('donate')).toBeEnabled({ timeout: 60_000 })
    let reached = false
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press('Tab')
      reached = await page.getByTestId('donate').evaluate((el) => el === document.activeElement)
    }
    expect(reached).toBe(true)
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('stop')).toBeVisible()
    await page.getByTestId('stop').focus()
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('donate')).toBeVisible()
  } finally {
    await browser.close()
  }
})
