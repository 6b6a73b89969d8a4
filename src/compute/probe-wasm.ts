// Probes what the wasm fallback can use: threads need SharedArrayBuffer, which browsers only grant to
// cross-origin-isolated pages; SIMD roughly doubles GEMM throughput where present.
import type { WasmProbe } from './device-report.ts'

// The smallest module using a v128 instruction (i8x16.splat); validating it tells us whether SIMD is supported.
const SIMD_TEST_MODULE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11])

export function probeWasm(scope: { crossOriginIsolated?: boolean; navigator: { hardwareConcurrency?: number } }): WasmProbe {
  return {
    crossOriginIsolated: scope.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    simd: WebAssembly.validate(SIMD_TEST_MODULE),
    hardwareConcurrency: scope.navigator.hardwareConcurrency ?? 1,
  }
}
