// `npm run train:local -- --model cnn`: trains a zoo model on the full Fashion-MNIST set with the same graph
// compiler and ORT engine the browser uses (wasm backend, in Node), and reports test accuracy per epoch.
import { parseArgs } from 'node:util'
import { writeFile } from 'node:fs/promises'
import * as ort from 'onnxruntime-web'
import { cnn, mlp } from '../src/graph/zoo.ts'
import { buildTrainStep } from '../src/graph/train-step.ts'
import { initParams, parameterCount } from '../src/graph/model.ts'
import { DEFAULT_ADAMW } from '../src/graph/optimizer.ts'
import { FASHION_MNIST_NORMALISATION, makeBatch } from '../src/data/batches.ts'
import { seededPermutation } from '../src/random.ts'
import { TrainSession } from '../src/compute/train-session.ts'
import { evaluateAccuracy } from '../src/compute/evaluate.ts'
import { loadFashionMnist } from './fashion-mnist.ts'

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'cnn' },
    epochs: { type: 'string', default: '4' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.002' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    limit: { type: 'string' },
    out: { type: 'string' },
  },
})

const models = { mlp: () => mlp(), cnn: () => cnn() }
if (!(values.model! in models)) throw new Error(`--model must be one of ${Object.keys(models).join(', ')}`)
const model = models[values.model as keyof typeof models]()
const epochs = Number(values.epochs)
const batchSize = Number(values.batch)
const peakLr = Number(values.lr)
const seed = Number(values.seed)
ort.env.wasm.numThreads = Number(values.threads)

const train = await loadFashionMnist('train')
const test = await loadFashionMnist('test')
const trainCount = Math.min(Number(values.limit ?? train.count), train.count)
const step = buildTrainStep(model, batchSize, DEFAULT_ADAMW)
const session = await TrainSession.create(ort, step, { backend: 'wasm' })
session.load(initParams(model, seed))
const stepsPerEpoch = Math.floor(trainCount / batchSize)
const totalSteps = stepsPerEpoch * epochs
console.log(`${model.name}: ${parameterCount(model).toLocaleString()} parameters, ${(step.flopsPerStep / batchSize / 1e6).toFixed(2)} MFLOP per sample per step, ${trainCount} training samples, ${epochs} epochs, ${ort.env.wasm.numThreads} wasm threads`)

const history: Array<{ epoch: number; trainLoss: number; trainAccuracy: number; testAccuracy: number; samplesPerSecond: number; gflops: number }> = []
let stepNumber = 0
for (let epoch = 1; epoch <= epochs; epoch++) {
  const order = seededPermutation(trainCount, seed * 1000 + epoch)
  let lossSum = 0
  let correct = 0
  const started = performance.now()
  for (let s = 0; s < stepsPerEpoch; s++) {
    stepNumber++
    // Cosine decay from the peak rate: the usual recipe, and enough to settle at the end of short runs.
    const lr = peakLr * 0.5 * (1 + Math.cos((Math.PI * (stepNumber - 1)) / totalSteps))
    const result = await session.run(makeBatch(train, order.subarray(s * batchSize, (s + 1) * batchSize), FASHION_MNIST_NORMALISATION), lr, stepNumber)
    if (!Number.isFinite(result.loss)) throw new Error(`training diverged at step ${stepNumber} (loss ${result.loss})`)
    lossSum += result.loss
    correct += result.correct
  }
  const seconds = (performance.now() - started) / 1000
  const { params } = await session.read()
  const testAccuracy = await evaluateAccuracy(ort, model, params, test, FASHION_MNIST_NORMALISATION)
  const samples = stepsPerEpoch * batchSize
  const entry = { epoch, trainLoss: lossSum / stepsPerEpoch, trainAccuracy: correct / samples, testAccuracy, samplesPerSecond: samples / seconds, gflops: (step.flopsPerStep * stepsPerEpoch) / seconds / 1e9 }
  history.push(entry)
  console.log(`epoch ${epoch}: train loss ${entry.trainLoss.toFixed(4)}, train acc ${entry.trainAccuracy.toFixed(4)}, test acc ${testAccuracy.toFixed(4)}, ${entry.samplesPerSecond.toFixed(0)} samples/s, ${entry.gflops.toFixed(2)} GFLOP/s`)
}
await session.release()
if (values.out !== undefined) await writeFile(values.out, JSON.stringify({ model: model.name, epochs, batchSize, peakLr, history }, null, 2))
