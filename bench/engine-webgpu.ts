// The WebGPU suite: the same train steps in the compute worker on Chromium's WebGPU adapter (SwiftShader here:
// correct but not fast, so these figures check the path, not the speed) against TensorFlow.js's WebGPU backend.
// Real-GPU figures come from the harness in gpu/ (`npm run bench:gpu`, or packed for a GPU machine).
import type { Page } from '@playwright/test'
import type { ZooModelName } from '../src/graph/zoo.ts'
import { best, enginePlans, figure } from './engine.ts'

export interface WebGpuRow {
  model: ZooModelName
  batchSize: number
  backend: string
  tesserae: number
  tfjs: number | string
}

export async function benchWebGpu(page: Page, log: (line: string) => void): Promise<{ rows: WebGpuRow[]; gemmGflops: number }> {
  const gemmGflops = await page.evaluate(() => window.bench!.gemm(512, 3, 'webgpu', 1))
  log(`ORT GEMM 512³ on WebGPU: ${gemmGflops.toFixed(2)} GFLOP/s`)
  const rows: WebGpuRow[] = []
  for (const plan of enginePlans(32)) {
    const steps = Math.max(2, Math.round(plan.steps / 10))
    const args = [plan.model, plan.batchSize, steps] as const
    const opened = await page.evaluate(([model, batch]) => window.bench!.open('webgpu', model, batch, { backend: 'webgpu', wasmThreads: 1, microBatch: null }, 1), args)
    const times = await page.evaluate(([, , n]) => window.bench!.steps('webgpu', n), args)
    await page.evaluate(() => window.bench!.close('webgpu'))
    const tfjsTimes = await page.evaluate(([model, batch, n]) => window.bench!.tfjs(model, batch, 1, n), args)
    const tesserae = best([figure(times, plan.batchSize)])
    const tfjs = typeof tfjsTimes === 'string' ? tfjsTimes : best([figure(tfjsTimes, plan.batchSize)])
    rows.push({ model: plan.model, batchSize: plan.batchSize, backend: opened.backend, tesserae, tfjs })
    log(`${plan.model} on ${opened.backend}: Tesserae ${tesserae.toFixed(0)} samples/s, TF.js ${typeof tfjs === 'string' ? tfjs : tfjs.toFixed(0)}`)
  }
  return { rows, gemmGflops }
}

export function webGpuTable(result: { rows: WebGpuRow[]; gemmGflops: number }): string[] {
  const lines = ['| WebGPU (SwiftShader: checks the path, not speed) | batch | ran on | Tesserae samples/s | TF.js WebGPU samples/s |', '|---|---|---|---|---|']
  for (const r of result.rows) lines.push(`| ${r.model} | ${r.batchSize} | ${r.backend} | ${r.tesserae.toFixed(0)} | ${typeof r.tfjs === 'string' ? r.tfjs : r.tfjs.toFixed(0)} |`)
  lines.push('', `ORT GEMM 512³ on this WebGPU adapter: ${result.gemmGflops.toFixed(2)} GFLOP/s`)
  return lines
}
