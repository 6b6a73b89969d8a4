// Decides which engine a volunteer's work runs on, and says why in words a volunteer can act on.
import type { DeviceReport } from './device-report.ts'
import { deviceFingerprint } from './calibration.ts'

export interface BackendChoice {
  backend: 'webgpu' | 'wasm'
  /** Wasm threads to use until a calibration has measured better (1 unless the page is cross-origin isolated). */
  wasmThreads: number
  /** Most wasm threads calibration may try. */
  maxWasmThreads: number
  /** What calibrations on this device are remembered under (calibration.ts). */
  device: string
  reason: string
}

/** Leaves one core to the page and the browser, and caps at 8 threads where wasm GEMMs stop scaling. */
export function wasmThreadCount(report: DeviceReport['wasm']): number {
  if (!report.crossOriginIsolated || !report.sharedArrayBuffer) return 1
  return Math.max(1, Math.min(8, report.hardwareConcurrency - 1))
}

/** Every core, up to 8: whether leaving one to the page is faster is for calibration to measure. */
export function maxWasmThreads(report: DeviceReport['wasm']): number {
  if (!report.crossOriginIsolated || !report.sharedArrayBuffer) return 1
  return Math.max(1, Math.min(8, report.hardwareConcurrency))
}

export function chooseBackend(report: DeviceReport, preference: 'auto' | 'wasm' = 'auto'): BackendChoice {
  const wasmThreads = wasmThreadCount(report.wasm)
  const fixed = { wasmThreads, maxWasmThreads: maxWasmThreads(report.wasm), device: deviceFingerprint(report) }
  const threading = wasmThreads > 1
    ? `${wasmThreads} threads${report.wasm.simd ? ' with SIMD' : ''}`
    : `1 thread${report.wasm.crossOriginIsolated ? ` (this device has ${report.wasm.hardwareConcurrency} core${report.wasm.hardwareConcurrency === 1 ? '' : 's'}; one is left for the page)` : ' (the page is not cross-origin isolated, so threads are unavailable)'}`
  if (preference === 'wasm') return { backend: 'wasm', ...fixed, reason: `WebAssembly was chosen in settings; running on ${threading}.` }
  const gpu = report.webgpu
  if (gpu.available) {
    const name = gpu.adapter.description || [gpu.adapter.vendor, gpu.adapter.architecture].filter(Boolean).join(' ') || 'unnamed adapter'
    const software = gpu.adapter.isFallbackAdapter ? ' (a software fallback adapter: correct but slow)' : ''
    return { backend: 'webgpu', ...fixed, reason: `WebGPU adapter "${name}"${software} passed a compute self-test.` }
  }
  return { backend: 'wasm', ...fixed, reason: `WebGPU unavailable: ${gpu.reason}. Falling back to WebAssembly on ${threading}.` }
}
