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
  // 150 steps at half usage with two pauses: about a minute alone, more at the end of a long suite.
  test.setTimeout(240_000)
  await page.goto('/research')
  await expect(page.getByTestId('training-status')).toHaveAttribute('data-status', 'idle')
  const panel = page.getByTestId('local-training')
  await panel.getByLabel('Model').selectOption('mlp')
  await panel.getByLabel('Steps').fill('150')
  await panel.getByLabel(/Compute usage/).fill('50')
  await page.getByRole('button', { name: 'Start training' }).click()
  await expect.poll(() => stepOf(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(20)
  await expect(page.getByTestId('training-throughput')).toContainText('samples/s')

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

  await expect(page.getByTestId('training-status')).toHaveAttribute('data-status', 'done', { timeout: 180_000 })
  expect(await stepOf(page)).toBe(150)
  const loss = page.getByTestId('training-loss')
  expect(Number(await loss.getAttribute('data-recent-loss'))).toBeLessThan(Number(await loss.getAttribute('data-first-loss')) * 0.5)
})
