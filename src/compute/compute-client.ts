// The page's handle on one compute worker: request/response over postMessage with ids and deadlines, plus
// progress and fallback events, so a wedged worker surfaces as an error the UI can show, never a hang.
import { TesseraeError } from '../errors.ts'
import type { DeviceReport } from './device-report.ts'
import type { ExecutionBackend } from './train-session.ts'
import type { Evaluation } from './evaluate.ts'
import { decodeFromWorker, type EvalImages, type ZooModel, type BatchMessage, type FromWorker, type RunSummary, type ToWorker, type TrainSpec } from './worker-protocol.ts'

type Pending = { resolve: (m: FromWorker) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }
type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never
export type WorkerEvent = Extract<FromWorker, { type: 'progress' | 'fallback' }>

export class ComputeClient {
  private readonly worker: Worker
  private readonly pending = new Map<number, Pending>()
  private readonly listeners = new Set<(event: WorkerEvent) => void>()
  private nextId = 1

  constructor(worker: Worker) {
    this.worker = worker
    worker.addEventListener('message', (event: MessageEvent<unknown>) => this.onMessage(event.data))
    worker.addEventListener('error', (event) => this.failAll(new TesseraeError('WORKER_CRASHED', `The compute worker crashed: ${event.message}`)))
  }

  static spawn(): ComputeClient {
    return new ComputeClient(new Worker(new URL('../../workers/compute.worker.ts', import.meta.url), { type: 'module', name: 'tesserae-compute' }))
  }

  onEvent(listener: (event: WorkerEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async probe(timeoutMs = 30_000): Promise<DeviceReport> {
    return (await this.request({ type: 'probe' }, 'probe-result', timeoutMs)).report
  }

  init(spec: TrainSpec, backend: ExecutionBackend, wasmThreads: number, params: Record<string, Float32Array> | null = null, timeoutMs = 120_000) {
    return this.request({ type: 'init', spec, backend, wasmThreads, params }, 'ready', timeoutMs)
  }

  async train(batches: BatchMessage[], lr: number, firstStep: number, timeoutMs = 600_000): Promise<RunSummary> {
    return (await this.request({ type: 'train', batches, lr, firstStep }, 'trained', timeoutMs)).summary
  }

  async readParams(timeoutMs = 60_000): Promise<Record<string, Float32Array>> {
    return (await this.request({ type: 'read-params' }, 'params', timeoutMs)).params
  }

  /** Replaces the parameters; the optimiser state restarts at zero unless `keepState`. */
  async loadParams(params: Record<string, Float32Array>, keepState = false, timeoutMs = 60_000): Promise<void> {
    await this.request({ type: 'load-params', params, keepState }, 'ok', timeoutMs)
  }

  /** Accuracy, mean loss and the arg-max prediction of every sample (whole batches of up to 250). */
  async evaluate(model: ZooModel, params: Record<string, Float32Array>, images: EvalImages, norm: { mean: number; std: number }, timeoutMs = 300_000): Promise<Evaluation> {
    const { accuracy, loss, predictions } = await this.request({ type: 'evaluate', model, params, images, mean: norm.mean, std: norm.std }, 'evaluated', timeoutMs)
    return { accuracy, loss, predictions }
  }

  async throttle(dutyCycle: number, paused: boolean): Promise<void> {
    await this.request({ type: 'throttle', dutyCycle, paused }, 'ok', 10_000)
  }

  terminate(): void {
    this.failAll(new TesseraeError('WORKER_STOPPED', 'The compute worker was stopped.'))
    this.worker.terminate()
  }

  private request<T extends FromWorker['type']>(message: Distribute<ToWorker>, expect: T, timeoutMs: number): Promise<Extract<FromWorker, { type: T }>> {
    const id = this.nextId++
    return new Promise<FromWorker>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new TesseraeError('WORKER_TIMEOUT', `The compute worker did not finish "${message.type}" within ${timeoutMs / 1000} s.`))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      this.worker.postMessage({ ...message, id })
    }).then((reply) => {
      if (reply.type !== expect) throw new TesseraeError('WORKER_PROTOCOL', `expected "${expect}" from the compute worker, got "${reply.type}"`)
      return reply as Extract<FromWorker, { type: T }>
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
    if (message.type === 'progress' || message.type === 'fallback') {
      for (const listener of this.listeners) listener(message)
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
