// Turns labelled images into training batches: pixels scaled to [0, 1] and standardised, labels one-hot,
// order shuffled by a seeded permutation so a work unit replays exactly.
import type { LabelledImages } from './labelled-images.ts'
import { seededRandom } from '../random.ts'

export interface Normalisation {
  mean: number
  std: number
}

/** Fashion-MNIST training-set pixel statistics (after scaling to [0, 1]). */
export const FASHION_MNIST_NORMALISATION: Normalisation = { mean: 0.286, std: 0.353 }

export function seededPermutation(n: number, seed: number): Uint32Array {
  const random = seededRandom(seed)
  const order = Uint32Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  return order
}

export function makeBatch(set: LabelledImages, indices: ArrayLike<number>, norm: Normalisation): { x: Float32Array; y: Float32Array } {
  const size = set.height * set.width
  const x = new Float32Array(indices.length * size)
  const y = new Float32Array(indices.length * set.classes)
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b]!
    for (let p = 0; p < size; p++) x[b * size + p] = (set.pixels[i * size + p]! / 255 - norm.mean) / norm.std
    y[b * set.classes + set.labels[i]!] = 1
  }
  return { x, y }
}
