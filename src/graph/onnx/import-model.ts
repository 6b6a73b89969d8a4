// Reads back a model file Tesserae exported (export-model.ts), so a researcher can start a new job from it: the
// recipe, task, provenance and parameters, each checked, or an error naming the file and why it cannot seed one.
import { concatBytes } from '../../bytes.ts'
import { errorMessage, TesseraeError } from '../../errors.ts'
import { DataFormatError } from '../../data/errors.ts'
import { decodeTask, taskInput, taskOutputs, type TaskSpec } from '../../data/task.ts'
import { decodeModelRecipe, isZooName, recipeModel, ZOO_NAMES, ZOO_RECIPES, type ModelRecipe } from '../model-recipe.ts'
import { paramsOf } from '../model.ts'
import { numel } from '../shape.ts'
import { PARAM_PREFIX } from '../train-step.ts'
import { EXPORT_METADATA } from '../export-model.ts'
import { ONNX_FLOAT } from './export.ts'
import { ProtoReader, WIRE_TYPE } from './protobuf-reader.ts'

/**
 * The largest file read, checked before any parsing. A model whose parameters alone came near it could not
 * train in a phone's tab (PHONE_TAB_BYTES, 256 MiB for parameters, optimiser state and activations together).
 */
export const MODEL_FILE_MAX_BYTES = 256 * 2 ** 20

/** ONNX field numbers (onnx.proto) that export.ts writes and this reader needs. */
export const ONNX_FIELDS = {
  model: { irVersion: 1, producerName: 2, graph: 7, metadataProps: 14 },
  graph: { initializer: 5 },
  tensor: { dims: 1, dataType: 2, floatData: 4, name: 8, rawData: 9 },
  stringEntry: { key: 1, value: 2 },
} as const

/** Every ONNX writer puts ModelProto.ir_version first: field 1 as a varint is the tag byte 0x08. */
const ONNX_FIRST_BYTE = (ONNX_FIELDS.model.irVersion << 3) | WIRE_TYPE.varint

const TESSERAE_PREFIX = 'tesserae.'
const METADATA = EXPORT_METADATA

export type ModelFileErrorCode =
  /** Over MODEL_FILE_MAX_BYTES. */
  | 'MODEL_FILE_TOO_LARGE'
  /** Not an ONNX model at all. */
  | 'NOT_ONNX'
  /** An ONNX model, but with no tesserae.* metadata: another tool made it. */
  | 'NOT_TESSERAE_EXPORT'
  /** Exported before files carried their recipe, from a model that is not in the zoo. */
  | 'MODEL_RECIPE_MISSING'

/** The file is readable but cannot seed a job, for a reason the UI words by its code. */
export class ModelFileError extends TesseraeError {
  declare readonly code: ModelFileErrorCode
  readonly fileName: string

  constructor(code: ModelFileErrorCode, fileName: string, problem: string) {
    super(code, `${fileName} ${problem}`)
    this.name = 'ModelFileError'
    this.fileName = fileName
  }
}

export interface ExportedModel {
  recipe: ModelRecipe
  /** Null for a file exported before files carried their task. */
  task: TaskSpec | null
  job: { id: string; name: string; version: number }
  /** Every parameter of the recipe's model, by name (paramsOf), with exactly its element count. */
  params: Map<string, Float32Array>
}

/**
 * Reads a model file Tesserae exported. Throws ModelFileError (see its codes) for a file that is too large, not
 * ONNX, or not Tesserae's, and DataFormatError for one that is damaged, cut short, or does not hold the finite
 * float32 parameters its recipe needs.
 */
export function readExportedModel(bytes: Uint8Array, fileName: string): ExportedModel {
  if (bytes.length > MODEL_FILE_MAX_BYTES) throw new ModelFileError('MODEL_FILE_TOO_LARGE', fileName, `is ${mib(bytes.length)}; a model file to train from is at most ${mib(MODEL_FILE_MAX_BYTES)}`)
  if (bytes[0] !== ONNX_FIRST_BYTE) throw new ModelFileError('NOT_ONNX', fileName, 'is not an ONNX model file (it does not begin as one does)')
  const onnx = readOnnx(bytes, fileName)
  const meta = onnx.metadata
  if (![...meta.keys()].some((key) => key.startsWith(TESSERAE_PREFIX))) {
    const by = onnx.producer ? ` made by "${onnx.producer}"` : ''
    throw new ModelFileError('NOT_TESSERAE_EXPORT', fileName, `is an ONNX model${by}, but not one Tesserae exported (its metadata has no ${TESSERAE_PREFIX}* entries), so it carries no recipe to train it with`)
  }
  const required = (key: string): string => {
    const value = meta.get(key)
    if (value === undefined) throw new DataFormatError(fileName, `has no "${key}" in its metadata`)
    return value
  }
  const job = { id: required(METADATA.job), name: required(METADATA.jobName), version: Number(required(METADATA.version)) }
  if (job.id === '') throw new DataFormatError(fileName, `has an empty "${METADATA.job}"`)
  const versionText = meta.get(METADATA.version)!
  if (!/^\d+$/.test(versionText) || !Number.isSafeInteger(job.version)) throw new DataFormatError(fileName, `has "${METADATA.version}" ${JSON.stringify(versionText)}, not a version number`)

  const { recipe, zooFallback } = readRecipe(meta, fileName)
  const task = meta.has(METADATA.task) ? readJson(meta, METADATA.task, decodeTask, fileName) : null
  if (task) checkTaskFits(task, recipe, fileName)
  return { recipe, task, job, params: readParams(onnx.params, recipe, zooFallback, fileName) }
}

interface Tensor {
  dims: number[]
  dataType: number
  raw: Uint8Array | null
  floatData: Uint8Array[]
}

interface OnnxContents {
  producer: string
  metadata: Map<string, string>
  /** The initializers named as parameters (PARAM_PREFIX), by parameter name; other initializers are skipped. */
  params: Map<string, Tensor>
}

function readOnnx(bytes: Uint8Array, fileName: string): OnnxContents {
  const contents: OnnxContents = { producer: '', metadata: new Map(), params: new Map() }
  let hasGraph = false
  const F = ONNX_FIELDS.model
  for (const model = new ProtoReader(bytes, fileName); !model.done; ) {
    const tag = model.tag()
    if (tag.field === F.producerName) contents.producer = model.string(tag, 'the producer name')
    else if (tag.field === F.graph) {
      // A repeated message field merges (protobuf's rule): a second graph adds its initializers.
      hasGraph = true
      readGraph(model.message(tag, 'the graph'), contents.params)
    } else if (tag.field === F.metadataProps) {
      const { key, value } = readEntry(model.message(tag, 'a metadata entry'))
      if (contents.metadata.has(key)) model.fail(`the metadata names "${key}" twice`, tag.at)
      contents.metadata.set(key, value)
    } else model.skip(tag)
  }
  if (!hasGraph) throw new ModelFileError('NOT_ONNX', fileName, 'is not an ONNX model file (it holds no graph)')
  return contents
}

function readGraph(graph: ProtoReader, params: Map<string, Tensor>): void {
  while (!graph.done) {
    const tag = graph.tag()
    if (tag.field !== ONNX_FIELDS.graph.initializer) {
      graph.skip(tag)
      continue
    }
    const { name, tensor } = readTensor(graph.message(tag, 'an initializer'))
    if (!name.startsWith(PARAM_PREFIX)) continue
    const param = name.slice(PARAM_PREFIX.length)
    if (params.has(param)) graph.fail(`parameter "${param}" is stored twice`, tag.at)
    params.set(param, tensor)
  }
}

function readTensor(reader: ProtoReader): { name: string; tensor: Tensor } {
  const F = ONNX_FIELDS.tensor
  let name = ''
  const tensor: Tensor = { dims: [], dataType: 0, raw: null, floatData: [] }
  while (!reader.done) {
    const tag = reader.tag()
    if (tag.field === F.dims) tensor.dims.push(...reader.packedUints(tag, 'a tensor\'s dims'))
    else if (tag.field === F.dataType) tensor.dataType = reader.uint(tag, 'a tensor\'s data type')
    else if (tag.field === F.floatData) tensor.floatData.push(reader.packedFixed32(tag, 'a tensor\'s float data'))
    else if (tag.field === F.name) name = reader.string(tag, 'a tensor\'s name')
    else if (tag.field === F.rawData) tensor.raw = reader.bytesField(tag, 'a tensor\'s raw data')
    else reader.skip(tag)
  }
  return { name, tensor }
}

function readEntry(reader: ProtoReader): { key: string; value: string } {
  const F = ONNX_FIELDS.stringEntry
  const entry = { key: '', value: '' }
  while (!reader.done) {
    const tag = reader.tag()
    if (tag.field === F.key) entry.key = reader.string(tag, 'a metadata key')
    else if (tag.field === F.value) entry.value = reader.string(tag, 'a metadata value')
    else reader.skip(tag)
  }
  return entry
}

function readJson<T>(meta: ReadonlyMap<string, string>, key: string, decode: (value: unknown) => T, fileName: string): T {
  let value: unknown
  try {
    value = JSON.parse(meta.get(key)!)
  } catch (error) {
    throw new DataFormatError(fileName, `has a "${key}" that is not JSON (${errorMessage(error)})`)
  }
  try {
    return decode(value)
  } catch (error) {
    if (!(error instanceof TesseraeError)) throw error
    throw new DataFormatError(fileName, `has a "${key}" that does not decode: ${error.message}`)
  }
}

/** The file's recipe, or for a file exported before recipes, its zoo model's. */
function readRecipe(meta: ReadonlyMap<string, string>, fileName: string): { recipe: ModelRecipe; zooFallback: boolean } {
  const name = meta.get(METADATA.model)
  if (meta.has(METADATA.recipe)) {
    const recipe = readJson(meta, METADATA.recipe, decodeModelRecipe, fileName)
    const built = recipeModel(recipe).name
    if (name !== undefined && name !== built) throw new DataFormatError(fileName, `names its model "${name}", but its recipe builds a ${built}`)
    return { recipe, zooFallback: false }
  }
  if (name === undefined) throw new DataFormatError(fileName, `has neither "${METADATA.recipe}" nor "${METADATA.model}" in its metadata`)
  if (!isZooName(name)) throw new ModelFileError('MODEL_RECIPE_MISSING', fileName, `was exported before model files carried their recipe, and its model "${name}" is not one of the zoo's (${ZOO_NAMES.join(', ')}), so its layers are unknown`)
  return { recipe: ZOO_RECIPES[name], zooFallback: true }
}

/** The exporter refuses a task and recipe that disagree; a file where they do was not written by it. */
function checkTaskFits(task: TaskSpec, recipe: ModelRecipe, fileName: string): void {
  const input = JSON.stringify(taskInput(task))
  const outputs = taskOutputs(task)
  if (input !== JSON.stringify(recipe.input)) throw new DataFormatError(fileName, `has a task whose samples are ${input}, but a recipe whose model reads ${JSON.stringify(recipe.input)}`)
  if (outputs.outputs !== recipe.outputs || outputs.objective !== recipe.objective) {
    throw new DataFormatError(fileName, `has a task that needs ${outputs.outputs} outputs (${outputs.objective}), but a recipe with ${recipe.outputs} (${recipe.objective})`)
  }
}

function readParams(stored: ReadonlyMap<string, Tensor>, recipe: ModelRecipe, zooFallback: boolean, fileName: string): Map<string, Float32Array> {
  const model = recipeModel(recipe)
  const hint = zooFallback ? ` (the file carries no recipe, so it was read as the zoo's ${model.name}; a model built from a spec before files carried recipes cannot be read back)` : ''
  const fail = (problem: string): never => {
    throw new DataFormatError(fileName, problem)
  }
  /** A parameter the recipe's model does not match, where a zoo fallback is the likely cause. */
  const mismatch = (problem: string): never => fail(`${problem}${hint}`)
  const needed = paramsOf(model)
  const names = new Set(needed.map((p) => p.name))
  for (const name of stored.keys()) if (!names.has(name)) mismatch(`holds parameter "${name}", which its ${model.name} model does not have`)
  const params = new Map<string, Float32Array>()
  for (const p of needed) {
    const tensor = stored.get(p.name) ?? mismatch(`has no values for its ${model.name} model's parameter "${p.name}"`)
    if (tensor.dataType !== ONNX_FLOAT) fail(`stores parameter "${p.name}" as ONNX data type ${tensor.dataType}, not float32 (${ONNX_FLOAT})`)
    if (tensor.raw && tensor.floatData.length > 0) fail(`stores parameter "${p.name}" twice over, in both raw_data and float_data`)
    if (!sameShape(tensor.dims, p.shape)) mismatch(`has parameter "${p.name}" of shape [${tensor.dims.join(', ')}] (${numel(tensor.dims)} values); its ${model.name} model needs [${p.shape.join(', ')}] (${numel(p.shape)} values)`)
    const data = tensor.raw ?? concatBytes(tensor.floatData)
    const count = numel(p.shape)
    if (data.length !== count * Float32Array.BYTES_PER_ELEMENT) fail(`has parameter "${p.name}" of shape [${p.shape.join(', ')}] (${count} float32 values) with ${data.length} bytes of data`)
    // A copy on its own buffer: aligned, and the caller's file can be dropped. Little-endian, as the writer.
    // (new Uint8Array(view) copies; a Node Buffer's slice() would share its pool, whose .buffer is not these bytes.)
    const values = new Float32Array(new Uint8Array(data).buffer)
    const bad = values.findIndex((v) => !Number.isFinite(v))
    if (bad >= 0) fail(`has ${values[bad]} at index ${bad} of parameter "${p.name}"; a model to train from holds finite numbers`)
    params.set(p.name, values)
  }
  return params
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i])

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`
