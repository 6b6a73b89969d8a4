// Compute worker entry point: decodes requests and hands them to src/compute; no logic of its own.
import { decodeToWorker, type FromWorker } from '../src/compute/worker-protocol.ts'
import { probeWebGpu } from '../src/compute/probe-webgpu.ts'
import { probeWasm } from '../src/compute/probe-wasm.ts'
import { WorkerRuntime, type OrtLoader } from '../src/compute/worker-runtime.ts'
import { errorMessage, TesseraeError } from '../src/errors.ts'

function reply(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  self.postMessage(message, { transfer })
}

// Each backend gets its own build, loaded on first use: the plain wasm build trains about 3× faster than the
// WebGPU (asyncify) build's wasm kernels, and a wasm-only device never downloads the WebGPU build.
const loadOrt: OrtLoader = (backend) => (backend === 'webgpu' ? import('onnxruntime-web/webgpu') : import('onnxruntime-web/wasm'))
const runtime = new WorkerRuntime(loadOrt, reply)
// Requests run one at a time in arrival order, except throttle changes, which must reach a running loop.
let queue: Promise<void> = Promise.resolve()

self.addEventListener('message', (event: MessageEvent<unknown>) => {
  const id = typeof (event.data as { id?: unknown } | null)?.id === 'number' ? (event.data as { id: number }).id : 0
  const fail = (error: unknown) => reply({ type: 'error', id, code: error instanceof TesseraeError ? error.code : 'WORKER_FAILED', message: errorMessage(error) })
  let request: ReturnType<typeof decodeToWorker>
  try {
    request = decodeToWorker(event.data)
  } catch (error) {
    fail(error)
    return
  }
  if (request.type === 'throttle') {
    runtime.handle(request).catch(fail)
    return
  }
  queue = queue.then(async () => {
    if (request.type === 'probe') reply({ type: 'probe-result', id, report: { webgpu: await probeWebGpu(navigator.gpu), wasm: probeWasm(self) } })
    else await runtime.handle(request)
  }).catch(fail)
})
