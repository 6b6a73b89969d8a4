// Compute worker entry point: decodes requests and hands them to src/compute; no logic of its own.
import { decodeToWorker, type FromWorker } from '../src/compute/worker-protocol.ts'
import { probeWebGpu } from '../src/compute/probe-webgpu.ts'
import { probeWasm } from '../src/compute/probe-wasm.ts'
import { errorMessage, TesseraeError } from '../src/errors.ts'

function reply(message: FromWorker): void {
  self.postMessage(message)
}

self.addEventListener('message', (event: MessageEvent<unknown>) => {
  let id = 0
  void (async () => {
    const request = decodeToWorker(event.data)
    id = request.id
    const webgpu = await probeWebGpu(navigator.gpu)
    reply({ type: 'probe-result', id, report: { webgpu, wasm: probeWasm(self) } })
  })().catch((error: unknown) => {
    reply({ type: 'error', id, code: error instanceof TesseraeError ? error.code : 'WORKER_FAILED', message: errorMessage(error) })
  })
})
