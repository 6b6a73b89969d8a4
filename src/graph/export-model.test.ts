// The exported file in the engine a user would load it with (onnxruntime-node), against the inference graph
// the app evaluates and predicts with (onnxruntime-web, wasm, parameters fed as inputs, inputs encoded on the
// CPU by the task's own rule): for images, table rows (classes and values) and text.
import { describe, expect, it } from 'vitest'
import * as ortNode from 'onnxruntime-node'
import * as ortWeb from 'onnxruntime-web'
import { mlp, cnn } from './zoo.ts'
import { initParams } from './model.ts'
import { exportTrainedModel, EXPORT_INPUTS, EXPORT_METADATA, tabularColumns } from './export-model.ts'
import { recipeModel, ZOO_RECIPES, type ModelRecipe } from './model-recipe.ts'
import { Graph } from './graph.ts'
import { add } from './ops/binary.ts'
import { reshape } from './ops/reshape.ts'
import { exportOnnx } from './onnx/export.ts'
import { numel } from './shape.ts'
import { evaluateModel, predictOutputs } from '../compute/evaluate.ts'
import { FASHION_MNIST_NORMALISATION } from '../data/batches.ts'
import type { LabelledImages } from '../data/labelled-images.ts'
import { taskBatch } from '../data/task-batch.ts'
import { makeBlock } from '../data/task-block.ts'
import { taskInput, taskOutputs, type ImageTask, type TabularTask, type TaskSpec, type TextTask } from '../data/task.ts'
import { UNKNOWN } from '../data/text.ts'
import { seededRandom } from '../random.ts'

ortWeb.env.wasm.numThreads = 1

function randomImages(count: number, seed: number): LabelledImages {
  const rand = seededRandom(seed)
  const pixels = Uint8Array.from({ length: count * 784 }, () => Math.floor(rand() * 256))
  const labels = Uint8Array.from({ length: count }, () => Math.floor(rand() * 10))
  return { count, height: 28, width: 28, classes: 10, pixels, labels }
}

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
const FASHION: ImageTask = { kind: 'image', height: 28, width: 28, channels: 1, classes: CLASSES, fit: 'stretch', normalisation: FASHION_MNIST_NORMALISATION }
const info = (task: TaskSpec, batchSize?: number) => ({ jobId: 'job-1', jobName: 'Test job', version: 3, task, ...(batchSize === undefined ? {} : { batchSize }) })
const recipeFor = (task: TaskSpec, spec: ModelRecipe['spec']): ModelRecipe => ({ spec, input: taskInput(task), ...taskOutputs(task) })

const schema = (target: TabularTask['schema']['target']): TabularTask['schema'] => ({
  kind: 'tabular',
  features: [{ name: 'alcohol', kind: 'numeric' }, { name: 'colour', kind: 'categorical', categories: ['red', 'white', 'rosé'] }, { name: 'acidity', kind: 'numeric' }],
  label: 'grade',
  target,
})
const STATS = { features: [{ mean: 13, std: 0.8 }, null, { mean: 2.4, std: 1.1 }] }
const TABLE: TabularTask = { kind: 'tabular', schema: schema({ kind: 'classification', classes: ['low', 'mid', 'high'] }), stats: STATS, target: null }
const PRICE: TabularTask = { kind: 'tabular', schema: schema({ kind: 'regression' }), stats: STATS, target: { mean: 20, std: 7 } }
const TEXT: TextTask = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: [UNKNOWN, ' ', 'a', 'b', 'c', 'd'], context: 5 } }

/** Table rows as read (a missing number is NaN, a missing category −1) and as the file takes them. */
function tableRows(count: number, seed: number): { read: Float32Array; fed: Float32Array } {
  const rand = seededRandom(seed)
  const read = new Float32Array(count * 3)
  const fed = new Float32Array(count * 5)
  for (let r = 0; r < count; r++) {
    const alcohol = r === 1 ? NaN : 11 + 4 * rand()
    const colour = r === 2 ? -1 : Math.floor(rand() * 3)
    const acidity = 1 + 3 * rand()
    read.set([alcohol, colour, acidity], r * 3)
    // The file's stated rule: a missing number is fed as its mean, a missing category as all zeros.
    fed.set([Number.isNaN(alcohol) ? 13 : alcohol, colour === 0 ? 1 : 0, colour === 1 ? 1 : 0, colour === 2 ? 1 : 0, acidity], r * 5)
  }
  return { read, fed }
}

describe('exportTrainedModel', () => {
  for (const [model, recipe] of [[mlp(), ZOO_RECIPES.mlp], [cnn(), ZOO_RECIPES.cnn]] as const) {
    it(`${model.name}: onnxruntime-node on the file predicts what the app's evaluation predicts`, async () => {
      const params = initParams(model, 7)
      const images = randomImages(100, 11)
      const app = await evaluateModel(ortWeb, model, params, images, FASHION_MNIST_NORMALISATION, { batchSize: 100 })
      const session = await ortNode.InferenceSession.create(exportTrainedModel(recipe, params, info(FASHION, 100)))
      expect(session.inputNames).toEqual([EXPORT_INPUTS.image])
      expect([...session.outputNames].sort()).toEqual(['logits', 'probabilities'])
      const pixels = Float32Array.from(images.pixels, (p) => p / 255)
      const out = await session.run({ [EXPORT_INPUTS.image]: new ortNode.Tensor('float32', pixels, [100, 1, 28, 28]) })
      const logits = out.logits!.data as Float32Array
      const probabilities = out.probabilities!.data as Float32Array
      let crossEntropy = 0
      const predicted = Array.from({ length: 100 }, (_, b) => {
        const row = Array.from(logits.subarray(b * 10, b * 10 + 10))
        crossEntropy -= Math.log(probabilities[b * 10 + images.labels[b]!]!) / 100
        const sum = probabilities.subarray(b * 10, b * 10 + 10).reduce((a, x) => a + x, 0)
        expect(sum).toBeCloseTo(1, 5)
        return row.indexOf(Math.max(...row))
      })
      expect(predicted).toEqual(Array.from(app.predictions))
      expect(app.loss).toBeCloseTo(crossEntropy, 3)
      await session.release()
    })
  }

  it('takes any number of rows without a fixed batch, giving what a file fixed to that many gives', async () => {
    const cases: Array<[ModelRecipe, TaskSpec]> = [[ZOO_RECIPES.mlp, FASHION], [ZOO_RECIPES.cnn, FASHION], [recipeFor(TEXT, { kind: 'transformer', layers: 2, width: 16, heads: 4 }), TEXT], [recipeFor(TABLE, { kind: 'mlp', hidden: [8] }), TABLE]]
    for (const [recipe, task] of cases) {
      const model = recipeModel(recipe)
      const params = initParams(model, 3)
      const any = await ortNode.InferenceSession.create(exportTrainedModel(recipe, params, info(task)))
      const input_ = EXPORT_INPUTS[task.kind]
      const rand = seededRandom(5)
      for (const rows of [1, 5]) {
        const input = Float32Array.from({ length: rows * numel(model.inputShape) }, () => rand())
        const feed = () => ({ [input_]: new ortNode.Tensor('float32', input, [rows, ...model.inputShape]) })
        const fixed = await ortNode.InferenceSession.create(exportTrainedModel(recipe, params, info(task, rows)))
        const [a, f] = [await any.run(feed()), await fixed.run(feed())]
        expect(a.logits!.dims).toEqual(f.logits!.dims)
        const [la, lf] = [a.logits!.data as Float32Array, f.logits!.data as Float32Array]
        la.forEach((v, i) => expect(v).toBeCloseTo(lf[i]!, 5))
        await fixed.release()
      }
      await any.release()
    }
  })

  it('refuses a symbolic batch for a graph whose constants depend on it', () => {
    const withConstant = new Graph()
    withConstant.output('y', add(withConstant.input('x', [7, 3]), withConstant.constant(new Float64Array(21), [7, 3])))
    expect(() => exportOnnx(withConstant, { symbolicBatch: { size: 7, name: 'batch' } })).toThrow('a constant of shape [7, 3] depends on the batch of 7: this graph cannot run at other batch sizes')
    const mixed = new Graph()
    mixed.output('y', reshape(mixed.input('x', [7, 3]), [3, 7]))
    expect(() => exportOnnx(mixed, { symbolicBatch: { size: 7, name: 'batch' } })).toThrow('Reshape takes the constant [3, 7], which depends on the batch of 7')
    const inner = new Graph()
    inner.output('y', inner.input('x', [2, 7]))
    expect(() => exportOnnx(inner, { symbolicBatch: { size: 7, name: 'batch' } })).toThrow('input "x" has shape [2, 7]: only its first dimension may be the batch')
  })

  it('refuses parameters of the wrong size or missing, and a model that does not fit the task', () => {
    const params = initParams(mlp(), 1)
    const first = [...params.keys()][0]!
    const broken = new Map(params)
    broken.set(first, new Float32Array(3))
    expect(() => exportTrainedModel(ZOO_RECIPES.mlp, broken, info(FASHION, 1))).toThrow(`parameter "${first}" has 3 values, the model needs 200704`)
    broken.set(first, new Float32Array(200704).fill(NaN))
    expect(() => exportTrainedModel(ZOO_RECIPES.mlp, broken, info(FASHION, 1))).toThrow(`parameter "${first}" holds a value that is not a finite number`)
    broken.delete(first)
    expect(() => exportTrainedModel(ZOO_RECIPES.mlp, broken, info(FASHION, 1))).toThrow(`parameter "${first}" is missing`)
    expect(() => exportTrainedModel(ZOO_RECIPES.mlp, params, info({ ...FASHION, classes: ['a', 'b'] }, 1))).toThrow('the task needs 2 outputs (classes) but the mlp model has 10 (classes)')
    expect(() => exportTrainedModel(ZOO_RECIPES.mlp, params, info({ ...FASHION, height: 14 }, 1))).toThrow('but the task\'s samples are {"kind":"image","height":14,"width":28,"channels":1}')
    const table = recipeFor(TABLE, { kind: 'mlp', hidden: [4] })
    expect(() => exportTrainedModel({ ...table, objective: 'values', outputs: 3 }, initParams(recipeModel({ ...table, objective: 'values', outputs: 3 }), 1), info(TABLE, 1))).toThrow('the task needs 3 outputs (classes) but the mlp model has 3 (values)')
  })

  it('a table row: the file standardises numbers as read, as training encoded them, for classes and for values', async () => {
    for (const task of [TABLE, PRICE]) {
      const recipe = recipeFor(task, { kind: 'mlp', hidden: [16, 8] })
      const model = recipeModel(recipe)
      const params = initParams(model, 4)
      const rows = 6
      const { read, fed } = tableRows(rows, 8)
      const encoded = taskBatch(task, makeBlock(task, read, new Float32Array(rows)), Array.from({ length: rows }, (_, i) => i)).x
      const app = await predictOutputs(ortWeb, model, params, encoded, rows)
      const bytes = exportTrainedModel(recipe, params, info(task))
      const session = await ortNode.InferenceSession.create(bytes)
      expect(session.inputNames).toEqual([EXPORT_INPUTS.tabular])
      const out = await session.run({ [EXPORT_INPUTS.tabular]: new ortNode.Tensor('float32', fed, [rows, 5]) })
      if (task.target) {
        expect(session.outputNames).toEqual(['value'])
        // In the label's units: the model's standardised output × 7 + 20.
        const value = out.value!.data as Float32Array
        app.forEach((v, i) => expect(value[i]).toBeCloseTo(v * 7 + 20, 4))
      } else {
        const logits = out.logits!.data as Float32Array
        app.forEach((v, i) => expect(logits[i]).toBeCloseTo(v, 4))
      }
      await session.release()
      const text = new TextDecoder().decode(bytes)
      expect(text).toContain(JSON.stringify(tabularColumns(task.schema)))
      expect(tabularColumns(task.schema)).toEqual(['alcohol', 'colour=red', 'colour=white', 'colour=rosé', 'acidity'])
      expect(text).toContain(EXPORT_METADATA.recipe)
    }
  })

  it('a text window: one-hot tokens in, the next token\'s probabilities at every position out', async () => {
    const recipe = recipeFor(TEXT, { kind: 'transformer', layers: 1, width: 8, heads: 2 })
    const model = recipeModel(recipe)
    const params = initParams(model, 6)
    const windows = Uint16Array.of(1, 2, 3, 4, 5, 0, 2, 2, 3, 1, 5, 4)
    const block = makeBlock(TEXT, windows, null)
    const x = taskBatch(TEXT, block, [0, 1]).x
    const app = await predictOutputs(ortWeb, model, params, x, 2)
    const session = await ortNode.InferenceSession.create(exportTrainedModel(recipe, params, info(TEXT)))
    expect(session.inputNames).toEqual([EXPORT_INPUTS.text])
    const out = await session.run({ [EXPORT_INPUTS.text]: new ortNode.Tensor('float32', x, [2, 5, 6]) })
    const logits = out.logits!.data as Float32Array
    expect(out.probabilities!.dims).toEqual([2, 5, 6])
    app.forEach((v, i) => expect(logits[i]).toBeCloseTo(v, 4))
    await session.release()
  })
})
