// What a volunteer's device can do, as measured inside the compute worker (where training will run):
// WebGPU adapter facts and whether a compute shader actually ran, plus wasm threading and SIMD support.
export interface WebGpuAdapterInfo {
  vendor: string
  architecture: string
  device: string
  description: string
  isFallbackAdapter: boolean
}

export interface WebGpuLimits {
  maxBufferSize: number
  maxStorageBufferBindingSize: number
  maxComputeWorkgroupStorageSize: number
  maxComputeInvocationsPerWorkgroup: number
  maxComputeWorkgroupSizeX: number
  maxComputeWorkgroupsPerDimension: number
}

export type WebGpuProbe =
  | { available: true; adapter: WebGpuAdapterInfo; limits: WebGpuLimits; features: string[]; selfTestMs: number }
  | { available: false; reason: string }

export interface WasmProbe {
  crossOriginIsolated: boolean
  sharedArrayBuffer: boolean
  simd: boolean
  hardwareConcurrency: number
}

export interface DeviceReport {
  webgpu: WebGpuProbe
  wasm: WasmProbe
}
