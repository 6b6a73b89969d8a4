// A 3×3 'same' convolution TensorFlow.js can train on its wasm backend. tf.layers.conv2d cannot: the backend
// registers no Conv2DBackpropFilter kernel. This layer keeps TF.js's own kernels where they exist (Conv2D
// forward, Conv2DBackpropInput for the input's gradient) and computes the filter's gradient as one more Conv2D
// (below), the fastest of the ways we tried: the backend's Conv3DBackpropFilterV2 on the images as depth-1
// volumes gives the same values 1.5–6× slower.
import * as tf from '@tensorflow/tfjs'

/**
 * ∂loss/∂filter of a stride-1, pad-1 3×3 convolution of NHWC `x` giving `dy`: dW[i, j, c, o] sums
 * x[b, h + i − 1, w + j − 1, c] · dy[b, h, w, o] over b, h, w, which is a convolution of x seen as
 * [c, h, w, b] with dy seen as an [h, w, b, o] filter, padded by 1, giving [c, 3, 3, o].
 */
function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  return tf.transpose(tf.conv2d(tf.transpose(x, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, 1), [1, 2, 0, 3])
}

const convolve = tf.customGrad((...args: Array<tf.Tensor | ((save: tf.Tensor[]) => void)>) => {
  const [x, filter, save] = args as [tf.Tensor4D, tf.Tensor4D, (save: tf.Tensor[]) => void]
  save([x, filter])
  return {
    value: tf.conv2d(x, filter, 1, 'same'),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, filters] = saved as [tf.Tensor4D, tf.Tensor4D]
      return [tf.conv2dTranspose(dy as tf.Tensor4D, filters, xs.shape, 1, 'same'), filterGradient(xs, dy as tf.Tensor4D)]
    },
  }
})

/** Conv2D layer: 3×3 kernel, stride 1, 'same' padding, bias; NHWC in and out. */
export class WasmTrainableConv2d extends tf.layers.Layer {
  static readonly className = 'WasmTrainableConv2d'
  private readonly filters: number
  private kernel: tf.LayerVariable | null = null
  private bias: tf.LayerVariable | null = null

  constructor(filters: number) {
    super({})
    this.filters = filters
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = (inputShape as tf.Shape).at(-1)!
    this.kernel = this.addWeight('kernel', [3, 3, channels, this.filters], 'float32', tf.initializers.heUniform({}))
    this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros())
    this.built = true
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [...(inputShape as tf.Shape).slice(0, -1), this.filters]
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(convolve(Array.isArray(inputs) ? inputs[0]! : inputs, this.kernel!.read()), this.bias!.read()))
  }
}
