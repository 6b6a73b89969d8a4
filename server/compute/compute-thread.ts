// The compute worker for headless peers: the tab's worker runtime (src/compute/worker-runtime.ts) on a Node
// worker thread. ORT-wasm runs a whole engine run synchronously, and a transformer's run takes seconds; on the
// peer's own thread that starves libp2p, whose pings time out after 5 s and close every connection, so a
// coordinator saw its volunteers "disconnect" while they trained. Here, as in a tab, only this thread waits.
import { readFile } from 'node:fs/promises'
import { parentPort, workerData } from 'node:worker_threads'
import * as ort from 'onnxruntime-web'
import { CLOSE, isSharedOrt, ORT_WASM } from './ort-wasm.ts'
import { loadNativeOrt } from './ort-native.ts'
import type { HeadlessEngine } from './node-compute.ts'
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
// A headless peer has no GPU backend: its CPU backend (the engine's "wasm") is onnxruntime-node's native
// build unless the peer asked for wasm or this platform has no native build; every other request (WebGPU
// included, which no headless request names) gets the wasm build.
const engine = (workerData as { engine?: HeadlessEngine } | null)?.engine ?? 'native'
const native = engine === 'native' ? await loadNativeOrt() : null
const runtime = new WorkerRuntime(async (backend) => (backend === 'wasm' && native !== null ? native : ort), reply)

// Closing: a native ORT run cannot be cut short (ending the thread mid-run aborts the whole process with
// "terminate called after throwing an instance of 'Napi::Error'"), so on `close` the run in progress ends,
// every request queued behind it is refused, and then the thread exits on its own.
let closing = false
let running = 0
const exitWhenIdle = () => closing && running === 0 && process.exit(0)
const closable = {
  handle: async (request: Parameters<WorkerRuntime['handle']>[0]) => {
    if (closing) throw new TesseraeError('WORKER_STOPPED', 'the compute thread is closing')
    running++
    try {
      await runtime.handle(request)
    } finally {
      running--
      exitWhenIdle()
    }
  },
} as WorkerRuntime

const handle = requestLoop(closable, reply, async () => {
  throw new TesseraeError('UNSUPPORTED', 'a headless peer has no browser device to probe: it trains on wasm')
})

port.on('message', (data: unknown) => {
  if (isSharedOrt(data)) return received(data.module)
  if ((data as { type?: unknown } | null)?.type === CLOSE) {
    closing = true
    return exitWhenIdle()
  }
  handle(data)
})
