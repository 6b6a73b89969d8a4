// The same MLP and CNN as the Tesserae zoo, built the way a TensorFlow.js user would (tf.layers, Adam,
// trainOnBatch), for a side-by-side train-step comparison.
import * as tf from '@tensorflow/tfjs'
import type { StepTimes } from './node-session.ts'

export function tfjsModel(name: 'mlp' | 'cnn'): tf.Sequential {
  const model = tf.sequential()
  if (name === 'mlp') {
    model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }))
    model.add(tf.layers.dense({ units: 256, activation: 'relu' }))
    model.add(tf.layers.dense({ units: 128, activation: 'relu' }))
    model.add(tf.layers.dense({ units: 10 }))
  } else {
    model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }))
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }))
    model.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }))
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }))
    model.add(tf.layers.flatten())
    model.add(tf.layers.dense({ units: 128, activation: 'relu' }))
    model.add(tf.layers.dense({ units: 10 }))
  }
  model.compile({ optimizer: tf.train.adam(0.001), loss: (y: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, logits) })
  return model
}

/** Times of trainOnBatch steps after warm-up; each step waits for its loss, as ours does. */
export async function tfjsStepTimes(name: 'mlp' | 'cnn', batchSize: number, warmup: number, steps: number): Promise<StepTimes> {
  const model = tfjsModel(name)
  const x = tf.randomNormal([batchSize, 28, 28, 1])
  const y = tf.oneHot(tf.randomUniform([batchSize], 0, 10, 'int32'), 10).toFloat()
  try {
    for (let i = 0; i < warmup; i++) await model.trainOnBatch(x, y)
    const started = performance.now()
    for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y)
    return { steps, wallMs: performance.now() - started }
  } finally {
    tf.dispose([x, y])
    model.dispose()
  }
}
