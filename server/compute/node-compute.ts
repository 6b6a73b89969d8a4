// A ComputeClient for headless peers, backed by a Node worker thread running compute-thread.ts: the same
// request protocol, runtime and engine as a tab's compute worker, so a Node volunteer, referee or coordinator
// never blocks its libp2p thread on ORT.
import { readFile } from 'node:fs/promises'
import { Worker as NodeWorker } from 'node:worker_threads'
import { ComputeClient } from '../../src/compute/compute-client.ts'
import { CLOSE, ORT_WASM, type SharedOrt } from './ort-wasm.ts'

const THREAD = new URL('./thread-entry.ts', import.meta.url)

let compiled: Promise<WebAssembly.Module | null> | null = null
/**
 * ORT's wasm, compiled once for the whole process: a module posted to a thread shares its compiled code,
 * including the optimised tier of hot kernels, so a process of many peers (a test's swarm) compiles it once,
 * not once per thread (about 0.9 s of CPU less per thread, measured on a CNN's first steps). Null when it
 * cannot be compiled here: each thread then compiles its own.
 */
function sharedOrtWasm(): Promise<WebAssembly.Module | null> {
  compiled ??= readFile(ORT_WASM).then((bytes) => WebAssembly.compile(bytes), () => null)
  return compiled
}

/**
 * The CPU engine a headless peer trains on: onnxruntime-node's native build (ort-native.ts), or the wasm
 * build a tab runs (for a check that must match a tab bit for bit, or a platform with no native build).
 */
export type HeadlessEngine = 'native' | 'wasm'

/** The engine a headless peer uses when not told: TESSERAE_HEADLESS_ENGINE=wasm picks the tab's build. */
export const defaultHeadlessEngine = (): HeadlessEngine => (process.env.TESSERAE_HEADLESS_ENGINE === 'wasm' ? 'wasm' : 'native')

const CLOSE_GRACE_MS = 60_000

/** A Node worker thread behind the small part of the DOM Worker interface ComputeClient uses. */
function threadAsWorker(engine: HeadlessEngine): Worker {
  const thread = new NodeWorker(THREAD, { workerData: { engine } })
  // Not a request (no reply): the thread waits for it only when it first loads ORT.
  void sharedOrtWasm().then((module) => thread.postMessage({ type: 'ort-module', module } satisfies SharedOrt))
  // An idle thread does not keep its process alive (a peer that was never stopped still lets a script end);
  // one with requests in flight does, since their replies are what the process waits for.
  let inFlight = 0
  thread.unref()
  const target = new EventTarget()
  let terminated = false
  thread.on('message', (data: unknown) => {
    if (terminated) return
    const type = (data as { type?: unknown } | null)?.type
    if (type !== 'progress' && type !== 'fallback' && --inFlight === 0) thread.unref()
    target.dispatchEvent(new MessageEvent('message', { data }))
  })
  const crashed = (message: string) => target.dispatchEvent(Object.assign(new Event('error'), { message }))
  thread.on('error', (error: Error) => crashed(error.message))
  // A thread that ends on its own (out of memory, a native abort) fails what it held instead of leaving it waiting.
  thread.on('exit', (code) => terminated || crashed(`its thread exited with code ${code}`))
  return Object.assign(target, {
    postMessage: (message: unknown, transfer: Transferable[] = []) => {
      if (inFlight++ === 0) thread.ref()
      thread.postMessage(message, transfer as never)
    },
    terminate: () => {
      if (terminated) return
      terminated = true
      // The thread ends its run in progress and exits (compute-thread.ts): cut short, a native run aborts the
      // process. Its replies no longer reach the client, which failed what it had in flight. Should a run
      // never end, the thread is ended anyway after a minute.
      thread.postMessage({ type: CLOSE })
      thread.ref()
      setTimeout(() => void thread.terminate(), CLOSE_GRACE_MS).unref()
    },
  }) as unknown as Worker
}

/** A compute client on a worker thread of its own. */
export function nodeComputeClient(engine: HeadlessEngine = defaultHeadlessEngine()): ComputeClient {
  return new ComputeClient(() => threadAsWorker(engine))
}
