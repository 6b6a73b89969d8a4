// The one wasm binary onnxruntime-web's Node build loads, and the message that hands a compiled copy of it to a
// compute thread.
export const ORT_WASM = new URL('ort-wasm-simd-threaded.wasm', import.meta.resolve('onnxruntime-web'))

export interface SharedOrt {
  type: 'ort-module'
  module: WebAssembly.Module | null
}

export function isSharedOrt(data: unknown): data is SharedOrt {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'ort-module'
}
