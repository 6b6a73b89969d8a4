// Probes WebGPU from inside the worker. An adapter alone proves little (some are blocklisted or broken), so
// the probe also runs a tiny compute shader and checks its result before calling WebGPU usable.
import type { WebGpuProbe } from './device-report.ts'
import { errorMessage } from '../errors.ts'

const SELF_TEST_LENGTH = 256
const SELF_TEST_SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> data: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < arrayLength(&data)) { data[id.x] = data[id.x] * 2.0 + 1.0; }
}`

export async function probeWebGpu(gpu: GPU | undefined, now: () => number = () => performance.now()): Promise<WebGpuProbe> {
  if (gpu === undefined) return { available: false, reason: 'this browser exposes no WebGPU (navigator.gpu is missing in workers)' }
  let adapter: GPUAdapter | null
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' })
  } catch (error) {
    return { available: false, reason: `requesting a WebGPU adapter failed: ${errorMessage(error)}` }
  }
  if (adapter === null) return { available: false, reason: 'WebGPU is present but no adapter is available (GPU blocklisted or disabled)' }
  const started = now()
  try {
    await runSelfTest(adapter)
  } catch (error) {
    return { available: false, reason: `the WebGPU adapter failed a compute self-test: ${errorMessage(error)}` }
  }
  const info = adapter.info
  const l = adapter.limits
  return {
    available: true,
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
    },
    limits: {
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
    features: [...adapter.features].map(String).sort(),
    selfTestMs: now() - started,
  }
}

async function runSelfTest(adapter: GPUAdapter): Promise<void> {
  const device = await adapter.requestDevice()
  try {
    const bytes = SELF_TEST_LENGTH * 4
    const input = Float32Array.from({ length: SELF_TEST_LENGTH }, (_, i) => i)
    const storage = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST })
    const readback = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST })
    device.queue.writeBuffer(storage, 0, input)
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: SELF_TEST_SHADER }), entryPoint: 'main' } })
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: storage } }] })
    const encoder = device.createCommandEncoder()
    const pass = encoder.beginComputePass()
    pass.setPipeline(pipeline)
    pass.setBindGroup(0, bindGroup)
    pass.dispatchWorkgroups(Math.ceil(SELF_TEST_LENGTH / 64))
    pass.end()
    encoder.copyBufferToBuffer(storage, 0, readback, 0, bytes)
    device.queue.submit([encoder.finish()])
    await readback.mapAsync(GPUMapMode.READ)
    const output = new Float32Array(readback.getMappedRange().slice(0))
    readback.unmap()
    const wrong = output.findIndex((v, i) => v !== i * 2 + 1)
    if (wrong !== -1) throw new Error(`element ${wrong} is ${output[wrong]}, expected ${wrong * 2 + 1}`)
  } finally {
    device.destroy()
  }
}
