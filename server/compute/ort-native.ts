// The CPU backend of a headless peer: onnxruntime-node's native build behind the onnxruntime-web interface the
// engine code is written against. A tab's "wasm" backend runs ORT's kernels compiled to 128-bit wasm SIMD; a
// Node peer has no reason to, and the native build (MLAS, AVX2/AVX-512 GEMM) runs the same train-step graph
// about 4× faster per core (`npm run bench`, "headless engine"). The graphs, parameters, optimiser state and
// dropout masks are the same, so results agree with a tab's to float rounding: cross-engine replays are what
// verification's tolerances were measured on.
import type * as OrtNode from 'onnxruntime-node'
import type { OrtModule } from '../../src/compute/train-session.ts'

type NativeOrt = typeof OrtNode

/**
 * `native` as an OrtModule whose sessions run on its CPU execution provider with the thread count the engine
 * asks of wasm (`env.wasm.numThreads`, read when a session is made): one thread per compute thread unless told
 * otherwise, so several peers share a small machine as they do on wasm.
 */
export function nativeOrt(native: NativeOrt): OrtModule {
  const env = native.env
  const create = (model: Uint8Array, options: Parameters<NativeOrt['InferenceSession']['create']>[1] = {}) => {
    const threads = Number(env.wasm.numThreads) > 0 ? Number(env.wasm.numThreads) : 1
    // Only the CPU provider exists here; the tab-only options (a WebGPU fallback switch, GPU output buffers) are left out.
    const { graphOptimizationLevel } = options
    return native.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel, intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' })
  }
  return { ...native, InferenceSession: { ...native.InferenceSession, create } } as unknown as OrtModule
}

/** onnxruntime-node's build for this platform, or null when it has none (the peer then trains on wasm). */
export async function loadNativeOrt(): Promise<OrtModule | null> {
  try {
    return nativeOrt(await import('onnxruntime-node'))
  } catch {
    return null
  }
}
