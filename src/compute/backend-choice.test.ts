import { describe, expect, it } from 'vitest'
import { chooseBackend, wasmThreadCount } from './backend-choice.ts'
import type { DeviceReport } from './device-report.ts'

const isolatedWasm = { crossOriginIsolated: true, sharedArrayBuffer: true, simd: true, hardwareConcurrency: 4 }
const noGpu: DeviceReport = { webgpu: { available: false, reason: 'no adapter' }, wasm: isolatedWasm }
const gpu: DeviceReport = {
  webgpu: {
    available: true,
    adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader', isFallbackAdapter: true },
    limits: { maxBufferSize: 1, maxStorageBufferBindingSize: 1, maxComputeWorkgroupStorageSize: 1, maxComputeInvocationsPerWorkgroup: 1, maxComputeWorkgroupSizeX: 1, maxComputeWorkgroupsPerDimension: 1 },
    features: [],
    selfTestMs: 3,
  },
  wasm: isolatedWasm,
}

describe('backend choice', () => {
  it('prefers a WebGPU adapter that passed its self-test and flags software adapters', () => {
    const choice = chooseBackend(gpu)
    expect(choice.backend).toBe('webgpu')
    expect(choice.reason).toMatch(/SwiftShader.*software fallback/)
  })

  it('falls back to threaded wasm and repeats the WebGPU failure reason', () => {
    const choice = chooseBackend(noGpu)
    expect(choice).toMatchObject({ backend: 'wasm', wasmThreads: 3 })
    expect(choice.reason).toMatch(/no adapter.*3 threads with SIMD/)
  })

  it('honours an explicit wasm preference even with a GPU', () => {
    expect(chooseBackend(gpu, 'wasm').backend).toBe('wasm')
  })

  it('uses one thread without cross-origin isolation and says why', () => {
    const report = { ...noGpu, wasm: { ...isolatedWasm, crossOriginIsolated: false } }
    expect(wasmThreadCount(report.wasm)).toBe(1)
    expect(chooseBackend(report).reason).toMatch(/not cross-origin isolated/)
  })

  it('explains a single thread on a small isolated device', () => {
    const report = { ...noGpu, wasm: { ...isolatedWasm, hardwareConcurrency: 2 } }
    expect(chooseBackend(report).reason).toMatch(/1 thread \(this device has 2 cores; one is left for the page\)/)
  })

  it('caps threads at 8 and never below 1', () => {
    expect(wasmThreadCount({ ...isolatedWasm, hardwareConcurrency: 64 })).toBe(8)
    expect(wasmThreadCount({ ...isolatedWasm, hardwareConcurrency: 1 })).toBe(1)
  })
})
