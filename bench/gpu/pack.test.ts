// The packed GPU harness runs on a machine with nothing installed: no Node on the PATH, no node_modules, no
// Vulkan driver but the SwiftShader it carries (the CPU check; a GPU machine runs the same pack on its GPU).
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import type { GpuReport } from './harness.ts'

const run = promisify(execFile)
const here = new URL('.', import.meta.url).pathname

describe('GPU harness pack', () => {
  let dir = ''
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('trains on WebGPU from the unpacked folder alone, with losses matching the wasm engine', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tesserae-gpu-'))
    await run(process.execPath, [join(here, 'pack.ts'), '--out', dir, '--dir-only'])
    const report = join(dir, 'report.json')
    // A bare environment: the pack must bring its own Node, Dawn, ORT and Vulkan loader.
    const { stdout } = await run(join(dir, 'tesserae-gpu/run.sh'), ['--swiftshader', '--models', 'mlp', '--steps', '2', '--gemm', '128', '--out', report], { env: { PATH: '/usr/bin:/bin', HOME: dir }, cwd: dir, timeout: 150_000 })
    expect(stdout).toMatch(/^adapter: .*swiftshader.*\(fallback: a CPU, not a GPU\)$/im)
    const parsed = JSON.parse(await readFile(report, 'utf8')) as GpuReport
    expect(parsed.adapter.fallback).toBe(true)
    expect(parsed.gemm.gflopsPerSecond).toBeGreaterThan(0)
    expect(parsed.models).toHaveLength(1)
    const [mlp] = parsed.models
    expect(mlp).toMatchObject({ model: 'mlp', batchSize: 64, steps: 2, matchesWasm: true })
    expect(mlp!.lossRelDiff).toBeLessThan(1e-3)
    expect(mlp!.samplesPerSecond).toBeGreaterThan(0)
  }, 240_000)

  it('says why when there is no adapter, instead of failing somewhere inside ORT', async () => {
    const staged = join(dir, 'tesserae-gpu/run.sh')
    // A Vulkan ICD list naming nothing loadable: what a container without the driver's graphics libraries sees.
    const failed = await run(staged, ['--models', 'mlp'], { env: { PATH: '/usr/bin:/bin', HOME: dir, VK_ICD_FILENAMES: join(dir, 'none.json') }, timeout: 60_000 }).then(() => null, (error: { code: number; stderr: string }) => error)
    expect(failed?.code).toBe(2)
    expect(failed?.stderr).toContain('No WebGPU adapter: Dawn found no usable Vulkan device')
  }, 90_000)
})
