// The request loop of a compute worker, a tab's (workers/compute.worker.ts) or a headless peer's thread
// (server/compute/compute-thread.ts): each message decoded once; requests run one at a time in arrival order,
// except throttle changes, which must reach a running loop; a failure goes back as a typed error to the request.
import { errorMessage, TesseraeError } from '../errors.ts'
import { decodeToWorker, type FromWorker } from './worker-protocol.ts'
import type { WorkerRuntime } from './worker-runtime.ts'

type Reply = (message: FromWorker) => void

/** A message handler over `runtime`; `probe` answers a device probe (only a browser has a device to probe). */
export function requestLoop(runtime: WorkerRuntime, reply: Reply, probe: (id: number) => Promise<void>): (data: unknown) => void {
  let queue: Promise<void> = Promise.resolve()
  return (data) => {
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
      .then(() => (request.type === 'probe' ? probe(id) : runtime.handle(request)))
      .catch(fail)
  }
}
