// The one wasm binary onnxruntime-web's Node build loads, and the two messages a process sends its compute
// threads besides requests: the compiled copy of that binary, and the ask to close.
export const ORT_WASM = new URL('ort-wasm-simd-threaded.wasm', import.meta.resolve('onnxruntime-web'))

export interface SharedOrt {
  type: 'ort-module'
  module: WebAssembly.Module | null
}

export function isSharedOrt(data: unknown): data is SharedOrt {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'ort-module'
}

/** The message that asks a compute thread to finish its run in progress and exit. */
export const CLOSE = 'close-thread'
