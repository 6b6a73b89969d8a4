// The compute worker's behaviour, independent of the worker global: compile a zoo model's train step, run
// batches on WebGPU (or wasm), stream progress, time micro-batch candidates for calibration, and recover from a
// lost or out-of-memory GPU by restarting the run on wasm from the last parameters held on the CPU. ORT (one
// build per backend) and the event sink are injected.
import { buildTrainStep, type TrainStep } from '../graph/train-step.ts'
import { initParams, parameterCount, type Model } from '../graph/model.ts'
import { syntheticBatch, throwawayStep } from './synthetic-batch.ts'
import { DEFAULT_ADAMW, DEFAULT_SGD } from '../graph/optimizer.ts'
import { MODEL_ZOO } from '../graph/zoo.ts'
import { recipeModel } from '../graph/model-recipe.ts'
import { errorMessage, TesseraeError } from '../errors.ts'
import { TrainSession, type ExecutionBackend, type OrtModule } from './train-session.ts'
import { Throttle } from './throttle.ts'
import { evaluateTask, predictOutputs } from './evaluate.ts'
import { generateTokens } from './generate.ts'
import { checkStages } from './stage-check.ts'
import { createLossHead, createStageEngine, type LossHead, type StageEngine } from './stage-engine.ts'
import { buildShard } from '../graph/shard.ts'
import { timeSteps, type StepTimerOptions } from './step-timer.ts'
import type { CalibrationResult, FromWorker, ToWorker, TrainSpec } from './worker-protocol.ts'
import { distinctBuffers } from './transfer.ts'

/**
 * Sends a message to the page; `transfer` moves those buffers with it. Buffers the page sent in and this worker
 * has finished with go back the same way, unreferenced: a model-sized array left here as garbage waits for
 * this worker's V8 to reach its external-memory limit (about 64 MiB above the last collection), which the
 * page, collecting often anyway, never adds to. So this worker keeps almost no garbage at all.
 */
type Emit = (message: FromWorker, transfer?: ArrayBuffer[]) => void
/**
 * The ORT build for a backend. The WebGPU build (asyncify) runs wasm kernels about 3× slower than the plain
 * wasm build in Chromium, so wasm sessions always come from the plain build.
 */
export type OrtLoader = (backend: ExecutionBackend) => Promise<OrtModule>

interface Compiled {
  spec: TrainSpec
  model: Model
  step: TrainStep
  session: TrainSession
  /** CPU copy of parameters and optimiser state at the start of the current run: what a GPU failure rolls back to. */
  checkpoint: Map<string, Float32Array>
  checkpointState: Map<string, Float32Array>
  /** True while the session's parameters may differ from the checkpoint. */
  dirty: boolean
  /** Latest measured time per step, which sizes the next engine run; null before the first. */
  msPerStep: number | null
}

/** An engine run (several steps on wasm) should take about this long: long enough to amortise, short enough to pause. */
const RUN_TARGET_MS = 250
const MAX_STEPS_PER_RUN = 32

export class WorkerRuntime {
  private readonly loadOrt: OrtLoader
  private readonly emit: Emit
  private readonly now: () => number
  private readonly throttle: Throttle
  private readonly timer: Omit<StepTimerOptions, 'now'>
  private readonly loaded = new Map<ExecutionBackend, OrtModule>()
  /** Wasm threads of this worker's ORT builds: fixed when the first one loads. */
  private wasmThreads: number | null = null
  /** Pipeline stages open in this worker, by the page's handle. */
  private readonly stages = new Map<number, { engine: StageEngine; params: Map<string, Float32Array> | null }>()
  private readonly heads = new Map<number, LossHead>()
  private compiled: Compiled | null = null

  constructor(loadOrt: OrtLoader, emit: Emit, options: { now?: () => number; sleep?: (ms: number) => Promise<void>; calibration?: Omit<StepTimerOptions, 'now'> } = {}) {
    this.loadOrt = loadOrt
    this.emit = emit
    this.now = options.now ?? (() => performance.now())
    this.timer = options.calibration ?? {}
    this.throttle = new Throttle({ sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))) })
  }

  async handle(message: Exclude<ToWorker, { type: 'probe' }>): Promise<void> {
    switch (message.type) {
      case 'warm':
        return this.warm(message)
      case 'init':
        return this.init(message)
      case 'calibrate':
        return this.calibrate(message)
      case 'train':
        return this.train(message)
      case 'read-params': {
        const compiled = this.require()
        if (compiled.session.backend === 'wasm') {
          // No GPU to lose, so no checkpoint to keep: the one fresh copy moves to the page.
          const { params } = await compiled.session.read()
          this.emit({ type: 'params', id: message.id, params: Object.fromEntries(params) }, distinctBuffers(params.values()))
          return
        }
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
        const model = recipeModel(message.model)
        const ort = await this.ort('wasm', message.wasmThreads)
        const result = await evaluateTask(ort, model, new Map(Object.entries(message.params)), message.task, message.block, { batchSize: 250 })
        this.emit({ type: 'evaluated', id: message.id, ...result })
        return
      }
      case 'predict': {
        const ort = await this.ort('wasm', message.wasmThreads)
        const outputs = await predictOutputs(ort, recipeModel(message.model), new Map(Object.entries(message.params)), message.x, message.rows)
        this.emit({ type: 'predicted', id: message.id, outputs })
        return
      }
      case 'generate': {
        const ort = await this.ort('wasm', message.wasmThreads)
        const tokens = await generateTokens(ort, recipeModel(message.model), new Map(Object.entries(message.params)), message)
        this.emit({ type: 'generated', id: message.id, tokens })
        return
      }
      case 'check-stages': {
        const ort = await this.ort(message.backend, message.wasmThreads)
        this.emit({ type: 'stages-checked', id: message.id, backend: message.backend, results: await checkStages(ort, message.backend) })
        return
      }
      case 'stage-open': {
        const ort = await this.ort(message.backend, message.wasmThreads)
        await this.stages.get(message.handle)?.engine.release()
        this.stages.set(message.handle, { engine: await createStageEngine(ort, buildShard(recipeModel(message.model), message.from, message.to, message.rows), message.backend), params: null })
        this.emit({ type: 'ok', id: message.id })
        return
      }
      case 'stage-run': {
        const open = this.stages.get(message.handle)
        if (!open) throw new TesseraeError('NOT_LOADED', `no stage is open under handle ${message.handle}`)
        const { engine } = open
        if (message.params) open.params = new Map(Object.entries(message.params))
        const params = open.params
        if (!params) throw new TesseraeError('NOT_LOADED', `stage ${message.handle} was sent no parameters yet`)
        if (message.pass === 'forward') {
          const output = await engine.forward(params, message.activation)
          // Copied, not transferred: an output may be a view the runtime still owns.
          this.emit({ type: 'stage-ran', id: message.id, output, grads: null })
        } else {
          const { gradIn, grads } = await engine.backward(params, message.activation, message.gradOut!)
          this.emit({ type: 'stage-ran', id: message.id, output: gradIn, grads: Object.fromEntries(grads) })
        }
        return
      }
      case 'head-open': {
        const ort = await this.ort(message.backend, message.wasmThreads)
        await this.heads.get(message.handle)?.release()
        this.heads.set(message.handle, await createLossHead(ort, recipeModel(message.model), message.rows, message.backend))
        this.emit({ type: 'ok', id: message.id })
        return
      }
      case 'head-run': {
        const head = this.heads.get(message.handle)
        if (!head) throw new TesseraeError('NOT_LOADED', `no loss head is open under handle ${message.handle}`)
        this.emit({ type: 'head-ran', id: message.id, ...(await head.run(message.output, message.y)) })
        return
      }
      case 'stage-close':
        await this.stages.get(message.handle)?.engine.release()
        this.stages.delete(message.handle)
        await this.heads.get(message.handle)?.release()
        this.heads.delete(message.handle)
        this.emit({ type: 'ok', id: message.id })
        return
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

  /** The ORT build for a backend, loading it with this worker's thread count on first use. */
  private async ort(backend: ExecutionBackend, wasmThreads: number): Promise<OrtModule> {
    if (this.wasmThreads !== null && this.wasmThreads !== wasmThreads) {
      throw new TesseraeError('THREADS_FIXED', `this worker's ORT runs ${this.wasmThreads} wasm thread${this.wasmThreads === 1 ? '' : 's'}; start a new worker for ${wasmThreads}`)
    }
    this.wasmThreads = wasmThreads
    let ort = this.loaded.get(backend)
    if (ort === undefined) {
      ort = await this.loadOrt(backend)
      // Read by ORT once, when the build's wasm module first loads; later changes have no effect.
      ort.env.wasm.numThreads = wasmThreads
      this.loaded.set(backend, ort)
    }
    return ort
  }

  private async init(message: Extract<ToWorker, { type: 'init' }>): Promise<void> {
    await this.compiled?.session.release()
    this.compiled = null
    const started = this.now()
    const model = recipeModel(message.spec.model)
    const step = buildTrainStep(model, message.spec.batchSize, optimizerOf(message.spec), { microBatch: message.microBatch ?? message.spec.batchSize, lrScale: message.spec.lrScale })
    const checkpoint = message.params === null ? initParams(model, message.spec.seed) : new Map(Object.entries(message.params))
    const session = await this.openSession(message.id, step, message.backend, message.wasmThreads)
    session.load(checkpoint)
    const msPerStep = await warmUp(session, model, message.spec.batchSize, this.now)
    // Loaded again: the parameters and fresh optimiser state the first unit starts from, whatever the step did.
    session.load(checkpoint)
    this.compiled = { spec: message.spec, model, step, session, checkpoint, checkpointState: new Map(), dirty: false, msPerStep }
    this.emit({
      type: 'ready',
      id: message.id,
      backend: session.backend,
      wasmThreads: message.wasmThreads,
      microBatch: step.microBatch,
      compileMs: this.now() - started,
      firstStepMs: msPerStep,
      flopsPerStep: step.flopsPerStep,
      parameters: parameterCount(model),
    })
  }

  /**
   * Starting an engine costs more than any job's compile: in Chromium the ORT wasm module (14 MB) compiles and
   * its thread pool starts in about 3 s on a 2-core machine, and a fresh worker's first run of the kernels every
   * model shares is several times slower than the next. None of that depends on the job, so a volunteer's worker
   * pays it here, with one step of the smallest zoo model, while the job is still being looked for. (Without
   * the step, a CNN's first 4-step unit took 2.3-2.5 s from training to delivered instead of 1.5-1.9 s.)
   */
  private async warm(message: Extract<ToWorker, { type: 'warm' }>): Promise<void> {
    const model = MODEL_ZOO.mlp()
    const step = buildTrainStep(model, WARM_BATCH, DEFAULT_ADAMW, { microBatch: WARM_BATCH })
    const session = await this.openSession(message.id, step, message.backend, message.wasmThreads)
    try {
      session.load(initParams(model, 0))
      await warmUp(session, model, WARM_BATCH, this.now)
    } finally {
      await session.release()
    }
    this.emit({ type: 'ok', id: message.id })
  }

  /** Opens a session on the wanted backend; if WebGPU cannot host the graph, says why and uses wasm. */
  private async openSession(id: number, step: TrainStep, backend: ExecutionBackend, wasmThreads: number): Promise<TrainSession> {
    if (backend === 'wasm') return TrainSession.create(await this.ort('wasm', wasmThreads), step, { backend })
    try {
      return await TrainSession.create(await this.ort('webgpu', wasmThreads), step, { backend, disableCpuFallback: true })
    } catch (error) {
      this.emit({ type: 'fallback', id, from: 'webgpu', to: 'wasm', reason: errorMessage(error) })
      return TrainSession.create(await this.ort('wasm', wasmThreads), step, { backend: 'wasm' })
    }
  }

  /**
   * Times full-batch steps for each micro-batch candidate on synthetic batches, interleaving the candidates
   * so a burst of load elsewhere on the machine hits them alike; each keeps its best round.
   */
  private async calibrate(message: Extract<ToWorker, { type: 'calibrate' }>): Promise<void> {
    const model = recipeModel(message.spec.model)
    const params = initParams(model, message.spec.seed)
    const ort = await this.ort(message.backend, message.wasmThreads)
    const candidates: Array<{ microBatch: number; session: TrainSession | null; error: string | null }> = []
    try {
      for (const microBatch of message.microBatches) {
        try {
          const step = buildTrainStep(model, message.spec.batchSize, optimizerOf(message.spec), { microBatch, lrScale: message.spec.lrScale })
          const session = await TrainSession.create(ort, step, { backend: message.backend, disableCpuFallback: message.backend === 'webgpu' })
          session.load(params)
          candidates.push({ microBatch, session, error: null })
        } catch (error) {
          candidates.push({ microBatch, session: null, error: errorMessage(error) })
        }
      }
      const timings = await timeSteps(
        candidates.map((c) => c.session),
        syntheticBatch(model, message.spec.batchSize),
        { ...this.timer, now: this.now },
      )
      const results: CalibrationResult[] = candidates.map((c, i) => {
        const timing = timings[i]!
        if (c.error !== null || 'error' in timing) return { microBatch: c.microBatch, samplesPerSecond: null, error: c.error ?? (timing as { error: string }).error }
        return { microBatch: c.microBatch, samplesPerSecond: (message.spec.batchSize * 1000) / timing.msPerStep, error: null }
      })
      this.emit({ type: 'calibrated', id: message.id, backend: message.backend, wasmThreads: message.wasmThreads, results })
    } finally {
      for (const c of candidates) await c.session?.release()
    }
  }

  private async train(message: Extract<ToWorker, { type: 'train' }>): Promise<void> {
    const compiled = this.require()
    // What a lost GPU rolls back to; a wasm run has nothing to lose (its errors are the run's own).
    if (compiled.session.backend === 'webgpu') await this.syncCheckpoint(compiled)
    try {
      await this.runBatches(compiled, message)
    } catch (error) {
      if (compiled.session.backend !== 'webgpu') throw error
      // A lost device or GPU out-of-memory: everything on the GPU is gone, so restart this run on wasm from
      // the checkpoint rather than hang or report half a run.
      this.emit({ type: 'fallback', id: message.id, from: 'webgpu', to: 'wasm', reason: errorMessage(error) })
      await compiled.session.release().catch((releaseError: unknown) => console.warn(`releasing the failed WebGPU session: ${errorMessage(releaseError)}`))
      compiled.session = await TrainSession.create(await this.ort('wasm', this.wasmThreads ?? 1), compiled.step, { backend: 'wasm' })
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
    for (let done = 0; done < message.batches.length; ) {
      // One engine run takes several steps on wasm; size runs to about RUN_TARGET_MS so progress, throttling
      // and pausing still act within a fraction of a second.
      const steps = Math.min(message.batches.length - done, compiled.msPerStep === null ? 1 : Math.max(1, Math.min(MAX_STEPS_PER_RUN, Math.floor(RUN_TARGET_MS / compiled.msPerStep))))
      const first = message.firstStep + done
      const started = this.now()
      const results = await compiled.session.runSteps(message.batches.slice(done, done + steps), message.lr, first)
      const elapsed = this.now() - started
      compiled.msPerStep = elapsed / steps
      busyMs += elapsed
      for (const [i, result] of results.entries()) {
        if (!Number.isFinite(result.loss)) throw new TesseraeError('DIVERGED', `the loss became ${result.loss} at step ${first + i}; lower the learning rate`)
        losses.push(result.loss)
        corrects.push(result.correct)
        this.emit({ type: 'progress', id: message.id, step: first + i, loss: result.loss, correct: result.correct, samplesPerSecond: (batchSize * 1000) / Math.max(compiled.msPerStep, 1e-3) })
      }
      done += steps
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
      spent: message.batches,
    }, distinctBuffers(message.batches.flatMap((b) => [b.x, b.y])))
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

const optimizerOf = (spec: TrainSpec) => (spec.optimizer === 'adamw' ? DEFAULT_ADAMW : DEFAULT_SGD)

/** Rows of the throwaway step a worker warms up with before it knows its job. */
const WARM_BATCH = 8

/**
 * The throwaway step, timed. A failing run is left for the first real one to report (and to fall back from
 * WebGPU on).
 */
async function warmUp(session: TrainSession, model: Model, batchSize: number, now: () => number): Promise<number | null> {
  const started = now()
  try {
    await throwawayStep(session, model, batchSize)
  } catch {
    return null
  }
  return now() - started
}
