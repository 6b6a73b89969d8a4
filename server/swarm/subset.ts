// A contiguous slice of a labelled image set (views, no copy).
import type { LabelledImages } from '../../src/data/labelled-images.ts'

export function subset(set: LabelledImages, start: number, count: number): LabelledImages {
  const size = set.height * set.width
  const n = Math.min(count, set.count - start)
  return { ...set, count: n, pixels: set.pixels.subarray(start * size, (start + n) * size), labels: set.labels.subarray(start, start + n) }
}
