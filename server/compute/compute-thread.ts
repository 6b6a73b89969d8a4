// The compute worker for headless peers: the tab's worker runtime (src/compute/worker-runtime.ts) on a Node
// worker thread. ORT-wasm runs a whole engine run synchronously, and a transformer's run takes seconds; on the
// peer's own thread that starves libp2p, whose pings time out after 5 s and close every connection, so a
// coordinator saw its volunteers "disconnect" while they trained. Here, as in a tab, only this thread waits.
import { parentPort } from 'node:worker_threads'
import * as ort from 'onnxruntime-web'
import { decodeToWorker, type FromWorker } from '../../src/compute/worker-protocol.ts'
import { WorkerRuntime } from '../../src/compute/worker-runtime.ts'
import { errorMessage, TesseraeError } from '../../src/errors.ts'

const port = parentPort
if (port === null) throw new Error('compute-thread.ts runs as a worker thread (server/compute/node-compute.ts starts it)')

const reply = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer)
// Node has one ORT build, whose wasm kernels serve every backend a headless peer uses.
const runtime = new WorkerRuntime(async () => ort, reply)
let queue: Promise<void> = Promise.resolve()

port.on('message', (data: unknown) => {
  const id = typeof (data as { id?: unknown } | null)?.id === 'number' ? (data as { id: number }).id : 0
  const fail = (error: unknown) => reply({ type: 'error', id, code: error instanceof TesseraeError ? error.code : 'WORKER_FAILED', message: errorMessage(error) })
  let request: ReturnType<typeof decodeToWorker>
  try {
    request = decodeToWorker(data)
  } catch (error) {
    fail(error)
    return
  }
  if (request.type === 'throttle') {
    runtime.handle(request).catch(fail)
    return
  }
  queue = queue
    .then(async () => {
      if (request.type === 'probe') throw new TesseraeError('UNSUPPORTED', 'a headless peer has no browser device to probe: it trains on wasm')
      await runtime.handle(request)
    })
    .catch(fail)
})
