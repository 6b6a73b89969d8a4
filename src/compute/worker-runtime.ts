// The compute worker's behaviour, independent of the worker global: compile a zoo model's train step, run
// batches on WebGPU (or wasm), stream progress, and recover from a lost or out-of-memory GPU by restarting the
// run on wasm from the last parameters held on the CPU. ORT and the event sink are injected.
import { buildTrainStep, type TrainStep } from '../graph/train-step.ts'
import { exportOnnx } from '../graph/onnx/export.ts'
import { initParams, parameterCount, type Model } from '../graph/model.ts'
import { DEFAULT_ADAMW, DEFAULT_SGD } from '../graph/optimizer.ts'
import { MODEL_ZOO } from '../graph/zoo.ts'
import { errorMessage, TesseraeError } from '../errors.ts'
import { TrainSession, type ExecutionBackend, type OrtModule } from './train-session.ts'
import { Throttle } from './throttle.ts'
import { evaluateModel } from './evaluate.ts'
import type { FromWorker, ToWorker, TrainSpec } from './worker-protocol.ts'

type Emit = (message: FromWorker) => void

interface Compiled {
  spec: TrainSpec
  model: Model
  step: TrainStep
  onnx: Uint8Array
  session: TrainSession
  /** CPU copy of parameters and optimiser state at the start of the current run: what a GPU failure rolls back to. */
  checkpoint: Map<string, Float32Array>
  checkpointState: Map<string, Float32Array>
  /** True while the session's parameters may differ from the checkpoint. */
  dirty: boolean
}

export class WorkerRuntime {
  private readonly ort: OrtModule
  private readonly emit: Emit
  private readonly now: () => number
  private readonly throttle: Throttle
  private compiled: Compiled | null = null

  constructor(ort: OrtModule, emit: Emit, options: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {}) {
    this.ort = ort
    this.emit = emit
    this.now = options.now ?? (() => performance.now())
    this.throttle = new Throttle({ sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))) })
  }

  async handle(message: Exclude<ToWorker, { type: 'probe' }>): Promise<void> {
    switch (message.type) {
      case 'init':
        return this.init(message)
      case 'train':
        return this.train(message)
      case 'read-params': {
        const compiled = this.require()
        this.emit({ type: 'params', id: message.id, params: Object.fromEntries(await this.syncCheckpoint(compiled)) })
        return
      }
      case 'load-params': {
        const compiled = this.require()
        const params = new Map(Object.entries(message.params))
        const state = message.keepState ? (await compiled.session.read(true)).state : new Map<string, Float32Array>()
        compiled.session.load(params, state)
        compiled.checkpoint = params
        compiled.checkpointState = state
        compiled.dirty = false
        this.emit({ type: 'ok', id: message.id })
        return
      }
      case 'evaluate': {
        const model = MODEL_ZOO[message.model]()
        const result = await evaluateModel(this.ort, model, new Map(Object.entries(message.params)), message.images, { mean: message.mean, std: message.std }, { batchSize: 250 })
        this.emit({ type: 'evaluated', id: message.id, ...result })
        return
      }
      case 'throttle':
        this.throttle.set(message.dutyCycle, message.paused)
        this.emit({ type: 'ok', id: message.id })
        return
      case 'dispose':
        await this.compiled?.session.release()
        this.compiled = null
        this.emit({ type: 'ok', id: message.id })
        return
    }
  }

  private async init(message: Extract<ToWorker, { type: 'init' }>): Promise<void> {
    await this.compiled?.session.release()
    this.compiled = null
    // Read by ORT once, when its wasm module first loads; later changes have no effect.
    this.ort.env.wasm.numThreads = message.wasmThreads
    const started = this.now()
    const model = MODEL_ZOO[message.spec.model]()
    const step = buildTrainStep(model, message.spec.batchSize, message.spec.optimizer === 'adamw' ? DEFAULT_ADAMW : DEFAULT_SGD)
    const onnx = exportOnnx(step.graph, { name: `${model.name}_train_step` })
    const checkpoint = message.params === null ? initParams(model, message.spec.seed) : new Map(Object.entries(message.params))
    const { session, backend } = await this.openSession(message.id, step, onnx, message.backend)
    session.load(checkpoint)
    this.compiled = { spec: message.spec, model, step, onnx, session, checkpoint, checkpointState: new Map(), dirty: false }
    this.emit({ type: 'ready', id: message.id, backend, compileMs: this.now() - started, flopsPerStep: step.flopsPerStep, parameters: parameterCount(model) })
  }

  /** Opens a session on the wanted backend; if WebGPU cannot host the graph, says why and uses wasm. */
  private async openSession(id: number, step: TrainStep, onnx: Uint8Array, backend: ExecutionBackend): Promise<{ session: TrainSession; backend: ExecutionBackend }> {
    if (backend === 'wasm') return { session: await TrainSession.create(this.ort, step, onnx, { backend }), backend }
    try {
      return { session: await TrainSession.create(this.ort, step, onnx, { backend, disableCpuFallback: true }), backend }
    } catch (error) {
      this.emit({ type: 'fallback', id, from: 'webgpu', to: 'wasm', reason: errorMessage(error) })
      return { session: await TrainSession.create(this.ort, step, onnx, { backend: 'wasm' }), backend: 'wasm' }
    }
  }

  private async train(message: Extract<ToWorker, { type: 'train' }>): Promise<void> {
    const compiled = this.require()
    await this.syncCheckpoint(compiled)
    try {
      await this.runBatches(compiled, message)
    } catch (error) {
      if (compiled.session.backend !== 'webgpu') throw error
      // A lost device or GPU out-of-memory: everything on the GPU is gone, so restart this run on wasm from
      // the checkpoint rather than hang or report half a run.
      this.emit({ type: 'fallback', id: message.id, from: 'webgpu', to: 'wasm', reason: errorMessage(error) })
      await compiled.session.release().catch((releaseError: unknown) => console.warn(`releasing the failed WebGPU session: ${errorMessage(releaseError)}`))
      compiled.session = await TrainSession.create(this.ort, compiled.step, compiled.onnx, { backend: 'wasm' })
      compiled.session.load(compiled.checkpoint, compiled.checkpointState)
      compiled.dirty = false
      await this.runBatches(compiled, message)
    }
  }

  private async runBatches(compiled: Compiled, message: Extract<ToWorker, { type: 'train' }>): Promise<void> {
    const losses: number[] = []
    const corrects: number[] = []
    const batchSize = compiled.spec.batchSize
    let busyMs = 0
    compiled.dirty = true
    for (const [i, batch] of message.batches.entries()) {
      const started = this.now()
      const result = await compiled.session.run(batch, message.lr, message.firstStep + i)
      if (!Number.isFinite(result.loss)) throw new TesseraeError('DIVERGED', `the loss became ${result.loss} at step ${message.firstStep + i}; lower the learning rate`)
      const elapsed = this.now() - started
      busyMs += elapsed
      losses.push(result.loss)
      corrects.push(result.correct)
      this.emit({ type: 'progress', id: message.id, step: message.firstStep + i, loss: result.loss, correct: result.correct, samplesPerSecond: (batchSize * 1000) / Math.max(elapsed, 1e-3) })
      await this.throttle.afterWork(elapsed)
    }
    const samples = batchSize * message.batches.length
    this.emit({
      type: 'trained',
      id: message.id,
      summary: {
        losses,
        corrects,
        samples,
        elapsedMs: busyMs,
        samplesPerSecond: (samples * 1000) / Math.max(busyMs, 1e-3),
        gflopsPerSecond: (compiled.step.flopsPerStep * message.batches.length) / Math.max(busyMs, 1e-3) / 1e6,
        backend: compiled.session.backend,
      },
    })
  }

  private async syncCheckpoint(compiled: Compiled): Promise<Map<string, Float32Array>> {
    if (compiled.dirty) {
      const { params, state } = await compiled.session.read(true)
      compiled.checkpoint = params
      compiled.checkpointState = state
      compiled.dirty = false
    }
    return compiled.checkpoint
  }

  private require(): Compiled {
    if (this.compiled === null) throw new TesseraeError('NOT_INITIALISED', 'the compute worker has no model loaded; send "init" first')
    return this.compiled
  }
}
