// Local training in the compute worker (wasm here): live loss falls, the pause button and a hidden tab both
// stop steps from advancing, and training resumes where it left off.
import { expect, test, type Page } from '@playwright/test'

const stepOf = async (page: Page) => Number(await page.getByTestId('training-step').getAttribute('data-step'))

async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') })
    document.dispatchEvent(new Event('visibilitychange'))
  }, hidden)
}

async function expectNoProgress(page: Page): Promise<void> {
  // Let any step already in flight finish, then check that nothing moves for a while.
  await page.waitForTimeout(1500)
  const held = await stepOf(page)
  await page.waitForTimeout(2000)
  expect(await stepOf(page)).toBe(held)
}

test('trains the MLP in the worker with pause, hidden-tab pause, and a falling loss', async ({ page }) => {
  // A long run (5,000 steps) at a fifth of the device, so that Pause always finds it running however quick the
  // machine (a 150-step run at half the device once ended before the click); after the two pauses it goes to
  // full speed until 150 steps, and is stopped.
  test.setTimeout(240_000)
  await page.goto('/research')
  await expect(page.getByTestId('training-status')).toHaveAttribute('data-status', 'idle')
  const panel = page.getByTestId('local-training')
  await panel.getByLabel('Model').selectOption('mlp')
  await panel.getByLabel('Steps').fill('5000')
  await panel.getByLabel(/Compute usage/).fill('20')
  await page.getByRole('button', { name: 'Start training' }).click()
  await expect.poll(() => stepOf(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(1)

  await page.getByRole('button', { name: 'Pause' }).click()
  await expect(page.getByTestId('training-status')).toHaveText(/^paused/)
  await expectNoProgress(page)
  await page.getByRole('button', { name: 'Resume' }).click()
  const resumedFrom = await stepOf(page)
  await expect.poll(() => stepOf(page), { timeout: 60_000 }).toBeGreaterThan(resumedFrom)

  await setHidden(page, true)
  await expect(page.getByTestId('training-status')).toHaveText('paused (tab hidden)')
  await expectNoProgress(page)
  await setHidden(page, false)

  await panel.getByLabel(/Compute usage/).fill('100')
  await expect.poll(() => stepOf(page), { timeout: 180_000 }).toBeGreaterThanOrEqual(150)
  await page.getByRole('button', { name: 'Stop' }).click()
  await expect(page.getByTestId('training-status')).toHaveAttribute('data-status', 'stopped', { timeout: 30_000 })
  await expect(page.getByTestId('training-throughput')).toContainText('samples/s')
  const loss = page.getByTestId('training-loss')
  expect(Number(await loss.getAttribute('data-recent-loss'))).toBeLessThan(Number(await loss.getAttribute('data-first-loss')) * 0.5)
})
