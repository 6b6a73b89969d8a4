// The page's handle on the compute worker: request/response over postMessage with ids and deadlines, so a
// wedged worker surfaces as a timeout error the UI can show instead of a spinner forever.
import { TesseraeError } from '../errors.ts'
import type { DeviceReport } from './device-report.ts'
import { decodeFromWorker, type FromWorker, type ToWorker } from './worker-protocol.ts'

type Pending = { resolve: (m: FromWorker) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }

export class ComputeClient {
  private readonly worker: Worker
  private readonly pending = new Map<number, Pending>()
  private nextId = 1

  constructor(worker: Worker) {
    this.worker = worker
    worker.addEventListener('message', (event: MessageEvent<unknown>) => this.onMessage(event.data))
    worker.addEventListener('error', (event) => this.failAll(new TesseraeError('WORKER_CRASHED', `The compute worker crashed: ${event.message}`)))
  }

  static spawn(): ComputeClient {
    return new ComputeClient(new Worker(new URL('../../workers/compute.worker.ts', import.meta.url), { type: 'module', name: 'tesserae-compute' }))
  }

  async probe(timeoutMs = 30_000): Promise<DeviceReport> {
    const reply = await this.request({ type: 'probe', id: this.nextId++ }, timeoutMs)
    if (reply.type !== 'probe-result') throw new TesseraeError('WORKER_PROTOCOL', `expected a probe result, got ${reply.type}`)
    return reply.report
  }

  terminate(): void {
    this.failAll(new TesseraeError('WORKER_STOPPED', 'The compute worker was stopped.'))
    this.worker.terminate()
  }

  private request(message: ToWorker, timeoutMs: number): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(message.id)
        reject(new TesseraeError('WORKER_TIMEOUT', `The compute worker did not answer "${message.type}" within ${timeoutMs / 1000} s.`))
      }, timeoutMs)
      this.pending.set(message.id, { resolve, reject, timer })
      this.worker.postMessage(message)
    })
  }

  private onMessage(data: unknown): void {
    let message: FromWorker
    try {
      message = decodeFromWorker(data)
    } catch (error) {
      this.failAll(error instanceof Error ? error : new Error(String(error)))
      return
    }
    const pending = this.pending.get(message.id)
    if (pending === undefined) return
    this.pending.delete(message.id)
    clearTimeout(pending.timer)
    if (message.type === 'error') pending.reject(new TesseraeError(message.code, message.message))
    else pending.resolve(message)
  }

  private failAll(error: Error): void {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer)
      reject(error)
    }
    this.pending.clear()
  }
}
