// The exported file in the engine a user would load it with (onnxruntime-node), against the inference graph
// the app evaluates with (onnxruntime-web, wasm, parameters fed as inputs).
import { describe, expect, it } from 'vitest'
import * as ortNode from 'onnxruntime-node'
import * as ortWeb from 'onnxruntime-web'
import { mlp, cnn } from './zoo.ts'
import { initParams } from './model.ts'
import { exportTrainedModel, EXPORT_INPUT } from './export-model.ts'
import { buildModel } from './model-spec.ts'
import { Graph } from './graph.ts'
import { add } from './ops/binary.ts'
import { reshape } from './ops/reshape.ts'
import { exportOnnx } from './onnx/export.ts'
import { numel } from './shape.ts'
import { evaluateModel } from '../compute/evaluate.ts'
import { FASHION_MNIST_NORMALISATION } from '../data/batches.ts'
import type { LabelledImages } from '../data/labelled-images.ts'
import { seededRandom } from '../random.ts'

ortWeb.env.wasm.numThreads = 1

function randomImages(count: number, seed: number): LabelledImages {
  const rand = seededRandom(seed)
  const pixels = Uint8Array.from({ length: count * 784 }, () => Math.floor(rand() * 256))
  const labels = Uint8Array.from({ length: count }, () => Math.floor(rand() * 10))
  return { count, height: 28, width: 28, classes: 10, pixels, labels }
}

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
const info = (batchSize: number) => ({ jobId: 'job-1', jobName: 'Test job', version: 3, classes: CLASSES, normalisation: FASHION_MNIST_NORMALISATION, batchSize })

describe('exportTrainedModel', () => {
  for (const model of [mlp(), cnn()]) {
    it(`${model.name}: onnxruntime-node on the file predicts what the app's evaluation predicts`, async () => {
      const params = initParams(model, 7)
      const images = randomImages(100, 11)
      const app = await evaluateModel(ortWeb, model, params, images, FASHION_MNIST_NORMALISATION, { batchSize: 100 })
      const session = await ortNode.InferenceSession.create(exportTrainedModel(model, params, info(100)))
      expect(session.inputNames).toEqual([EXPORT_INPUT])
      expect([...session.outputNames].sort()).toEqual(['logits', 'probabilities'])
      const pixels = Float32Array.from(images.pixels, (p) => p / 255)
      const out = await session.run({ [EXPORT_INPUT]: new ortNode.Tensor('float32', pixels, [100, 1, 28, 28]) })
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
    const models = [mlp(), cnn(), buildModel({ kind: 'transformer', layers: 2, width: 16, heads: 4 }, { kind: 'tokens', vocab: 12, context: 6 }, 12)]
    for (const model of models) {
      const params = initParams(model, 3)
      const names = Array.from({ length: model.classes }, (_, i) => `c${i}`)
      const anyRows = { jobId: 'job-1', jobName: 'Test job', version: 3, classes: names, normalisation: FASHION_MNIST_NORMALISATION }
      const any = await ortNode.InferenceSession.create(exportTrainedModel(model, params, anyRows))
      const rand = seededRandom(5)
      for (const rows of [1, 5]) {
        const input = Float32Array.from({ length: rows * numel(model.inputShape) }, () => rand())
        const feed = () => ({ [EXPORT_INPUT]: new ortNode.Tensor('float32', input, [rows, ...model.inputShape]) })
        const fixed = await ortNode.InferenceSession.create(exportTrainedModel(model, params, { ...anyRows, batchSize: rows }))
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

  it('refuses parameters of the wrong size and a class list that does not fit', () => {
    const model = mlp()
    const params = initParams(model, 1)
    const first = [...params.keys()][0]!
    const broken = new Map(params)
    broken.set(first, new Float32Array(3))
    expect(() => exportTrainedModel(model, broken, info(1))).toThrow(/has 3 values/)
    expect(() => exportTrainedModel(model, params, { ...info(1), classes: ['a', 'b'] })).toThrow(/2 classes/)
  })
})
