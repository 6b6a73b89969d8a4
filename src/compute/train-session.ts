// Runs a generated train-step graph with onnxruntime-web, keeping parameters and optimiser state resident
// (GPU buffers on WebGPU) by feeding each step's ":next" outputs back as the next step's inputs. Only the
// batch goes in and the scalar loss and correct count come out per step. ORT is injected so the same code
// runs in the worker (WebGPU or wasm) and in Node (wasm) for tests and scripts.
import type * as Ort from 'onnxruntime-web'
import type { TrainStep } from '../graph/train-step.ts'
import { TesseraeError } from '../errors.ts'
import { formatShape, numel } from '../graph/shape.ts'

export type OrtModule = typeof Ort
export type ExecutionBackend = 'webgpu' | 'wasm'

export interface Batch {
  x: Float32Array
  y: Float32Array
}

export interface StepResult {
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

export class TrainSession {
  readonly backend: ExecutionBackend
  private readonly ort: OrtModule
  private readonly session: Ort.InferenceSession
  private readonly step: TrainStep
  private readonly xShape: number[]
  private readonly yShape: number[]
  private carried = new Map<string, Ort.Tensor>()

  private constructor(ort: OrtModule, session: Ort.InferenceSession, step: TrainStep, backend: ExecutionBackend) {
    this.ort = ort
    this.session = session
    this.step = step
    this.backend = backend
    const inputs = new Map(step.graph.inputsOfKind('input').map(({ name, value }) => [name, value.shape]))
    this.xShape = [...inputs.get('x')!]
    this.yShape = [...inputs.get('y')!]
  }

  static async create(ort: OrtModule, step: TrainStep, onnx: Uint8Array, options: SessionOptions): Promise<TrainSession> {
    const session = await createOrtSession(ort, onnx, { ...options, gpuOutputs: step.carried.map((c) => c.output) })
    return new TrainSession(ort, session, step, options.backend)
  }

  /** Loads parameters and optimiser state (missing state slots start at zero). */
  load(params: ReadonlyMap<string, Float32Array>, state: ReadonlyMap<string, Float32Array> = new Map()): void {
    this.releaseCarried()
    const shapes = new Map([...this.step.graph.inputsOfKind('input'), ...this.step.graph.inputsOfKind('param')].map(({ name, value }) => [name, value.shape]))
    for (const c of this.step.carried) {
      const shape = shapes.get(c.input)!
      const values = c.slot === null ? params.get(c.param) : (state.get(c.input) ?? new Float32Array(numel(shape)))
      if (values === undefined) throw new TesseraeError('MISSING_PARAM', `no value for parameter "${c.param}"`)
      if (values.length !== numel(shape)) throw new TesseraeError('SHAPE_MISMATCH', `"${c.input}" needs ${numel(shape)} values for ${formatShape(shape)}, got ${values.length}`)
      this.carried.set(c.input, new this.ort.Tensor('float32', values, [...shape]))
    }
  }

  /** One optimiser step on one batch; `stepNumber` is 1-based (AdamW bias correction). */
  async run(batch: Batch, lr: number, stepNumber: number): Promise<StepResult> {
    const xLen = numel(this.xShape)
    const yLen = numel(this.yShape)
    if (batch.x.length !== xLen) throw new TesseraeError('SHAPE_MISMATCH', `batch x has ${batch.x.length} values, the step expects ${formatShape(this.xShape)} = ${xLen}`)
    if (batch.y.length !== yLen) throw new TesseraeError('SHAPE_MISMATCH', `batch y has ${batch.y.length} values, the step expects ${formatShape(this.yShape)} = ${yLen}`)
    if (this.carried.size === 0) throw new TesseraeError('NOT_LOADED', 'load() parameters before running steps')
    const feeds: Record<string, Ort.Tensor> = {
      x: new this.ort.Tensor('float32', batch.x, this.xShape),
      y: new this.ort.Tensor('float32', batch.y, this.yShape),
      lr: new this.ort.Tensor('float32', new Float32Array([lr]), []),
    }
    // SGD never reads the step count, so the exported graph has no such input.
    if (this.session.inputNames.includes('step')) feeds.step = new this.ort.Tensor('float32', new Float32Array([stepNumber]), [])
    for (const [name, tensor] of this.carried) feeds[name] = tensor
    const outputs = await this.session.run(feeds)
    const previous = this.carried
    this.carried = new Map(this.step.carried.map((c) => [c.input, outputs[c.output]!]))
    for (const tensor of previous.values()) tensor.dispose()
    return { loss: (outputs.loss!.data as Float32Array)[0]!, correct: (outputs.correct!.data as Float32Array)[0]! }
  }

  /** Copies parameters (and optionally state) back to the CPU: the only large download, once per unit. */
  async read(includeState = false): Promise<{ params: Map<string, Float32Array>; state: Map<string, Float32Array> }> {
    const params = new Map<string, Float32Array>()
    const state = new Map<string, Float32Array>()
    for (const c of this.step.carried) {
      if (c.slot !== null && !includeState) continue
      const data = (await this.carried.get(c.input)!.getData()) as Float32Array
      ;(c.slot === null ? params : state).set(c.slot === null ? c.param : c.input, Float32Array.from(data))
    }
    return { params, state }
  }

  async release(): Promise<void> {
    this.releaseCarried()
    await this.session.release()
  }

  private releaseCarried(): void {
    for (const tensor of this.carried.values()) tensor.dispose()
    this.carried.clear()
  }
}
