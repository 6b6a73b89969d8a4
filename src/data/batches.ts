// Turns labelled images into training batches: pixels scaled to [0, 1] and standardised, labels one-hot.
import type { LabelledImages } from './labelled-images.ts'

export interface Normalisation {
  mean: number
  std: number
}

/** Fashion-MNIST training-set pixel statistics (after scaling to [0, 1]). */
export const FASHION_MNIST_NORMALISATION: Normalisation = { mean: 0.286, std: 0.353 }

/** `into`: arrays of a spent batch to overwrite (used only when both have exactly this batch's sizes). */
export function makeBatch(set: LabelledImages, indices: ArrayLike<number>, norm: Normalisation, into?: { x: Float32Array; y: Float32Array }): { x: Float32Array; y: Float32Array } {
  const size = set.height * set.width
  const fits = into !== undefined && into.x.length === indices.length * size && into.y.length === indices.length * set.classes
  const x = fits ? into.x : new Float32Array(indices.length * size)
  const y = fits ? into.y.fill(0) : new Float32Array(indices.length * set.classes)
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b]!
    for (let p = 0; p < size; p++) x[b * size + p] = (set.pixels[i * size + p]! / 255 - norm.mean) / norm.std
    y[b * set.classes + set.labels[i]!] = 1
  }
  return { x, y }
}
