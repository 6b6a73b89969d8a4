// The page's handle on one compute worker: request/response over postMessage with ids and deadlines, plus
// progress and fallback events, so a wedged worker surfaces as an error the UI can show, never a hang. ORT fixes
// a worker's wasm thread count when it first loads, so asking for another count starts a fresh worker.
import { TesseraeError } from '../errors.ts'
import type { DeviceReport } from './device-report.ts'
import type { ExecutionBackend } from './train-session.ts'
import type { Evaluation } from './evaluate.ts'
import { decodeFromWorker, type CalibrationResult, type EngineSetting, type BatchMessage, type FromWorker, type RunSummary, type ToWorker, type TrainSpec } from './worker-protocol.ts'
import { recipeModel, type ModelRecipe } from '../graph/model-recipe.ts'
import { buildShard } from '../graph/shard.ts'
import type { LossHead, StageEngine } from './stage-engine.ts'
import type { TaskSpec } from '../data/task.ts'
import type { TaskBlock } from '../data/task-block.ts'
import { distinctBuffers } from './transfer.ts'
import type { StageCheckResult } from './stage-check.ts'
import { spansItsBuffer } from '../bytes.ts'

type Pending = { resolve: (m: FromWorker) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }
type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never
export type WorkerEvent = Extract<FromWorker, { type: 'progress' | 'fallback' }>

export class ComputeClient {
  private readonly createWorker: () => Worker
  private worker: Worker
  private readonly pending = new Map<number, Pending>()
  private readonly listeners = new Set<(event: WorkerEvent) => void>()
  private nextId = 1
  private nextStageHandle = 1
  /** Wasm threads the current worker's ORT was loaded with; null until it trains or calibrates. */
  private wasmThreads: number | null = null
  private lastThrottle: { dutyCycle: number; paused: boolean } | null = null
  /** Set by terminate(): later requests fail at once rather than wait out their deadline on a dead worker. */
  private stopped = false

  constructor(createWorker: () => Worker) {
    this.createWorker = createWorker
    this.worker = this.start()
  }

  static spawn(): ComputeClient {
    return new ComputeClient(() => new Worker(new URL('../../workers/compute.worker.ts', import.meta.url), { type: 'module', name: 'tesserae-compute' }))
  }

  /** Wasm threads of the current worker, once fixed by its first init or calibration. */
  get threads(): number | null {
    return this.wasmThreads
  }

  onEvent(listener: (event: WorkerEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async probe(timeoutMs = 30_000): Promise<DeviceReport> {
    return (await this.request({ type: 'probe' }, 'probe-result', timeoutMs)).report
  }

  /**
   * Starts the engine before any job is known (ORT's wasm module, its threads, a throwaway step), with the
   * threads the job's first unit will most likely use: a later init on other threads starts a fresh worker.
   */
  async warm(engine: Pick<EngineSetting, 'backend' | 'wasmThreads'>, timeoutMs = 120_000): Promise<void> {
    await this.useThreads(engine.wasmThreads)
    await this.request({ type: 'warm', backend: engine.backend, wasmThreads: engine.wasmThreads }, 'ok', timeoutMs)
  }

  /** Compiles the job's train step; `engine.microBatch` null runs whole batches. */
  async init(spec: TrainSpec, engine: Omit<EngineSetting, 'microBatch'> & { microBatch?: number | null }, params: Record<string, Float32Array> | null = null, timeoutMs = 120_000) {
    await this.useThreads(engine.wasmThreads)
    return this.request({ type: 'init', spec, backend: engine.backend, wasmThreads: engine.wasmThreads, microBatch: engine.microBatch ?? null, params }, 'ready', timeoutMs)
  }

  /** Samples per second of full-batch steps for each micro-batch candidate, on this many wasm threads. */
  async calibrate(spec: TrainSpec, backend: ExecutionBackend, wasmThreads: number, microBatches: number[], timeoutMs = 300_000): Promise<CalibrationResult[]> {
    await this.useThreads(wasmThreads)
    return (await this.request({ type: 'calibrate', spec, backend, wasmThreads, microBatches }, 'calibrated', timeoutMs)).results
  }

  /**
   * Trains on the batches. With `handOver`, the batches' buffers move to the worker instead of being copied
   * (the arrays are empty afterwards): copying megabytes per call costs the worker more than a small model's
   * steps. Arrays that are views into a larger buffer are always copied.
   */
  async train(batches: BatchMessage[], lr: number, firstStep: number, options: { handOver?: boolean; timeoutMs?: number; spent?: (batches: BatchMessage[]) => void } = {}): Promise<RunSummary> {
    const transfer = options.handOver === true ? distinctBuffers(batches.flatMap((b) => [b.x, b.y]).filter(spansItsBuffer)) : []
    const reply = await this.request({ type: 'train', batches, lr, firstStep }, 'trained', options.timeoutMs ?? 600_000, transfer)
    // The worker sends the batches back once it is done with them; `spent` may keep them for reuse.
    options.spent?.(reply.spent)
    return reply.summary
  }

  async readParams(timeoutMs = 60_000): Promise<Record<string, Float32Array>> {
    return (await this.request({ type: 'read-params' }, 'params', timeoutMs)).params
  }

  /** Replaces the parameters; the optimiser state restarts at zero unless `keepState`. */
  async loadParams(params: Record<string, Float32Array>, keepState = false, timeoutMs = 60_000): Promise<void> {
    await this.request({ type: 'load-params', params, keepState }, 'ok', timeoutMs)
  }

  /** Held-out metrics and the arg-max prediction of every sample (whole batches of up to 250). */
  async evaluate(model: ModelRecipe, params: Record<string, Float32Array>, data: { task: TaskSpec; block: TaskBlock }, timeoutMs = 300_000): Promise<Evaluation> {
    // Evaluation loads ORT too, which fixes the worker's thread count: keep the one it has, or one thread.
    const wasmThreads = this.wasmThreads ?? 1
    await this.useThreads(wasmThreads)
    const { accuracy, loss, predictions } = await this.request({ type: 'evaluate', model, params, task: data.task, block: data.block, wasmThreads }, 'evaluated', timeoutMs)
    return { accuracy, loss, predictions }
  }

  /** The model's outputs for `rows` encoded inputs, in the worker. */
  async predict(model: ModelRecipe, params: Record<string, Float32Array>, x: Float32Array, rows: number, timeoutMs = 120_000): Promise<Float32Array> {
    const wasmThreads = this.wasmThreads ?? 1
    await this.useThreads(wasmThreads)
    return (await this.request({ type: 'predict', model, params, x, rows, wasmThreads }, 'predicted', timeoutMs)).outputs
  }

  /** The `length` tokens a language model writes after `prompt`, in the worker. */
  async generate(model: ModelRecipe, params: Record<string, Float32Array>, prompt: Uint16Array, options: { length: number; temperature: number; seed: number }, timeoutMs = 300_000): Promise<Uint16Array> {
    const wasmThreads = this.wasmThreads ?? 1
    await this.useThreads(wasmThreads)
    return (await this.request({ type: 'generate', model, params, prompt, ...options, wasmThreads }, 'generated', timeoutMs)).tokens
  }

  /** A model split into 2, 3 and 4 stages against the unsplit model, on this worker's `backend`. */
  async checkStages(backend: ExecutionBackend, wasmThreads = this.wasmThreads ?? 1, timeoutMs = 300_000): Promise<StageCheckResult[]> {
    await this.useThreads(wasmThreads)
    return (await this.request({ type: 'check-stages', backend, wasmThreads }, 'stages-checked', timeoutMs)).results
  }

  /**
   * A pipeline stage's engine in this worker (layers [from, to) of `model`, `rows` samples a call): what a tab
   * serving a stage runs. The shard is built here too, for its shapes, parameter names and FLOPs.
   */
  async stageEngine(model: ModelRecipe, from: number, to: number, rows: number, backend: ExecutionBackend, wasmThreads = this.wasmThreads ?? 1, timeoutMs = 300_000): Promise<StageEngine> {
    await this.useThreads(wasmThreads)
    const handle = this.nextStageHandle++
    await this.request({ type: 'stage-open', handle, model, from, to, rows, backend, wasmThreads }, 'ok', timeoutMs)
    const shard = buildShard(recipeModel(model), from, to, rows)
    // The worker keeps the last parameters it was sent: named ones the same as last time are not sent again (a
    // stage's micro-batches in one step all run with the same values).
    let sentKey: string | null = null
    const run = async (pass: 'forward' | 'backward', params: ReadonlyMap<string, Float32Array>, activation: Float32Array, gradOut: Float32Array | null, key: string | undefined) => {
      const send = key === undefined || key !== sentKey
      sentKey = null
      const reply = await this.request({ type: 'stage-run', handle, pass, params: send ? Object.fromEntries(shard.params.map((name) => [name, params.get(name)!])) : null, activation, gradOut }, 'stage-ran', timeoutMs)
      sentKey = key ?? null
      return reply
    }
    return {
      shard,
      forward: async (params, activation, key) => (await run('forward', params, activation, null, key)).output!,
      backward: async (params, activation, gradOut, key) => {
        const reply = await run('backward', params, activation, gradOut, key)
        return { gradIn: reply.output, grads: new Map(Object.entries(reply.grads ?? {})) }
      },
      release: async () => void (await this.request({ type: 'stage-close', handle }, 'ok', timeoutMs)),
    }
  }

  /** A staged job's loss head in this worker (what a tab coordinating the job ends each micro-batch's forward pass with). */
  async lossHead(model: ModelRecipe, rows: number, backend: ExecutionBackend, wasmThreads = this.wasmThreads ?? 1, timeoutMs = 300_000): Promise<LossHead> {
    await this.useThreads(wasmThreads)
    const handle = this.nextStageHandle++
    await this.request({ type: 'head-open', handle, model, rows, backend, wasmThreads }, 'ok', timeoutMs)
    return {
      run: async (output, y) => {
        const { loss, grad } = await this.request({ type: 'head-run', handle, output, y }, 'head-ran', timeoutMs)
        return { loss, grad }
      },
      release: async () => void (await this.request({ type: 'stage-close', handle }, 'ok', timeoutMs)),
    }
  }

  async throttle(dutyCycle: number, paused: boolean): Promise<void> {
    this.lastThrottle = { dutyCycle, paused }
    await this.request({ type: 'throttle', dutyCycle, paused }, 'ok', 10_000)
  }

  terminate(): void {
    this.stopped = true
    this.stopWorker()
  }

  private stopWorker(): void {
    this.failAll(new TesseraeError('WORKER_STOPPED', 'The compute worker was stopped.'))
    this.worker.terminate()
  }

  private start(): Worker {
    const worker = this.createWorker()
    worker.addEventListener('message', (event: MessageEvent<unknown>) => worker === this.worker && this.onMessage(event.data))
    worker.addEventListener('error', (event) => worker === this.worker && this.failAll(new TesseraeError('WORKER_CRASHED', `The compute worker crashed: ${event.message}`)))
    return worker
  }

  /** Replaces the worker when its ORT already runs another thread count, keeping listeners and the throttle. */
  private async useThreads(wasmThreads: number): Promise<void> {
    if (!this.stopped && this.wasmThreads !== null && this.wasmThreads !== wasmThreads) {
      this.stopWorker()
      this.worker = this.start()
      if (this.lastThrottle !== null) await this.request({ type: 'throttle', ...this.lastThrottle }, 'ok', 10_000)
    }
    this.wasmThreads = wasmThreads
  }

  private request<T extends FromWorker['type']>(message: Distribute<ToWorker>, expect: T, timeoutMs: number, transfer: Transferable[] = []): Promise<Extract<FromWorker, { type: T }>> {
    const id = this.nextId++
    return new Promise<FromWorker>((resolve, reject) => {
      if (this.stopped) throw new TesseraeError('WORKER_STOPPED', 'The compute worker was stopped.')
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new TesseraeError('WORKER_TIMEOUT', `The compute worker did not finish "${message.type}" within ${timeoutMs / 1000} s.`))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      this.worker.postMessage({ ...message, id }, transfer)
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
