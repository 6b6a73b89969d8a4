// With --enable-unsafe-webgpu, Chromium exposes SwiftShader's WebGPU adapter to workers; the probe must find
// it, run its compute self-test on it and choose WebGPU.
import { expect, test } from '@playwright/test'
import { launchChromium, WEBGPU_ARGS } from './chromium.ts'

test('the compute worker finds a WebGPU adapter and chooses it', async () => {
  const browser = await launchChromium(WEBGPU_ARGS)
  try {
    const page = await browser.newPage()
    await page.goto(process.env.TESSERAE_URL!)
    await expect(page.getByTestId('device-panel')).toHaveAttribute('data-backend', 'webgpu', { timeout: 60_000 })
    await expect(page.getByTestId('backend')).toHaveText('WebGPU')
    await expect(page.getByTestId('backend-reason')).toContainText('passed a compute self-test')
    await expect(page.getByTestId('adapter')).not.toBeEmpty()
  } finally {
    await browser.close()
  }
})
