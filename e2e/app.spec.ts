// The app shell in one browser: isolation headers work, the worker probes the device, the status bar
// reaches relay and chain, and every route renders its empty state.
import { expect, test } from '@playwright/test'

test('loads cross-origin isolated and falls back to wasm without WebGPU', async ({ page }) => {
  await page.goto('/')
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true)
  expect(await page.evaluate(() => typeof SharedArrayBuffer)).toBe('function')
  await expect(page.getByTestId('isolation')).toHaveAttribute('data-isolated', 'true')
  await expect(page.getByTestId('device-panel')).toHaveAttribute('data-backend', 'wasm')
  await expect(page.getByTestId('backend-reason')).toContainText('WebGPU unavailable')
  await expect(page.getByTestId('wasm-facts')).toContainText('SharedArrayBuffer yes')
})

test('trains the demo CNN on wasm in the compute worker and the loss falls', async ({ page }) => {
  await page.goto('/')
  await expect(page.getByTestId('device-panel')).toHaveAttribute('data-backend', 'wasm')
  await page.getByRole('button', { name: 'Run the check' }).click()
  await expect(page.getByTestId('check-verdict')).toContainText('Only WebAssembly is available', { timeout: 120_000 })
  const run = page.getByTestId('check-run')
  await expect(run).toHaveCount(1)
  await expect(run).toHaveAttribute('data-backend', 'wasm')
  expect(Number(await run.getAttribute('data-last-loss'))).toBeLessThan(Number(await run.getAttribute('data-first-loss')))
})

test('reaches the relay and the local chain named by /config.json', async ({ page, request }) => {
  const config = await (await request.get('/config.json')).json()
  expect(config.chain.chainId).toBe(31337)
  await page.goto('/')
  await expect(page.getByTestId('relay-status')).toHaveAttribute('data-state', 'connected')
  await expect(page.getByTestId('chain-status')).toHaveAttribute('data-state', 'ok')
  await expect(page.getByTestId('chain-status')).toContainText('chain id 31337')
  await expect(page.getByTestId('self-peer-id')).toHaveText(/^12D3KooW/)
})

test('every page renders and unknown routes say so', async ({ page }) => {
  await page.goto('/')
  const pages: Array<[string, string]> = [['Contribute', 'Contribute data'], ['Research', 'Research'], ['Ledger', 'Ledger'], ['Volunteer', 'Donate compute']]
  for (const [link, heading] of pages) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click()
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(heading)
  }
  await page.goto('/research')
  await expect(page.getByRole('heading', { name: 'Create a training job' })).toBeVisible()
  await expect(page.getByRole('button', { name: 'Start the job' })).toBeEnabled({ timeout: 60_000 })
  await page.goto('/no-such-page')
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible()
})

test('serves every response with the isolation headers', async ({ request }) => {
  for (const path of ['/', '/config.json', '/favicon.svg', '/ledger']) {
    const response = await request.get(path)
    expect(response.status(), path).toBe(200)
    expect(response.headers()['cross-origin-opener-policy'], path).toBe('same-origin')
    expect(response.headers()['cross-origin-embedder-policy'], path).toBe('require-corp')
  }
  expect((await request.get('/assets/missing.js')).status()).toBe(404)
})
