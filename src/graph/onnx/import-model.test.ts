// A researcher's downloaded model file read back to seed a new job: what the exporter wrote comes back bit for
// bit, and a file that is damaged, cut short, foreign or inconsistent is refused with its name and the reason.
import { describe, expect, it } from 'vitest'
import { readExportedModel, MODEL_FILE_MAX_BYTES, ModelFileError, type ModelFileErrorCode } from './import-model.ts'
import { emitGraph, exportOnnx, writeModel, ONNX_FLOAT, type Initializer } from './export.ts'
import { ProtoWriter } from './protobuf-writer.ts'
import { buildExportGraph, exportTrainedModel } from '../export-model.ts'
import { Graph } from '../graph.ts'
import { paramsOf } from '../model.ts'
import { recipeModel, ZOO_RECIPES, type ModelRecipe } from '../model-recipe.ts'
import { PARAM_PREFIX } from '../train-step.ts'
import { add } from '../ops/binary.ts'
import { DataFormatError } from '../../data/errors.ts'
import { TesseraeError } from '../../errors.ts'
import { FASHION_MNIST_NORMALISATION } from '../../data/batches.ts'
import type { ImageTask, TabularTask, TaskSpec } from '../../data/task.ts'
import { seededRandom } from '../../random.ts'

const FILE = 'wine-v4.onnx'
const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
const FASHION: ImageTask = { kind: 'image', height: 28, width: 28, channels: 1, classes: CLASSES, fit: 'stretch', normalisation: FASHION_MNIST_NORMALISATION }
/** Two numbers and a three-way category: 5 inputs one-hot encoded, 3 classes. */
const TABLE: TabularTask = {
  kind: 'tabular',
  schema: {
    kind: 'tabular',
    features: [{ name: 'alcohol', kind: 'numeric' }, { name: 'colour', kind: 'categorical', categories: ['red', 'white', 'rosé'] }, { name: 'acidity', kind: 'numeric' }],
    label: 'grade',
    target: { kind: 'classification', classes: ['low', 'mid', 'high'] },
  },
  stats: { features: [{ mean: 13, std: 0.8 }, null, { mean: 2.4, std: 1.1 }] },
  target: null,
}
const TABLE_RECIPE: ModelRecipe = { spec: { kind: 'mlp', hidden: [8] }, input: { kind: 'vector', width: 5 }, outputs: 3, objective: 'classes' }
const JOB = { id: 'job-7', name: 'Wine grades', version: 4 }
const info = (task: TaskSpec) => ({ jobId: JOB.id, jobName: JOB.name, version: JOB.version, task })

/** Random values in every parameter, biases too, with the float32 values most easily mangled in the first. */
function randomParams(recipe: ModelRecipe, seed: number): Map<string, Float32Array> {
  const random = seededRandom(seed)
  const params = new Map(paramsOf(recipeModel(recipe)).map((p) => [p.name, Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1)]))
  params.values().next().value!.set([-0, 1e-45, 3.4028234663852886e38, -1.1754943508222875e-38, 2 ** -20])
  return params
}

const bits = (values: Float32Array): Uint32Array => new Uint32Array(values.buffer, values.byteOffset, values.length)

function expectSameBits(got: ReadonlyMap<string, Float32Array>, want: ReadonlyMap<string, Float32Array>): void {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort())
  for (const [name, values] of want) expect(bits(got.get(name)!), name).toEqual(bits(values))
}

/** What the exporter writes in the metadata, so a test can drop or change one entry. */
const metadataFor = (recipe: ModelRecipe, task: TaskSpec): Record<string, string> => ({
  'tesserae.job': JOB.id,
  'tesserae.job_name': JOB.name,
  'tesserae.version': String(JOB.version),
  'tesserae.model': recipeModel(recipe).name,
  'tesserae.recipe': JSON.stringify(recipe),
  'tesserae.task': JSON.stringify(task),
})

interface Craft {
  recipe?: ModelRecipe
  task?: TaskSpec
  params?: Map<string, Float32Array>
  initializers?: (list: Initializer[]) => Initializer[]
  metadata?: (entries: Record<string, string>) => Record<string, string>
}

/** A file as the exporter's own writer lays it out, with its initializers or metadata changed first. */
function craft({ recipe = TABLE_RECIPE, task = TABLE, params = randomParams(recipe, 3), initializers = (list) => list, metadata = (entries) => entries }: Craft = {}): Uint8Array {
  const baked = Object.fromEntries([...params].map(([name, values]) => [`${PARAM_PREFIX}${name}`, values]))
  const parts = emitGraph(buildExportGraph(recipe, { task, batchSize: 2 }), { initializers: baked })
  return writeModel({ ...parts, initializers: initializers(parts.initializers) }, metadata(metadataFor(recipe, task)))
}

const withoutKeys = (...keys: string[]) => (entries: Record<string, string>) => Object.fromEntries(Object.entries(entries).filter(([key]) => !keys.includes(key)))
const withEntry = (key: string, value: string) => (entries: Record<string, string>) => ({ ...entries, [key]: value })
const concat = (...parts: ArrayLike<number>[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => Array.from(p)))
const metadataEntry = (key: string, value: string): Uint8Array => new ProtoWriter().message(14, (e) => e.string(1, key).string(2, value)).finish()

function caught(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected the file to be refused')
}

function expectDamaged(bytes: Uint8Array, message: RegExp): void {
  const error = caught(() => readExportedModel(bytes, FILE))
  expect(error).toBeInstanceOf(DataFormatError)
  expect((error as DataFormatError).fileName).toBe(FILE)
  expect((error as Error).message.startsWith(`${FILE} `)).toBe(true)
  expect((error as Error).message).toMatch(message)
}

function expectRefused(bytes: Uint8Array, code: ModelFileErrorCode, message: RegExp): void {
  const error = caught(() => readExportedModel(bytes, FILE))
  expect(error).toBeInstanceOf(ModelFileError)
  expect((error as ModelFileError).code).toBe(code)
  expect((error as ModelFileError).fileName).toBe(FILE)
  expect((error as Error).message).toMatch(message)
}

describe('readExportedModel: what the exporter wrote', () => {
  it('reads back a zoo MLP exported for an image task: recipe, task, job and parameters bit for bit', () => {
    const params = randomParams(ZOO_RECIPES.mlp, 1)
    const model = readExportedModel(exportTrainedModel(ZOO_RECIPES.mlp, params, info(FASHION)), FILE)
    expect(model.recipe).toEqual(ZOO_RECIPES.mlp)
    expect(model.task).toEqual(FASHION)
    expect(model.job).toEqual(JOB)
    expectSameBits(model.params, params)
    // The file as Node reads it (a Buffer at an offset in a larger pool): the same parameters.
    const file = exportTrainedModel(ZOO_RECIPES.mlp, params, info(FASHION))
    const pool = Buffer.alloc(file.length + 64, 0x7f)
    pool.set(file, 17)
    expectSameBits(readExportedModel(pool.subarray(17, 17 + file.length), FILE).params, params)
  })

  it('reads back a recipe built here for a table task, skipping the constants the graph also stores', () => {
    // The table's feature statistics are float32 initializers beside the parameters, and int64 shape constants too.
    const params = randomParams(TABLE_RECIPE, 2)
    for (const batchSize of [undefined, 4]) {
      const model = readExportedModel(exportTrainedModel(TABLE_RECIPE, params, { ...info(TABLE), ...(batchSize ? { batchSize } : {}) }), FILE)
      expect(model.recipe).toEqual(TABLE_RECIPE)
      expect(model.task).toEqual(TABLE)
      expect(model.job).toEqual(JOB)
      expectSameBits(model.params, params)
    }
  })

  it('reads the test\'s own unchanged file, so each refusal below is the change it makes', () => {
    const params = randomParams(TABLE_RECIPE, 3)
    expectSameBits(readExportedModel(craft({ params }), FILE).params, params)
  })

  it('reads a file exported before files carried a recipe and task as its zoo model, with no task', () => {
    const params = randomParams(ZOO_RECIPES.mlp, 4)
    const model = readExportedModel(craft({ recipe: ZOO_RECIPES.mlp, task: FASHION, params, metadata: withoutKeys('tesserae.recipe', 'tesserae.task') }), FILE)
    expect(model.recipe).toEqual(ZOO_RECIPES.mlp)
    expect(model.task).toBeNull()
    expectSameBits(model.params, params)
  })

  it('reads parameters stored as float_data, packed or one value per field, as other ONNX writers store them', () => {
    const params = randomParams(TABLE_RECIPE, 5)
    const weight = `${PARAM_PREFIX}1.linear.weight`
    const file = concat(
      craft({ params, initializers: (list) => list.filter((init) => init.name !== weight) }),
      new ProtoWriter()
        .message(7, (graph) =>
          graph.message(5, (tensor) => {
            const values = Array.from(params.get('1.linear.weight')!)
            tensor.packedInts(1, [5, 8]).int(2, ONNX_FLOAT).string(8, weight).packedFloats(4, values.slice(0, 20))
            for (const v of values.slice(20)) tensor.float(4, v)
          }),
        )
        .finish(),
    )
    expectSameBits(readExportedModel(file, FILE).params, params)
  })
})

describe('readExportedModel: files it refuses', () => {
  it('refuses a file over the size limit before reading it, and reads one at the limit', () => {
    expectRefused(new Uint8Array(MODEL_FILE_MAX_BYTES + 1), 'MODEL_FILE_TOO_LARGE', /is 256\.0 MiB; a model file to train from is at most 256\.0 MiB/)
    // At the limit it is read, and then refused for what it is: zeros, not ONNX.
    expectRefused(new Uint8Array(MODEL_FILE_MAX_BYTES), 'NOT_ONNX', /is not an ONNX model file/)
  })

  it('refuses bytes that are not ONNX: an empty file, a PNG, text, random bytes, a message with no graph', () => {
    const random = seededRandom(9)
    const files = [
      new Uint8Array(0),
      Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
      new TextEncoder().encode('{"model": "mlp"}'),
      Uint8Array.from({ length: 4096 }, () => Math.floor(random() * 256)).map((b, i) => (i === 0 ? 0x07 : b)),
    ]
    for (const bytes of files) expectRefused(bytes, 'NOT_ONNX', /^wine-v4\.onnx is not an ONNX model file \(it does not begin as one does\)$/)
    expectRefused(new ProtoWriter().int(1, 8).string(2, 'tesserae').finish(), 'NOT_ONNX', /it holds no graph/)
  })

  it('refuses garbage that begins like ONNX, and any damage to a real file, only with its own errors', () => {
    const random = seededRandom(10)
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i === 0 ? 0x08 : Math.floor(random() * 256)))
    expect(caught(() => readExportedModel(garbage, FILE))).toBeInstanceOf(TesseraeError)
    // Damage in a parameter's bytes can still read (a different finite number); anything else must be ours.
    const file = craft()
    for (let trial = 0; trial < 300; trial++) {
      const damaged = file.slice()
      for (let k = 0; k < 3; k++) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256)
      try {
        readExportedModel(damaged, FILE)
      } catch (error) {
        expect(error, `trial ${trial}: ${String(error)}`).toBeInstanceOf(TesseraeError)
        expect((error as Error).message.startsWith(`${FILE} `), (error as Error).message).toBe(true)
      }
    }
  })

  it('refuses a file cut short, wherever it is cut', () => {
    const file = exportTrainedModel(TABLE_RECIPE, randomParams(TABLE_RECIPE, 6), info(TABLE))
    for (const cut of [1, 3, 20, Math.floor(file.length / 3), Math.floor(file.length / 2), file.length - 1]) {
      expectDamaged(file.subarray(0, cut), /is damaged or cut short: at byte \d+, (a field says it is \d+ bytes long, but only \d+ remain|a number runs past the end)/)
    }
  })

  it('refuses a length prefix that points past the end of the file, however large', () => {
    const file = craft()
    expectDamaged(concat(file, [0x72, 100, 1, 2]), new RegExp(`at byte ${file.length + 1}, a field says it is 100 bytes long, but only 2 remain`))
    // 2^40 + 2 in 64 bits; as 32 bits it would be 2, and the two bytes after it would be read as a value.
    expectDamaged(concat(file, [0x72, 0x82, 0x80, 0x80, 0x80, 0x80, 0x20, 1, 2]), /a field says it is 1099511627778 bytes long, but only 2 remain/)
  })

  it('refuses an ONNX model with no tesserae metadata, naming the tool that made it', () => {
    const g = new Graph()
    g.output('y', add(g.input('x', [2]), g.param('w', [2])))
    expectRefused(exportOnnx(g, { initializers: { w: [1, 2] } }), 'NOT_TESSERAE_EXPORT', /is an ONNX model made by "tesserae", but not one Tesserae exported \(its metadata has no tesserae\.\* entries\)/)
    const foreign = new ProtoWriter().int(1, 8).string(2, 'pytorch').message(7, (graph) => graph.string(2, 'main')).message(14, (e) => e.string(1, 'author').string(2, 'someone')).finish()
    expectRefused(foreign, 'NOT_TESSERAE_EXPORT', /made by "pytorch", but not one Tesserae exported/)
  })

  it('refuses a missing parameter, naming it', () => {
    const file = craft({ initializers: (list) => list.filter((init) => init.name !== `${PARAM_PREFIX}3.linear.bias`) })
    expectDamaged(file, /has no values for its mlp model's parameter "3\.linear\.bias"$/)
  })

  it('refuses a parameter with another element count than its model\'s', () => {
    // Dims and data agree with each other (4 × 8 = 32 values); the model's first layer needs 5 × 8 = 40.
    const file = craft({ initializers: (list) => list.map((init) => (init.name === `${PARAM_PREFIX}1.linear.weight` ? { ...init, dims: [4, 8], raw: init.raw.slice(0, 32 * 4) } : init)) })
    expectDamaged(file, /has parameter "1\.linear\.weight" of shape \[4, 8\] \(32 values\); its mlp model needs \[5, 8\] \(40 values\)$/)
  })

  it('refuses a parameter whose data is not as long as its dims say', () => {
    const file = craft({ initializers: (list) => list.map((init) => (init.name === `${PARAM_PREFIX}1.linear.weight` ? { ...init, raw: init.raw.slice(0, 39 * 4) } : init)) })
    expectDamaged(file, /has parameter "1\.linear\.weight" of shape \[5, 8\] \(40 float32 values\) with 156 bytes of data/)
  })

  it('refuses a parameter stored as another type, or stored twice over', () => {
    const weight = `${PARAM_PREFIX}1.linear.weight`
    expectDamaged(craft({ initializers: (list) => list.map((init) => (init.name === weight ? { ...init, dataType: 11 } : init)) }), /stores parameter "1\.linear\.weight" as ONNX data type 11, not float32 \(1\)/)
    const twice = concat(craft(), new ProtoWriter().message(7, (graph) => graph.message(5, (t) => t.packedInts(1, [5, 8]).int(2, ONNX_FLOAT).string(8, weight).bytes(9, new Uint8Array(160)))).finish())
    expectDamaged(twice, /parameter "1\.linear\.weight" is stored twice/)
    const bothWays = concat(craft({ initializers: (list) => list.filter((init) => init.name !== weight) }), new ProtoWriter().message(7, (graph) => graph.message(5, (t) => t.packedInts(1, [5, 8]).int(2, ONNX_FLOAT).string(8, weight).bytes(9, new Uint8Array(160)).packedFloats(4, Array<number>(40).fill(0)))).finish())
    expectDamaged(bothWays, /stores parameter "1\.linear\.weight" twice over, in both raw_data and float_data/)
  })

  it('refuses a parameter its model does not have', () => {
    const extra: Initializer = { name: `${PARAM_PREFIX}5.linear.weight`, dataType: ONNX_FLOAT, dims: [2], raw: new Uint8Array(8) }
    expectDamaged(craft({ initializers: (list) => [...list, extra] }), /holds parameter "5\.linear\.weight", which its mlp model does not have/)
  })

  it('refuses NaN and infinite parameter values, naming where', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const params = randomParams(TABLE_RECIPE, 7)
      // The exporter refuses non-finite weights, so a marker value is written and then overwritten in the bytes.
      const marker = 12345.6787109375
      params.get('3.linear.weight')![7] = marker
      const file = exportTrainedModel(TABLE_RECIPE, params, info(TABLE))
      const needle = new Uint8Array(Float32Array.of(marker).buffer)
      const at = file.findIndex((_, i) => needle.every((b, k) => file[i + k] === b))
      expect(at).toBeGreaterThan(0)
      file.set(new Uint8Array(Float32Array.of(bad).buffer), at)
      expectDamaged(file, new RegExp(`has ${bad} at index 7 of parameter "3\\.linear\\.weight"; a model to train from holds finite numbers`))
    }
  })

  it('refuses an old file whose model was built from a spec, saying it was read as the zoo\'s', () => {
    const file = craft({ metadata: withoutKeys('tesserae.recipe', 'tesserae.task') })
    expectDamaged(file, /has parameter "1\.linear\.weight" of shape \[5, 8\] .* needs \[784, 256\] .*\(the file carries no recipe, so it was read as the zoo's mlp;/)
  })

  it('refuses an old file whose model is not in the zoo', () => {
    expectRefused(craft({ metadata: (m) => withEntry('tesserae.model', 'resnet')(withoutKeys('tesserae.recipe', 'tesserae.task')(m)) }), 'MODEL_RECIPE_MISSING', /its model "resnet" is not one of the zoo's \(mlp, cnn, transformer\)/)
    expectDamaged(craft({ metadata: withoutKeys('tesserae.recipe', 'tesserae.model') }), /has neither "tesserae\.recipe" nor "tesserae\.model"/)
  })

  it('refuses missing or malformed provenance', () => {
    for (const key of ['tesserae.job', 'tesserae.job_name', 'tesserae.version']) expectDamaged(craft({ metadata: withoutKeys(key) }), new RegExp(`has no "${key.replace('.', '\\.')}" in its metadata`))
    expectDamaged(craft({ metadata: withEntry('tesserae.job', '') }), /has an empty "tesserae\.job"/)
    for (const version of ['', 'v4', '-1', '4.5', '1e3', ' 4', '99999999999999999999']) expectDamaged(craft({ metadata: withEntry('tesserae.version', version) }), /not a version number/)
  })

  it('refuses metadata that names a key twice', () => {
    expectDamaged(concat(craft(), metadataEntry('tesserae.job', 'job-8')), /the metadata names "tesserae\.job" twice/)
  })

  it('refuses a recipe or task that is not JSON or does not decode', () => {
    expectDamaged(craft({ metadata: withEntry('tesserae.recipe', '{"spec":') }), /has a "tesserae\.recipe" that is not JSON/)
    expectDamaged(craft({ metadata: withEntry('tesserae.recipe', JSON.stringify({ ...TABLE_RECIPE, spec: { kind: 'mlp', hidden: [0] } })) }), /has a "tesserae\.recipe" that does not decode: model spec: "hidden"\[0\] must be a whole number from 1 to 4096/)
    expectDamaged(craft({ metadata: withEntry('tesserae.task', 'null') }), /has a "tesserae\.task" that does not decode: /)
  })

  it('refuses a task and recipe that disagree, and a model name its recipe does not build', () => {
    const wider: TabularTask = { ...TABLE, schema: { ...TABLE.schema, features: [...TABLE.schema.features, { name: 'sugar', kind: 'numeric' }] }, stats: { features: [...TABLE.stats.features, { mean: 2, std: 1 }] } }
    expectDamaged(craft({ metadata: withEntry('tesserae.task', JSON.stringify(wider)) }), /has a task whose samples are \{"kind":"vector","width":6\}, but a recipe whose model reads \{"kind":"vector","width":5\}/)
    const binary: TabularTask = { ...TABLE, schema: { ...TABLE.schema, target: { kind: 'classification', classes: ['low', 'high'] } } }
    expectDamaged(craft({ metadata: withEntry('tesserae.task', JSON.stringify(binary)) }), /has a task that needs 2 outputs \(classes\), but a recipe with 3 \(classes\)/)
    expectDamaged(craft({ metadata: withEntry('tesserae.model', 'cnn') }), /names its model "cnn", but its recipe builds a mlp/)
  })
})
