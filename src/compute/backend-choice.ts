// Decides which engine a volunteer's work runs on, and says why in words a volunteer can act on.
import type { DeviceReport } from './device-report.ts'

export interface BackendChoice {
  backend: 'webgpu' | 'wasm'
  /** Threads the wasm engine may use (1 unless the page is cross-origin isolated). */
  wasmThreads: number
  reason: string
}

/** Leaves one core to the page and the browser, and caps at 8 threads where wasm GEMMs stop scaling. */
export function wasmThreadCount(report: DeviceReport['wasm']): number {
  if (!report.crossOriginIsolated || !report.sharedArrayBuffer) return 1
  return Math.max(1, Math.min(8, report.hardwareConcurrency - 1))
}

export function chooseBackend(report: DeviceReport, preference: 'auto' | 'wasm' = 'auto'): BackendChoice {
  const wasmThreads = wasmThreadCount(report.wasm)
  const threading = wasmThreads > 1
    ? `${wasmThreads} threads${report.wasm.simd ? ' with SIMD' : ''}`
    : `1 thread${report.wasm.crossOriginIsolated ? ` (this device has ${report.wasm.hardwareConcurrency} core${report.wasm.hardwareConcurrency === 1 ? '' : 's'}; one is left for the page)` : ' (the page is not cross-origin isolated, so threads are unavailable)'}`
  if (preference === 'wasm') return { backend: 'wasm', wasmThreads, reason: `WebAssembly was chosen in settings; running on ${threading}.` }
  const gpu = report.webgpu
  if (gpu.available) {
    const name = gpu.adapter.description || [gpu.adapter.vendor, gpu.adapter.architecture].filter(Boolean).join(' ') || 'unnamed adapter'
    const software = gpu.adapter.isFallbackAdapter ? ' (a software fallback adapter: correct but slow)' : ''
    return { backend: 'webgpu', wasmThreads, reason: `WebGPU adapter "${name}"${software} passed a compute self-test.` }
  }
  return { backend: 'wasm', wasmThreads, reason: `WebGPU unavailable: ${gpu.reason}. Falling back to WebAssembly on ${threading}.` }
}
