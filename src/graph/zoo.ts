// Model zoo: the architectures jobs can name. Sizes are chosen to train in a browser tab in minutes.
import type { Model } from './model.ts'
import { flatten, linear, relu } from './layers/basic.ts'
import { conv2d, maxPool } from './layers/spatial.ts'
import { embedding, transformerBlock } from './layers/attention.ts'
import { layerNorm } from './layers/basic.ts'

export function mlp(inputShape = [1, 28, 28], hidden = [256, 128], classes = 10): Model {
  const features = inputShape.reduce((a, b) => a * b, 1)
  const widths = [features, ...hidden]
  return {
    name: 'mlp',
    inputShape,
    classes,
    layers: [flatten(), ...hidden.flatMap((h, i) => [linear(widths[i]!, h), relu()]), linear(widths[widths.length - 1]!, classes)],
  }
}

export function cnn(channels = [16, 32], dense = 128, classes = 10): Model {
  const [c1, c2] = channels as [number, number]
  return {
    name: 'cnn',
    inputShape: [1, 28, 28],
    classes,
    layers: [conv2d(1, c1, 3), relu(), maxPool(2), conv2d(c1, c2, 3), relu(), maxPool(2), flatten(), linear(c2 * 7 * 7, dense), relu(), linear(dense, classes)],
  }
}

export function tinyTransformer(vocab = 16, seqLen = 8, dim = 16, heads = 2, blocks = 1): Model {
  return {
    name: 'transformer',
    inputShape: [seqLen, vocab],
    classes: vocab,
    layers: [embedding(vocab, dim, seqLen), ...Array.from({ length: blocks }, () => transformerBlock(dim, heads, seqLen)), layerNorm(dim), linear(dim, vocab)],
  }
}

export const MODEL_ZOO = { mlp: () => mlp(), cnn: () => cnn(), transformer: () => tinyTransformer() } as const
export type ZooModelName = keyof typeof MODEL_ZOO
