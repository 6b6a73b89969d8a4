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

test('the same training steps on WebGPU and wasm agree within 1e-3, far inside an audit\'s tolerance, and lower the loss; stages match the whole model', async () => {
  const browser = await launchChromium(WEBGPU_ARGS)
  try {
    const page = await browser.newPage()
    await page.goto(process.env.TESSERAE_URL!)
    await expect(page.getByTestId('device-panel')).toHaveAttribute('data-backend', 'webgpu', { timeout: 60_000 })
    await page.getByRole('button', { name: 'Run the check' }).click()
    const verdict = page.getByTestId('check-verdict')
    await expect(verdict).toBeVisible({ timeout: 240_000 })
    await expect(verdict).toHaveAttribute('data-agree', 'true')
    expect(Number(await verdict.getAttribute('data-max-rel'))).toBeLessThan(1e-3)
    // Relative to how far a 16-step segment moves the model, the engines stay far inside an audit's tolerance
    // (0.1): the referee on wasm passes honest WebGPU work.
    const segmentError = Number(await verdict.getAttribute('data-segment-error'))
    console.log(`WebGPU vs wasm after one 16-step segment: ${(100 * segmentError).toFixed(3)} % of the movement`)
    expect(segmentError).toBeLessThan(0.01)
    const runs = page.getByTestId('check-run')
    await expect(runs).toHaveCount(2)
    // The WebGPU session was created with CPU fallback disabled: had any node needed the CPU, it would show
    // "fell back" here instead of plain "WebGPU".
    await expect(runs.first()).toHaveAttribute('data-backend', 'webgpu')
    await expect(runs.first()).not.toContainText('fell back')
    for (const run of await runs.all()) {
      expect(Number(await run.getAttribute('data-last-loss'))).toBeLessThan(Number(await run.getAttribute('data-first-loss')))
    }
    // Model shards: a transformer split into 2, 3 and 4 stages on WebGPU (every node on the GPU) assembles the
    // unsplit model's float64 gradients within 1e-3.
    const stages = page.getByTestId('stage-check')
    await expect(stages).toHaveAttribute('data-backend', 'webgpu')
    expect(await stages.getAttribute('data-error'), 'the stage check ran').toBeNull()
    const stageError = Number(await stages.getAttribute('data-max-rel'))
    console.log(`WebGPU: worst stage-assembled gradient error ${stageError.toExponential(2)} (2, 3 and 4 stages)`)
    expect(stageError).toBeLessThan(1e-3)
    await expect(stages).toHaveAttribute('data-agree', 'true')
  } finally {
    await browser.close()
  }
})
