// The compute worker for headless peers: the tab's worker runtime (src/compute/worker-runtime.ts) on a Node
// worker thread. ORT-wasm runs a whole engine run synchronously, and a transformer's run takes seconds; on the
// peer's own thread that starves libp2p, whose pings time out after 5 s and close every connection, so a
// coordinator saw its volunteers "disconnect" while they trained. Here, as in a tab, only this thread waits.
import { readFile } from 'node:fs/promises'
import { parentPort } from 'node:worker_threads'
import * as ort from 'onnxruntime-web'
import { isSharedOrt, ORT_WASM } from './ort-wasm.ts'
import type { FromWorker } from '../../src/compute/worker-protocol.ts'
import { WorkerRuntime } from '../../src/compute/worker-runtime.ts'
import { TesseraeError } from '../../src/errors.ts'
import { requestLoop } from '../../src/compute/worker-dispatch.ts'

const port = parentPort
if (port === null) throw new Error('compute-thread.ts runs as a worker thread (server/compute/thread-entry.ts loads it)')

const reply = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer)

// ORT instantiates the module the process compiled (node-compute.ts) through Emscripten's hook, which
// patches/onnxruntime-web-instantiate-wasm.mjs passes through from env.wasm; it arrives as this thread's first
// message. A failure here cannot be handed back to ORT, so it ends the thread, which fails its requests.
let received: (module: WebAssembly.Module | null) => void = () => {}
const shared = new Promise<WebAssembly.Module | null>((resolve) => (received = resolve))
type Receive = (instance: WebAssembly.Instance, module: WebAssembly.Module) => void
Object.assign(ort.env.wasm, {
  instantiateWasm(imports: WebAssembly.Imports, receive: Receive) {
    shared
      .then(async (module) => {
        const own = module ?? (await WebAssembly.compile(await readFile(ORT_WASM)))
        receive(await WebAssembly.instantiate(own, imports), own)
      })
      .catch((error: unknown) => setImmediate(() => {
        throw error
      }))
    return {}
  },
})
// Node has one ORT build, whose wasm kernels serve every backend a headless peer uses.
const runtime = new WorkerRuntime(async () => ort, reply)

const handle = requestLoop(runtime, reply, async () => {
  throw new TesseraeError('UNSUPPORTED', 'a headless peer has no browser device to probe: it trains on wasm')
})

port.on('message', (data: unknown) => (isSharedOrt(data) ? received(data.module) : handle(data)))
