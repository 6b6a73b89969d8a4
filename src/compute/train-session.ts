// Runs a generated train step with onnxruntime-web, keeping parameters and optimiser state resident by feeding
// each run's ":next" outputs back as the next run's inputs. Parameters travel as a few flat buckets. On WebGPU
// the buckets stay in GPU buffers and each step is one run (micro-batching: several accumulate runs over
// zero-copy row slices, then the update run). On wasm, ORT copies every output into a freshly allocated JS
// array, so a run takes a whole stack of steps, micro-batches included (train-loop.ts), and the buckets cross
// once per stack. ORT is injected so the same code runs in the worker (WebGPU or wasm) and in Node (wasm).
import type * as Ort from 'onnxruntime-web'
import { PARAMS, type TrainStep } from '../graph/train-step.ts'
import { bucketName, packFlat, unpackFlat } from '../graph/flat-params.ts'
import { exportOnnx } from '../graph/onnx/export.ts'
import { CORRECTS, exportTrainLoop, LOSSES, rowInputs, stackedName } from '../graph/train-loop.ts'
import { dropoutMasks } from '../graph/dropout.ts'
import { TesseraeError } from '../errors.ts'
import { formatShape, numel } from '../graph/shape.ts'

export type OrtModule = typeof Ort
export type ExecutionBackend = 'webgpu' | 'wasm'

export interface Batch {
  x: Float32Array
  y: Float32Array
}

export interface StepResult {
  /** Mean loss over the whole batch. */
  loss: number
  correct: number
}

export interface SessionOptions {
  backend: ExecutionBackend
  /** Fail session creation if any node would run on the CPU instead of the chosen backend. */
  disableCpuFallback?: boolean
}

export async function createOrtSession(ort: OrtModule, onnx: Uint8Array, options: SessionOptions & { gpuOutputs?: string[] }): Promise<Ort.InferenceSession> {
  const sessionOptions: Ort.InferenceSession.SessionOptions = {
    executionProviders: [options.backend],
    graphOptimizationLevel: 'all',
  }
  if (options.disableCpuFallback) sessionOptions.extra = { session: { disable_cpu_ep_fallback: '1' } }
  if (options.backend === 'webgpu' && options.gpuOutputs !== undefined) {
    sessionOptions.preferredOutputLocation = Object.fromEntries(options.gpuOutputs.map((name) => [name, 'gpu-buffer' as const]))
  }
  try {
    return await ort.InferenceSession.create(onnx, sessionOptions)
  } catch (error) {
    throw new TesseraeError('SESSION_FAILED', `could not create a ${options.backend} session: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}

type Feeds = Record<string, Ort.Tensor>

export class TrainSession {
  readonly backend: ExecutionBackend
  private readonly ort: OrtModule
  /** One step per run (WebGPU, micro-batching) or, when `looped`, a stack of whole-batch steps per run. */
  private readonly update: Ort.InferenceSession
  private readonly accumulate: Ort.InferenceSession | null
  private readonly looped: boolean
  private readonly step: TrainStep
  /**
   * Reused staging buffers for stacked batches, one per row input (x, y, dropout masks): allocating megabytes
   * per run is what looping avoids.
   */
  private stack = new Map<string, Float32Array>()
  /** Reused arrays for one step's dropout masks. */
  private masks: Float32Array[] = []
  /**
   * On wasm, the carried outputs (parameters and optimiser state) land in two sets of arrays this session owns,
   * used in turn: a run reads one set (or the arrays `load()` was given) and writes the other. Without them ORT
   * allocates every output afresh, three model-sized arrays per run, and in a browser that garbage waits for
   * V8's external-memory limit (about 64 MiB per worker) before it is collected. ORT-web only copies a
   * pre-allocated output back on its WebGPU path; `patches/onnxruntime-web-preallocated-outputs.mjs` adds the
   * copy on the plain wasm path, and `runStack` checks that it happened (null: not checked yet).
   */
  private outputSets: Array<Map<string, Float32Array>> = []
  private nextOutputSet = 0
  private preallocated: boolean | null = null
  /** Per-micro-batch shapes of the row inputs (x, y, dropout masks), in rowInputs order. */
  private readonly rowShapes: Map<string, number[]>
  private carried = new Map<string, Ort.Tensor>()
  /** The most bytes of row inputs one stacked run stages. */
  private stackBytes = STACK_BYTES

  private constructor(ort: OrtModule, update: Ort.InferenceSession, accumulate: Ort.InferenceSession | null, looped: boolean, step: TrainStep, backend: ExecutionBackend) {
    this.ort = ort
    this.update = update
    this.accumulate = accumulate
    this.looped = looped
    this.step = step
    this.backend = backend
    const inputs = new Map(step.graph.inputsOfKind('input').map(({ name, value }) => [name, [...value.shape]]))
    this.rowShapes = new Map(rowInputs(step).map((name) => [name, inputs.get(name)!]))
  }

  static async create(ort: OrtModule, step: TrainStep, options: SessionOptions & { stackBytes?: number }): Promise<TrainSession> {
    if (options.backend === 'wasm') {
      const session = new TrainSession(ort, await createOrtSession(ort, exportTrainLoop(step), options), null, true, step, 'wasm')
      session.stackBytes = options.stackBytes ?? STACK_BYTES
      return session
    }
    const update = await createOrtSession(ort, exportOnnx(step.graph, { name: 'train_step' }), { ...options, gpuOutputs: step.carried.map((c) => c.output) })
    if (step.accumulate === null) return new TrainSession(ort, update, null, false, step, options.backend)
    try {
      const accumulate = await createOrtSession(ort, exportOnnx(step.accumulate, { name: 'accumulate_gradients' }), { ...options, gpuOutputs: step.gradSums.map((s) => s.output) })
      return new TrainSession(ort, update, accumulate, false, step, options.backend)
    } catch (error) {
      await update.release()
      throw error
    }
  }

  /** Whether runs write the carried outputs into this session's own arrays (null before the first wasm run). */
  get writesOwnArrays(): boolean | null {
    return this.preallocated
  }

  get microBatch(): number {
    return this.step.microBatch
  }

  /** Loads parameters and optimiser state (keyed as `read(true)` returns it; missing state starts at zero). */
  load(params: ReadonlyMap<string, Float32Array>, state: ReadonlyMap<string, Float32Array> = new Map()): void {
    const buckets = packFlat(this.step.layout, params)
    const fresh = new Map<string, Ort.Tensor>()
    for (const c of this.step.carried) {
      const size = this.step.layout.bucketSizes[c.bucket]!
      const values = c.slot === null ? buckets[c.bucket]! : (state.get(c.input) ?? new Float32Array(size))
      if (values.length !== size) throw new TesseraeError('SHAPE_MISMATCH', `optimiser state "${c.input}" needs ${size} values, got ${values.length}`)
      fresh.set(c.input, new this.ort.Tensor('float32', values, [size]))
    }
    this.releaseCarried()
    this.carried = fresh
  }

  /** One optimiser step on one batch; `stepNumber` is 1-based (AdamW bias correction). */
  async run(batch: Batch, lr: number, stepNumber: number): Promise<StepResult> {
    return (await this.runSteps([batch], lr, stepNumber))[0]!
  }

  /** Consecutive optimiser steps, one per batch, numbered from `firstStep`; one engine run on wasm. */
  async runSteps(batches: readonly Batch[], lr: number, firstStep: number): Promise<StepResult[]> {
    const microBatches = this.step.batchSize / this.step.microBatch
    const xShape = this.rowShapes.get('x')!
    const xLen = numel(xShape) * microBatches
    const yLen = numel(this.rowShapes.get('y')!) * microBatches
    const batchXShape = [this.step.batchSize, ...xShape.slice(1)]
    for (const batch of batches) {
      if (batch.x.length !== xLen) throw new TesseraeError('SHAPE_MISMATCH', `batch x has ${batch.x.length} values, the step expects ${formatShape(batchXShape)} = ${xLen}`)
      if (batch.y.length !== yLen) throw new TesseraeError('SHAPE_MISMATCH', `batch y has ${batch.y.length} values, the step expects ${yLen}`)
    }
    if (this.carried.size === 0) throw new TesseraeError('NOT_LOADED', 'load() parameters before running steps')
    if (this.looped) {
      // A stack's staging (and ORT's copy of it) is bounded: dropout masks can outweigh the batch many times.
      const perRun = Math.max(1, Math.floor(this.stackBytes / (4 * this.rowFloats())))
      const results: StepResult[] = []
      for (let done = 0; done < batches.length; done += perRun) results.push(...(await this.runStack(batches.slice(done, done + perRun), lr, firstStep + done)))
      return results
    }
    const results: StepResult[] = []
    for (const [i, batch] of batches.entries()) results.push(await this.runOne(batch, lr, firstStep + i))
    return results
  }

  /** Floats of one whole-batch step's row inputs: x, y and the dropout masks. */
  private rowFloats(): number {
    return [...this.rowShapes.values()].reduce((n, shape) => n + numel(shape), 0) * (this.step.batchSize / this.step.microBatch)
  }

  /** A step's row inputs for its whole batch, keyed by input name: x, y and the masks drawn for them. */
  private rowValues(batch: Batch, stepNumber: number): Map<string, Float32Array> {
    const values = new Map([['x', batch.x], ['y', batch.y]])
    const dropout = this.step.dropout
    if (dropout !== null) {
      this.masks = dropoutMasks(dropout, this.step.batchSize, batch.x, stepNumber, this.masks)
      dropout.masks.forEach((m, i) => values.set(m.name, this.masks[i]!))
    }
    return values
  }

  private async runStack(batches: readonly Batch[], lr: number, firstStep: number): Promise<StepResult[]> {
    const steps = batches.length
    const rows = this.step.batchSize
    const shapes = this.rowShapes
    const microBatches = rows / this.step.microBatch
    const lengths = new Map([...shapes].map(([name, shape]) => [name, numel(shape) * microBatches]))
    for (const [name, length] of lengths) if ((this.stack.get(name)?.length ?? 0) < steps * length) this.stack.set(name, new Float32Array(steps * length))
    batches.forEach((b, i) => {
      for (const [name, values] of this.rowValues(b, firstStep + i)) this.stack.get(name)!.set(values, i * lengths.get(name)!)
    })
    const feeds: Feeds = { lr: new this.ort.Tensor('float32', new Float32Array([lr]), []) }
    for (const [name, shape] of shapes) {
      feeds[stackedName(name)] = new this.ort.Tensor('float32', this.stack.get(name)!.subarray(0, steps * lengths.get(name)!), [steps, rows, ...shape.slice(1)])
    }
    if (this.update.inputNames.includes('step')) feeds.step = new this.ort.Tensor('float32', new Float32Array([firstStep]), [])
    for (const [name, tensor] of this.carried) feeds[name] = tensor
    const outputs = (this.preallocated !== false ? await this.runIntoOwnArrays(feeds) : null) ?? (await this.update.run(feeds))
    this.carried = new Map(this.step.carried.map((c) => [c.input, outputs[c.output]!]))
    const losses = outputs[LOSSES]!.data as Float32Array
    const corrects = outputs[CORRECTS]!.data as Float32Array
    return Array.from(losses, (loss, i) => ({ loss, correct: corrects[i]! }))
  }

  /**
   * One run whose carried outputs are written into the set of this session's arrays the inputs do not use.
   * Null when this ORT build does not copy pre-allocated outputs back (checked on the first run by a NaN
   * payload no computation makes): the caller then runs again the usual way, from the same unchanged inputs.
   */
  private async runIntoOwnArrays(feeds: Feeds): Promise<Ort.InferenceSession.OnnxValueMapType | null> {
    if (this.outputSets.length === 0) {
      const set = () => new Map(this.step.carried.map((c) => [c.output, new Float32Array(this.step.layout.bucketSizes[c.bucket]!)]))
      this.outputSets = [set(), set()]
    }
    const arrays = this.outputSets[this.nextOutputSet]!
    const checking = this.preallocated === null
    const fetches: Record<string, Ort.Tensor | null> = { [LOSSES]: null, [CORRECTS]: null }
    for (const [name, values] of arrays) {
      if (checking && values.length > 0) new Uint32Array(values.buffer, 0, 1)[0] = UNWRITTEN
      fetches[name] = new this.ort.Tensor('float32', values, [values.length])
    }
    let outputs: Ort.InferenceSession.OnnxValueMapType
    try {
      outputs = await this.update.run(feeds, fetches)
    } catch (error) {
      // A build that refuses pre-allocated outputs altogether: the usual way reports any real failure.
      if (!checking) throw error
      this.preallocated = false
      this.outputSets = []
      return null
    }
    if (checking) {
      const written = (values: Float32Array) => values.length === 0 || new Uint32Array(values.buffer, 0, 1)[0] !== UNWRITTEN
      this.preallocated = [...arrays].every(([name, values]) => outputs[name]!.data === values && written(values))
      if (!this.preallocated) {
        this.outputSets = []
        return null
      }
    }
    this.nextOutputSet = 1 - this.nextOutputSet
    return outputs
  }

  private async runOne(batch: Batch, lr: number, stepNumber: number): Promise<StepResult> {
    const microBatches = this.step.batchSize / this.step.microBatch
    const shapes = this.rowShapes
    const values = this.rowValues(batch, stepNumber)
    const rows = (i: number): Feeds =>
      Object.fromEntries(
        [...shapes].map(([name, shape]) => {
          const length = numel(shape)
          return [name, new this.ort.Tensor('float32', values.get(name)!.subarray(i * length, (i + 1) * length), shape)]
        }),
      )
    let lossSum = 0
    let correct = 0
    let sums: Feeds = {}
    if (this.accumulate !== null) {
      sums = Object.fromEntries(this.step.gradSums.map((s, b) => [s.input, new this.ort.Tensor('float32', new Float32Array(this.step.layout.bucketSizes[b]!), [this.step.layout.bucketSizes[b]!])]))
      for (let i = 0; i < microBatches - 1; i++) {
        const outputs = await this.accumulate.run({ ...rows(i), ...this.paramFeeds(), ...sums })
        disposeAll(sums)
        sums = Object.fromEntries(this.step.gradSums.map((s) => [s.input, outputs[s.output]!]))
        lossSum += scalar(outputs.loss!)
        correct += scalar(outputs.correct!)
      }
    }
    const feeds: Feeds = { ...rows(microBatches - 1), ...sums, lr: new this.ort.Tensor('float32', new Float32Array([lr]), []) }
    // SGD never reads the step count, so the exported graph has no such input.
    if (this.update.inputNames.includes('step')) feeds.step = new this.ort.Tensor('float32', new Float32Array([stepNumber]), [])
    for (const [name, tensor] of this.carried) feeds[name] = tensor
    const outputs = await this.update.run(feeds)
    disposeAll(sums)
    const previous = this.carried
    this.carried = new Map(this.step.carried.map((c) => [c.input, outputs[c.output]!]))
    for (const tensor of previous.values()) tensor.dispose()
    return { loss: (lossSum + scalar(outputs.loss!)) / microBatches, correct: correct + scalar(outputs.correct!) }
  }

  /**
   * Copies parameters (and optionally state) back to the CPU: the only large download, once per unit. Always
   * copies: on wasm the carried arrays are written again two runs later.
   */
  async read(includeState = false): Promise<{ params: Map<string, Float32Array>; state: Map<string, Float32Array> }> {
    const buckets: Float32Array[] = []
    const state = new Map<string, Float32Array>()
    for (const c of this.step.carried) {
      if (c.slot !== null && !includeState) continue
      const data = (await this.carried.get(c.input)!.getData()) as Float32Array
      // unpackFlat copies each parameter out of its bucket; state is kept whole, so it is copied here.
      if (c.slot === null) buckets[c.bucket] = data
      else state.set(c.input, Float32Array.from(data))
    }
    return { params: unpackFlat(this.step.layout, buckets), state }
  }

  async release(): Promise<void> {
    this.releaseCarried()
    await this.update.release()
    await this.accumulate?.release()
  }

  private paramFeeds(): Feeds {
    return Object.fromEntries(this.step.layout.bucketSizes.map((_, b) => [bucketName(PARAMS, b), this.carried.get(bucketName(PARAMS, b))!]))
  }

  private releaseCarried(): void {
    for (const tensor of this.carried.values()) tensor.dispose()
    this.carried.clear()
  }
}

/** The most bytes of row inputs one stacked run stages (with dropout masks, a few steps of a large model). */
const STACK_BYTES = 32 * 2 ** 20

/** A NaN payload no float computation produces: an output array still holding it was not written by the run. */
const UNWRITTEN = 0x7fa5_5a5a

function scalar(tensor: Ort.Tensor): number {
  return (tensor.data as Float32Array)[0]!
}

function disposeAll(feeds: Feeds): void {
  for (const tensor of Object.values(feeds)) tensor.dispose()
}
