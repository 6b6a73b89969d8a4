// The one schema for messages between the page and the compute worker. Requests carry an id; replies and
// progress events echo it. Anything that does not decode is rejected with an error naming the field.
import { DecodeError } from '../errors.ts'
import { asObject, readBoolean, readInteger, readNumber, readString } from '../schema.ts'
import type { DeviceReport } from './device-report.ts'
import type { ExecutionBackend } from './train-session.ts'
import { decodeModelRecipe, recipeModel, type ModelRecipe } from '../graph/model-recipe.ts'
import { decodeTask, taskInput, taskOutputs, type TaskSpec } from '../data/task.ts'
import { makeBlock, type TaskBlock } from '../data/task-block.ts'
import type { LrScale } from '../graph/train-step.ts'
import type { StageCheckResult } from './stage-check.ts'
export const OPTIMIZERS = ['adamw', 'sgd'] as const
export type OptimizerName = (typeof OPTIMIZERS)[number]

export interface TrainSpec {
  /** The model to build (a zoo model's recipe, or the job's own). */
  model: ModelRecipe
  batchSize: number
  optimizer: OptimizerName
  /** Parameter initialisation seed, used when no parameters are supplied. */
  seed: number
  /** Fine-tuning: the kept body's learning-rate scale (train-step.ts); absent, every layer at the full rate. */
  lrScale?: LrScale
}

export interface BatchMessage {
  x: Float32Array
  y: Float32Array
}

/** How one worker runs a job's steps: the engine, its wasm threads and the rows per engine run. */
export interface EngineSetting {
  backend: ExecutionBackend
  wasmThreads: number
  /** Rows per engine run (gradients accumulate over the batch); null runs the whole batch at once. */
  microBatch: number | null
}

/** Throughput of one micro-batch candidate, or why it could not run (e.g. out of memory). */
export interface CalibrationResult {
  microBatch: number
  samplesPerSecond: number | null
  error: string | null
}

/** Most micro-batch candidates one calibration request may ask for. */
export const MAX_CALIBRATION_CANDIDATES = 8

export type ToWorker =
  | { type: 'probe'; id: number }
  /**
   * Before any job is known: loads the backend's ORT build with these threads and runs one throwaway step of a
   * small model, so the engine's start-up is paid while the volunteer is still looking for a job.
   */
  | { type: 'warm'; id: number; backend: ExecutionBackend; wasmThreads: number }
  | ({ type: 'init'; id: number; spec: TrainSpec; params: Record<string, Float32Array> | null } & EngineSetting)
  /** Times a few steps of each micro-batch candidate on synthetic data; the loaded model is untouched. */
  | { type: 'calibrate'; id: number; spec: TrainSpec; backend: ExecutionBackend; wasmThreads: number; microBatches: number[] }
  | { type: 'train'; id: number; batches: BatchMessage[]; lr: number; firstStep: number }
  | { type: 'read-params'; id: number }
  /**
   * Replaces the parameters without recompiling: a new DiLoCo unit zeroes the optimiser state, a referee
   * moving to a volunteer's checkpoint keeps it (`keepState`).
   */
  | { type: 'load-params'; id: number; params: Record<string, Float32Array>; keepState: boolean }
  /** Held-out metrics of `params` on a task's samples (a coordinator scoring each new version). */
  | { type: 'evaluate'; id: number; model: ModelRecipe; params: Record<string, Float32Array>; task: TaskSpec; block: TaskBlock; wasmThreads: number }
  /** The model's outputs for a few encoded inputs (the use page). */
  | { type: 'predict'; id: number; model: ModelRecipe; params: Record<string, Float32Array>; x: Float32Array; rows: number; wasmThreads: number }
  /** Text a language model writes after `prompt` (a text job's sample on the dashboard). */
  | { type: 'generate'; id: number; model: ModelRecipe; params: Record<string, Float32Array>; prompt: Uint16Array; length: number; temperature: number; seed: number; wasmThreads: number }
  | { type: 'throttle'; id: number; dutyCycle: number; paused: boolean }
  | { type: 'dispose'; id: number }
  /** A model split into stages against the unsplit model on `backend` (compute/stage-check.ts). */
  | { type: 'check-stages'; id: number; backend: ExecutionBackend; wasmThreads: number }
  /** A pipeline stage's engine (stage-engine.ts) for layers [from, to) at `rows` samples, kept under `handle`. */
  | { type: 'stage-open'; id: number; handle: number; model: ModelRecipe; from: number; to: number; rows: number; backend: ExecutionBackend; wasmThreads: number }
  /** One pass of an open stage: forward (activation → output) or backward (and the output's gradient). */
  /** `params` null: the ones the handle's last run was given (the page sends them only when they change). */
  | { type: 'stage-run'; id: number; handle: number; pass: 'forward' | 'backward'; params: Record<string, Float32Array> | null; activation: Float32Array; gradOut: Float32Array | null }
  /** A staged job's loss head (shard.ts buildLossHead) for `rows` samples, kept under `handle` (closed by stage-close). */
  | { type: 'head-open'; id: number; handle: number; model: ModelRecipe; rows: number; backend: ExecutionBackend; wasmThreads: number }
  /** The loss of the model's `output` for targets `y`, and its gradient. */
  | { type: 'head-run'; id: number; handle: number; output: Float32Array; y: Float32Array }
  | { type: 'stage-close'; id: number; handle: number }

export interface RunSummary {
  losses: number[]
  corrects: number[]
  samples: number
  elapsedMs: number
  samplesPerSecond: number
  gflopsPerSecond: number
  backend: ExecutionBackend
}

export type FromWorker =
  | { type: 'probe-result'; id: number; report: DeviceReport }
  /** `firstStepMs`: the throwaway step init takes before the first unit (null if it failed: the first real run reports why). */
  | { type: 'ready'; id: number; backend: ExecutionBackend; wasmThreads: number; microBatch: number; compileMs: number; firstStepMs: number | null; flopsPerStep: number; parameters: number }
  | { type: 'calibrated'; id: number; backend: ExecutionBackend; wasmThreads: number; results: CalibrationResult[] }
  | { type: 'progress'; id: number; step: number; loss: number; correct: number; samplesPerSecond: number }
  | { type: 'fallback'; id: number; from: ExecutionBackend; to: ExecutionBackend; reason: string }
  /** `spent`: the run's batches handed back (their buffers transferred), for the page to refill. */
  | { type: 'trained'; id: number; summary: RunSummary; spent: BatchMessage[] }
  | { type: 'params'; id: number; params: Record<string, Float32Array> }
  | { type: 'ok'; id: number }
  | { type: 'evaluated'; id: number; accuracy: number; loss: number; predictions: Uint8Array }
  | { type: 'generated'; id: number; tokens: Uint16Array }
  | { type: 'predicted'; id: number; outputs: Float32Array }
  | { type: 'stages-checked'; id: number; backend: ExecutionBackend; results: StageCheckResult[] }
  /** forward: `output` is the activation out; backward: the input's gradient (null for a first stage) and `grads`. */
  | { type: 'stage-ran'; id: number; output: Float32Array | null; grads: Record<string, Float32Array> | null }
  | { type: 'head-ran'; id: number; loss: number; grad: Float32Array }
  | { type: 'error'; id: number; code: string; message: string }

const WHAT_IN = 'message to the compute worker'
const WHAT_OUT = 'message from the compute worker'
export const MAX_BATCHES_PER_RUN = 4096
/** Longest prompt, and most tokens one request writes. */
export const MAX_PROMPT_TOKENS = 4096

function readFloat32(value: unknown, what: string): Float32Array {
  if (!(value instanceof Float32Array)) throw new DecodeError(WHAT_IN, `${what} must be a Float32Array`)
  return value
}

function readEnum<T extends string>(obj: Record<string, unknown>, key: string, allowed: readonly T[], what: string): T {
  const value = readString(obj, key, what, 32)
  if (!(allowed as readonly string[]).includes(value)) throw new DecodeError(what, `"${key}" must be one of ${allowed.join(', ')}, got "${value}"`)
  return value as T
}

function readParamRecord(value: unknown): Record<string, Float32Array> | null {
  if (value === null) return null
  const obj = asObject(value, `${WHAT_IN} params`)
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, readFloat32(v, `params["${k}"]`)]))
}

function readSpec(value: unknown): TrainSpec {
  const spec = asObject(value, `${WHAT_IN} spec`)
  return {
    model: decodeModelRecipe(spec.model),
    batchSize: readInteger(spec, 'batchSize', WHAT_IN, 1, 4096),
    optimizer: readEnum(spec, 'optimizer', OPTIMIZERS, WHAT_IN),
    seed: readInteger(spec, 'seed', WHAT_IN),
    ...(spec.lrScale === undefined ? {} : { lrScale: readLrScale(spec.lrScale) }),
  }
}

function readLrScale(value: unknown): LrScale {
  const obj = asObject(value, `${WHAT_IN} spec.lrScale`)
  return { bodyLayers: readInteger(obj, 'bodyLayers', WHAT_IN, 0, 1 << 16), bodyScale: readNumber(obj, 'bodyScale', WHAT_IN, 0, 1) }
}

/** A task's samples as typed arrays; the block's values are checked against the task as a peer's would be. */
function readBlock(value: unknown, task: TaskSpec): TaskBlock {
  const block = asObject(value, `${WHAT_IN} block`)
  const y = block.y === null ? null : block.y
  if (!(block.x instanceof Uint8Array || block.x instanceof Uint16Array || block.x instanceof Float32Array)) throw new DecodeError(WHAT_IN, '"block.x" must be a typed array of the task\'s inputs')
  if (!(y === null || y instanceof Uint8Array || y instanceof Float32Array)) throw new DecodeError(WHAT_IN, '"block.y" must be null or a typed array of labels')
  try {
    return makeBlock(task, block.x, y)
  } catch (error) {
    throw new DecodeError(WHAT_IN, `"block": ${error instanceof Error ? error.message : String(error)}`)
  }
}

const readBackend = (obj: Record<string, unknown>) => readEnum(obj, 'backend', ['webgpu', 'wasm'] as const, WHAT_IN)
const readThreads = (obj: Record<string, unknown>) => readInteger(obj, 'wasmThreads', WHAT_IN, 1, 64)

/** A micro-batch must split the batch into equal parts, so every part weighs the same in the mean gradient. */
function readMicroBatch(value: unknown, batchSize: number, key: string): number {
  const microBatch = readInteger({ [key]: value }, key, WHAT_IN, 1, batchSize)
  if (batchSize % microBatch !== 0) throw new DecodeError(WHAT_IN, `"${key}" (${microBatch}) must divide the batch size ${batchSize}`)
  return microBatch
}

export function decodeToWorker(data: unknown): ToWorker {
  const obj = asObject(data, WHAT_IN)
  const type = readString(obj, 'type', WHAT_IN, 32)
  const id = readInteger(obj, 'id', WHAT_IN)
  switch (type) {
    case 'probe':
    case 'read-params':
    case 'dispose':
      return { type, id }
    case 'warm':
      return { type, id, backend: readBackend(obj), wasmThreads: readThreads(obj) }
    case 'init': {
      const spec = readSpec(obj.spec)
      const microBatch = obj.microBatch === null ? null : readMicroBatch(obj.microBatch, spec.batchSize, 'microBatch')
      return { type, id, spec, backend: readBackend(obj), wasmThreads: readThreads(obj), microBatch, params: readParamRecord(obj.params) }
    }
    case 'calibrate': {
      const spec = readSpec(obj.spec)
      if (!Array.isArray(obj.microBatches) || obj.microBatches.length === 0 || obj.microBatches.length > MAX_CALIBRATION_CANDIDATES) {
        throw new DecodeError(WHAT_IN, `"microBatches" must be an array of 1 to ${MAX_CALIBRATION_CANDIDATES} candidates`)
      }
      const microBatches = obj.microBatches.map((m: unknown, i: number) => readMicroBatch(m, spec.batchSize, `microBatches[${i}]`))
      return { type, id, spec, backend: readBackend(obj), wasmThreads: readThreads(obj), microBatches }
    }
    case 'train': {
      if (!Array.isArray(obj.batches) || obj.batches.length === 0 || obj.batches.length > MAX_BATCHES_PER_RUN) throw new DecodeError(WHAT_IN, `"batches" must be an array of 1 to ${MAX_BATCHES_PER_RUN} batches`)
      const batches = obj.batches.map((b: unknown, i: number) => {
        const batch = asObject(b, `${WHAT_IN} batches[${i}]`)
        return { x: readFloat32(batch.x, `batches[${i}].x`), y: readFloat32(batch.y, `batches[${i}].y`) }
      })
      return { type, id, batches, lr: readNumber(obj, 'lr', WHAT_IN, 0, 10), firstStep: readInteger(obj, 'firstStep', WHAT_IN, 1) }
    }
    case 'load-params': {
      const params = readParamRecord(obj.params)
      if (params === null) throw new DecodeError(WHAT_IN, '"params" must be an object of Float32Arrays')
      return { type, id, params, keepState: obj.keepState === undefined ? false : readBoolean(obj, 'keepState', WHAT_IN) }
    }
    case 'evaluate': {
      const params = readParamRecord(obj.params)
      if (params === null) throw new DecodeError(WHAT_IN, '"params" must be an object of Float32Arrays')
      const model = decodeModelRecipe(obj.model)
      const task = decodeTask(obj.task)
      const expected = { input: taskInput(task), ...taskOutputs(task) }
      if (JSON.stringify([model.input, model.outputs, model.objective]) !== JSON.stringify([expected.input, expected.outputs, expected.objective])) throw new DecodeError(WHAT_IN, 'the model does not read or predict what the task\'s samples are')
      return { type, id, model, params, task, block: readBlock(obj.block, task), wasmThreads: readThreads(obj) }
    }
    case 'predict': {
      const params = readParamRecord(obj.params)
      if (params === null) throw new DecodeError(WHAT_IN, '"params" must be an object of Float32Arrays')
      const model = decodeModelRecipe(obj.model)
      const rows = readInteger(obj, 'rows', WHAT_IN, 1, MAX_PROMPT_TOKENS)
      const x = readFloat32(obj.x, '"x"')
      const width = recipeModel(model).inputShape.reduce((a, b) => a * b, 1)
      if (x.length !== rows * width) throw new DecodeError(WHAT_IN, `"x" must hold ${rows} samples of ${width} values`)
      return { type, id, model, params, x, rows, wasmThreads: readThreads(obj) }
    }
    case 'generate': {
      const params = readParamRecord(obj.params)
      if (params === null) throw new DecodeError(WHAT_IN, '"params" must be an object of Float32Arrays')
      const model = decodeModelRecipe(obj.model)
      if (model.input.kind !== 'tokens') throw new DecodeError(WHAT_IN, 'only a language model writes text')
      const prompt = obj.prompt
      if (!(prompt instanceof Uint16Array) || prompt.length < model.input.context || prompt.length > MAX_PROMPT_TOKENS) throw new DecodeError(WHAT_IN, `"prompt" must be a Uint16Array of the model's ${model.input.context} to ${MAX_PROMPT_TOKENS} tokens`)
      return { type, id, model, params, prompt, length: readInteger(obj, 'length', WHAT_IN, 1, MAX_PROMPT_TOKENS), temperature: readNumber(obj, 'temperature', WHAT_IN, 0, 10), seed: readInteger(obj, 'seed', WHAT_IN, 0, 0xffffffff), wasmThreads: readThreads(obj) }
    }
    case 'throttle':
      return { type, id, dutyCycle: readNumber(obj, 'dutyCycle', WHAT_IN, 0.05, 1), paused: readBoolean(obj, 'paused', WHAT_IN) }
    case 'check-stages':
      return { type, id, backend: readBackend(obj), wasmThreads: readThreads(obj) }
    case 'stage-open': {
      const model = decodeModelRecipe(obj.model)
      const layers = recipeModel(model).layers.length
      const from = readInteger(obj, 'from', WHAT_IN, 0, layers - 1)
      return { type, id, handle: readInteger(obj, 'handle', WHAT_IN), model, from, to: readInteger(obj, 'to', WHAT_IN, from + 1, layers), rows: readInteger(obj, 'rows', WHAT_IN, 1, 4096), backend: readBackend(obj), wasmThreads: readThreads(obj) }
    }
    case 'stage-run': {
      const params = readParamRecord(obj.params)
      const pass = readEnum(obj, 'pass', ['forward', 'backward'] as const, WHAT_IN)
      const gradOut = pass === 'backward' ? readFloat32(obj.gradOut, '"gradOut"') : null
      return { type, id, handle: readInteger(obj, 'handle', WHAT_IN), pass, params, activation: readFloat32(obj.activation, '"activation"'), gradOut }
    }
    case 'head-open':
      return { type, id, handle: readInteger(obj, 'handle', WHAT_IN), model: decodeModelRecipe(obj.model), rows: readInteger(obj, 'rows', WHAT_IN, 1, 4096), backend: readBackend(obj), wasmThreads: readThreads(obj) }
    case 'head-run':
      return { type, id, handle: readInteger(obj, 'handle', WHAT_IN), output: readFloat32(obj.output, '"output"'), y: readFloat32(obj.y, '"y"') }
    case 'stage-close':
      return { type, id, handle: readInteger(obj, 'handle', WHAT_IN) }
    default:
      throw new DecodeError(WHAT_IN, `unknown message type "${type}"`)
  }
}

const OUT_TYPES = ['probe-result', 'ready', 'calibrated', 'progress', 'fallback', 'trained', 'params', 'ok', 'evaluated', 'generated', 'predicted', 'stages-checked', 'stage-ran', 'head-ran', 'error'] as const

/** Replies come from our own worker bundle; checking the envelope catches version skew and bugs early. */
export function decodeFromWorker(data: unknown): FromWorker {
  const obj = asObject(data, WHAT_OUT)
  const type = readString(obj, 'type', WHAT_OUT, 32)
  readInteger(obj, 'id', WHAT_OUT)
  if (!(OUT_TYPES as readonly string[]).includes(type)) throw new DecodeError(WHAT_OUT, `unknown message type "${type}"`)
  if (type === 'probe-result') {
    const report = asObject(obj.report, `${WHAT_OUT} report`)
    asObject(report.webgpu, `${WHAT_OUT} report.webgpu`)
    asObject(report.wasm, `${WHAT_OUT} report.wasm`)
  }
  if (type === 'error') {
    readString(obj, 'code', WHAT_OUT, 64)
    readString(obj, 'message', WHAT_OUT, 4096)
  }
  if (type === 'predicted' && !(obj.outputs instanceof Float32Array)) throw new DecodeError(WHAT_OUT, '"outputs" must be a Float32Array')
  if (type === 'generated' && !(obj.tokens instanceof Uint16Array)) throw new DecodeError(WHAT_OUT, '"tokens" must be a Uint16Array')
  if (type === 'stage-ran') {
    if (!(obj.output === null || obj.output instanceof Float32Array)) throw new DecodeError(WHAT_OUT, '"output" must be a Float32Array or null')
    if (!(obj.grads === null || (typeof obj.grads === 'object' && Object.values(obj.grads as object).every((g) => g instanceof Float32Array)))) throw new DecodeError(WHAT_OUT, '"grads" must be null or an object of Float32Arrays')
  }
  if (type === 'head-ran') {
    if (typeof obj.loss !== 'number') throw new DecodeError(WHAT_OUT, '"loss" must be a number')
    if (!(obj.grad instanceof Float32Array)) throw new DecodeError(WHAT_OUT, '"grad" must be a Float32Array')
  }
  if (type === 'stages-checked') {
    readEnum(obj, 'backend', ['webgpu', 'wasm'] as const, WHAT_OUT)
    const isRange = (r: unknown) => Array.isArray(r) && r.length === 2 && r.every((n) => Number.isInteger(n))
    const fine = Array.isArray(obj.results) && obj.results.every((r) => {
      const result = r as StageCheckResult
      return typeof r === 'object' && r !== null && typeof result.stages === 'number' && typeof result.maxRelative === 'number' && typeof result.lossRelative === 'number' && typeof result.worstParam === 'string' && Array.isArray(result.ranges) && result.ranges.every(isRange)
    })
    if (!fine) throw new DecodeError(WHAT_OUT, '"results" must be an array of stage check results')
  }
  if (type === 'trained') {
    const spent = obj.spent
    const fine = Array.isArray(spent) && spent.every((b) => typeof b === 'object' && b !== null && (b as BatchMessage).x instanceof Float32Array && (b as BatchMessage).y instanceof Float32Array)
    if (!fine) throw new DecodeError(WHAT_OUT, '"spent" must be an array of batches of Float32Arrays')
  }
  return obj as unknown as FromWorker
}
