// The exported file in the engine a user would load it with (onnxruntime-node), against the inference graph
// the app evaluates with (onnxruntime-web, wasm, parameters fed as inputs).
import { describe, expect, it } from 'vitest'
import * as ortNode from 'onnxruntime-node'
import * as ortWeb from 'onnxruntime-web'
import { mlp, cnn } from './zoo.ts'
import { initParams } from './model.ts'
import { exportTrainedModel, EXPORT_INPUT } from './export-model.ts'
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
