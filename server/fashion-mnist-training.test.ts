// The short CI version of `npm run train:local`: real Fashion-MNIST, the real engine, a few hundred steps.
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { mlp } from '../src/graph/zoo.ts'
import { buildTrainStep } from '../src/graph/train-step.ts'
import { initParams } from '../src/graph/model.ts'
import { DEFAULT_ADAMW } from '../src/graph/optimizer.ts'
import { FASHION_MNIST_NORMALISATION, makeBatch } from '../src/data/batches.ts'
import { seededPermutation } from '../src/random.ts'
import { TrainSession } from '../src/compute/train-session.ts'
import { evaluateAccuracy } from '../src/compute/evaluate.ts'
import { loadFashionMnist } from './fashion-mnist.ts'

describe('training on Fashion-MNIST', () => {
  it('lowers the loss and beats chance by far within one short epoch', async () => {
    ort.env.wasm.numThreads = 1
    const [train, test] = await Promise.all([loadFashionMnist('train'), loadFashionMnist('test')])
    const model = mlp()
    const batchSize = 32
    const step = buildTrainStep(model, batchSize, DEFAULT_ADAMW)
    const session = await TrainSession.create(ort, step, { backend: 'wasm' })
    session.load(initParams(model, 1))
    const order = seededPermutation(train.count, 1)
    const losses: number[] = []
    for (let s = 0; s < 200; s++) {
      const { loss } = await session.run(makeBatch(train, order.subarray(s * batchSize, (s + 1) * batchSize), FASHION_MNIST_NORMALISATION), 0.001, s + 1)
      losses.push(loss)
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean(losses.slice(-20))).toBeLessThan(mean(losses.slice(0, 20)) * 0.5)
    const accuracy = await evaluateAccuracy(ort, model, (await session.read()).params, test, FASHION_MNIST_NORMALISATION, { limit: 2000 })
    expect(accuracy).toBeGreaterThan(0.75)
    await session.release()
  })
})
