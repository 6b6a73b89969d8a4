// Each task family's model in TensorFlow.js, the same architecture and parameter count as the recipe Tesserae
// builds, trained the way a TensorFlow.js user would (tf.layers, Adam, trainOnBatch) on the same encoded
// batch, for a side-by-side train-step comparison in one page.
import * as tf from '@tensorflow/tfjs'
import type { Batch } from '../src/data/task-batch.ts'
import type { ModelRecipe } from '../src/graph/model-recipe.ts'
import type { StepTimes } from './node-session.ts'
import { WasmTrainableConv2d } from './tfjs-conv.ts'
import { tfjsTransformer } from './tfjs-transformer.ts'

/** The recipe's model in TF.js layers; images are NHWC, as TF.js convolutions want them. */
export function tfjsRecipeModel(recipe: ModelRecipe): tf.LayersModel {
  const { spec, input, outputs } = recipe
  if (spec.kind === 'transformer') {
    if (input.kind !== 'tokens') throw new Error('a transformer reads tokens')
    return tfjsTransformer({ vocab: input.vocab, context: input.context, layers: spec.layers, width: spec.width, heads: spec.heads })
  }
  const model = tf.sequential()
  const inputShape = input.kind === 'image' ? [input.height, input.width, input.channels] : input.kind === 'vector' ? [input.width] : [input.context, input.vocab]
  model.add(tf.layers.inputLayer({ inputShape }))
  if (spec.kind === 'mlp') {
    // TF.js refuses to flatten what is already flat; ours flattens a feature vector to itself.
    if (inputShape.length > 1) model.add(tf.layers.flatten())
    for (const units of spec.hidden) model.add(tf.layers.dense({ units, activation: 'relu' }))
  } else {
    for (const filters of spec.channels) {
      model.add(new WasmTrainableConv2d(filters))
      model.add(tf.layers.reLU())
      model.add(tf.layers.maxPooling2d({ poolSize: 2 }))
    }
    model.add(tf.layers.flatten())
    model.add(tf.layers.dense({ units: spec.dense, activation: 'relu' }))
  }
  model.add(tf.layers.dense({ units: outputs }))
  return model
}

/** The batch as TF.js tensors: channel-major images become NHWC, one-hot tokens stay [rows, context, vocab]. */
function batchTensors(recipe: ModelRecipe, batch: Batch, rows: number): { x: tf.Tensor; y: tf.Tensor } {
  const { input, outputs } = recipe
  return tf.tidy(() => {
    if (input.kind === 'image') return { x: tf.transpose(tf.tensor4d(batch.x, [rows, input.channels, input.height, input.width]), [0, 2, 3, 1]), y: tf.tensor2d(batch.y, [rows, outputs]) }
    if (input.kind === 'vector') return { x: tf.tensor2d(batch.x, [rows, input.width]), y: tf.tensor2d(batch.y, [rows, outputs]) }
    return { x: tf.tensor3d(batch.x, [rows, input.context, input.vocab]), y: tf.tensor3d(batch.y, [rows, input.context, input.vocab]) }
  })
}

/** Times of trainOnBatch steps after warm-up, each waiting for its loss as ours does. */
export async function tfjsRecipeStepTimes(recipe: ModelRecipe, batch: Batch, rows: number, warmup: number, steps: number): Promise<StepTimes> {
  const model = tfjsRecipeModel(recipe)
  const optimizer = tf.train.adam(0.001)
  model.compile({ optimizer, loss: (y: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, logits) })
  const { x, y } = batchTensors(recipe, batch, rows)
  try {
    for (let i = 0; i < warmup; i++) await model.trainOnBatch(x, y)
    const started = performance.now()
    for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y)
    return { steps, wallMs: performance.now() - started }
  } finally {
    tf.dispose([x, y])
    model.dispose()
    optimizer.dispose()
  }
}
