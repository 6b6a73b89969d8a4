// Compute worker entry point: hands requests to src/compute; no logic of its own.
import type { FromWorker } from '../src/compute/worker-protocol.ts'
import { probeWebGpu } from '../src/compute/probe-webgpu.ts'
import { probeWasm } from '../src/compute/probe-wasm.ts'
import { WorkerRuntime, type OrtLoader } from '../src/compute/worker-runtime.ts'
import { requestLoop } from '../src/compute/worker-dispatch.ts'

function reply(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  self.postMessage(message, { transfer })
}

// Each backend gets its own build, loaded on first use: the plain wasm build trains about 3× faster than the
// WebGPU (asyncify) build's wasm kernels, and a wasm-only device never downloads the WebGPU build.
const loadOrt: OrtLoader = (backend) => (backend === 'webgpu' ? import('onnxruntime-web/webgpu') : import('onnxruntime-web/wasm'))
const runtime = new WorkerRuntime(loadOrt, reply)
const handle = requestLoop(runtime, reply, async (id) => reply({ type: 'probe-result', id, report: { webgpu: await probeWebGpu(navigator.gpu), wasm: probeWasm(self) } }))

self.addEventListener('message', (event: MessageEvent<unknown>) => handle(event.data))
