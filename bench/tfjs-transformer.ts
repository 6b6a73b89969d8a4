// Tesserae's transformer (src/graph/layers/attention.ts) rebuilt in TensorFlow.js layers, op for op: one-hot
// tokens times an embedding matrix plus learned positions; pre-norm blocks of causal multi-head attention
// (query, value and output projections with biases, the key without) and a 4× MLP with tanh-GELU; a final
// layer norm and a linear head. Its parameter count must equal ours; the benchmark checks that it does.
import * as tf from '@tensorflow/tfjs'

export interface TransformerShape {
  vocab: number
  context: number
  layers: number
  width: number
  heads: number
}

/** Adds a learned [context, width] position table (normal, σ 0.02, as ours) to every sample. */
class AddPositions extends tf.layers.Layer {
  static readonly className = 'AddPositions'
  private readonly context: number
  private readonly width: number
  private positions: tf.LayerVariable | null = null

  constructor(context: number, width: number) {
    super({})
    this.context = context
    this.width = width
  }

  override build(): void {
    this.positions = this.addWeight('positions', [this.context, this.width], 'float32', tf.initializers.randomNormal({ mean: 0, stddev: 0.02 }))
    this.built = true
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(single(inputs), this.positions!.read()))
  }
}

/**
 * softmax(q·kᵀ/√d + causal mask)·v over `heads` heads of [batch, context, width] queries, keys and values,
 * the mask adding −10⁹ above the diagonal as ours does. No weights: the projections are Dense layers around it.
 */
class CausalAttention extends tf.layers.Layer {
  static readonly className = 'CausalAttention'
  private readonly heads: number
  private readonly mask: tf.Tensor2D

  constructor(heads: number, context: number) {
    super({})
    this.heads = heads
    this.mask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([context, context]), -1, 0)), -1e9))
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0]!
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [q, k, v] = inputs as tf.Tensor3D[]
      const [batch, context, width] = q!.shape
      const headWidth = width / this.heads
      const split = (t: tf.Tensor3D) => tf.transpose(tf.reshape(t, [batch, context, this.heads, headWidth]), [0, 2, 1, 3])
      const scores = tf.add(tf.mul(tf.matMul(split(q!), split(k!), false, true), 1 / Math.sqrt(headWidth)), this.mask)
      const attended = tf.matMul(tf.softmax(scores), split(v!))
      return tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [batch, context, width])
    })
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    this.mask.dispose()
    return super.dispose()
  }
}

/** GELU's tanh approximation (TF.js's 'gelu_new'), built from multiplications as ours is rather than with pow. */
class TanhGelu extends tf.layers.Layer {
  static readonly className = 'TanhGelu'

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs)
      const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI))
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1))
    })
  }
}

/**
 * Layer normalisation over the last axis with broadcasting, as ours. TF.js's tf.layers.layerNormalization tiles
 * its mean and variance instead, and Tile's gradient is a loop of one Slice and one Add per tiled copy: with it
 * one step of this model took about 19 s instead of 1.4 s (TF.js wasm in Node): a comparison with that bug.
 */
class LayerNorm extends tf.layers.Layer {
  static readonly className = 'LayerNorm'
  private gamma: tf.LayerVariable | null = null
  private beta: tf.LayerVariable | null = null

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const features = (inputShape as tf.Shape).at(-1)!
    this.gamma = this.addWeight('gamma', [features], 'float32', tf.initializers.ones())
    this.beta = this.addWeight('beta', [features], 'float32', tf.initializers.zeros())
    this.built = true
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs)
      const { mean, variance } = tf.moments(x, -1, true)
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), this.gamma!.read()), this.beta!.read())
    })
  }
}

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs
}

const on = (layer: tf.layers.Layer, input: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(input) as tf.SymbolicTensor
const layerNorm = () => new LayerNorm({})
// Dense kernels He-uniform, as ours (the speed does not care).
const dense = (units: number, useBias = true) => tf.layers.dense({ units, useBias, kernelInitializer: 'heUniform' })

/** The model: [batch, context, vocab] one-hot tokens in, [batch, context, vocab] next-token logits out. */
export function tfjsTransformer(shape: TransformerShape): tf.LayersModel {
  const { vocab, context, width } = shape
  const tokens = tf.input({ shape: [context, vocab] })
  let x = on(new AddPositions(context, width), on(tf.layers.dense({ units: width, useBias: false, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.02 }) }), tokens))
  for (let layer = 0; layer < shape.layers; layer++) {
    const h = on(layerNorm(), x)
    const attended = on(new CausalAttention(shape.heads, context), [on(dense(width), h), on(dense(width, false), h), on(dense(width), h)])
    const x1 = on(tf.layers.add(), [x, on(dense(width), attended)])
    const hidden = on(new TanhGelu({}), on(dense(4 * width), on(layerNorm(), x1)))
    x = on(tf.layers.add(), [x1, on(dense(width), hidden)])
  }
  return tf.model({ inputs: tokens, outputs: on(dense(vocab), on(layerNorm(), x)) })
}
