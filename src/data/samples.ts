// The samples a contributor is assembling: grayscale images of the job's input shape, a label per image, and
// where each came from (file and row) so every later message can point back at the source.
import { DataFormatError } from './errors.ts'
import { FASHION_MNIST_CLASSES } from './fashion-mnist-files.ts'
import type { LabelledImages } from './labelled-images.ts'

/** What a dataset must look like to serve a job: its input size and its class names, in label order. */
export interface SampleShape {
  height: number
  width: number
  classes: readonly string[]
}

export const FASHION_MNIST_SHAPE: SampleShape = { height: 28, width: 28, classes: FASHION_MNIST_CLASSES }
/** Labels are stored as bytes. */
export const MAX_CLASSES = 256

export interface SampleSource {
  file: string
  /** 1-based row, line or image index within the file (0 for a file that holds one image). */
  row: number
}

export interface SampleSet {
  shape: SampleShape
  count: number
  /** count × height × width bytes, row-major, 0 = background. */
  pixels: Uint8Array
  labels: Uint8Array
  sources: SampleSource[]
}

export const pixelsPerSample = (shape: SampleShape) => shape.height * shape.width

export function emptySamples(shape: SampleShape): SampleSet {
  return { shape, count: 0, pixels: new Uint8Array(0), labels: new Uint8Array(0), sources: [] }
}

export function sameShape(a: SampleShape, b: SampleShape): boolean {
  return a.height === b.height && a.width === b.width && a.classes.length === b.classes.length && a.classes.every((c, i) => c === b.classes[i])
}

export function describeShape(shape: SampleShape): string {
  return `${shape.height}×${shape.width} grayscale, ${shape.classes.length} classes`
}

/** Appends `more` to `set`; both must have the same shape. */
export function appendSamples(set: SampleSet, more: SampleSet): SampleSet {
  if (!sameShape(set.shape, more.shape)) throw new DataFormatError(more.sources[0]?.file ?? 'the import', `has shape ${describeShape(more.shape)}, but this dataset is ${describeShape(set.shape)}`)
  const size = pixelsPerSample(set.shape)
  const pixels = new Uint8Array((set.count + more.count) * size)
  pixels.set(set.pixels)
  pixels.set(more.pixels, set.count * size)
  const labels = new Uint8Array(set.count + more.count)
  labels.set(set.labels)
  labels.set(more.labels, set.count)
  return { shape: set.shape, count: set.count + more.count, pixels, labels, sources: [...set.sources, ...more.sources] }
}

/** Gives every listed sample the label `label`; pixels are shared, not copied. */
export function relabel(set: SampleSet, indices: Iterable<number>, label: number): SampleSet {
  if (!Number.isInteger(label) || label < 0 || label >= set.shape.classes.length) throw new RangeError(`label ${label} is not one of the ${set.shape.classes.length} classes`)
  const labels = set.labels.slice()
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= set.count) throw new RangeError(`sample ${i} does not exist (the dataset has ${set.count})`)
    labels[i] = label
  }
  return { ...set, labels }
}

export function removeSamples(set: SampleSet, indices: Iterable<number>): SampleSet {
  const drop = new Set(indices)
  const keep: number[] = []
  for (let i = 0; i < set.count; i++) if (!drop.has(i)) keep.push(i)
  return selectSamples(set, keep)
}

export function selectSamples(set: SampleSet, keep: readonly number[]): SampleSet {
  const size = pixelsPerSample(set.shape)
  const pixels = new Uint8Array(keep.length * size)
  const labels = new Uint8Array(keep.length)
  keep.forEach((from, to) => {
    pixels.set(set.pixels.subarray(from * size, (from + 1) * size), to * size)
    labels[to] = set.labels[from]!
  })
  return { shape: set.shape, count: keep.length, pixels, labels, sources: keep.map((i) => set.sources[i]!) }
}

export function classCounts(set: Pick<SampleSet, 'labels' | 'shape'>): number[] {
  const counts = new Array<number>(set.shape.classes.length).fill(0)
  for (const l of set.labels) counts[l]!++
  return counts
}

export function asLabelledImages(set: SampleSet): LabelledImages {
  return { count: set.count, height: set.shape.height, width: set.shape.width, pixels: set.pixels, labels: set.labels, classes: set.shape.classes.length }
}

/**
 * Resolves a label as written in a file: a class name (case and surrounding space ignored) or a class
 * index. Returns null for anything else so the caller can name the file and row.
 */
export function labelResolver(classes: readonly string[]): (text: string) => number | null {
  const byName = new Map(classes.map((c, i) => [c.trim().toLowerCase(), i]))
  return (text) => {
    const t = text.trim()
    const named = byName.get(t.toLowerCase())
    if (named !== undefined) return named
    if (/^\d+$/.test(t)) {
      const i = Number(t)
      if (i < classes.length) return i
    }
    return null
  }
}

export function unknownLabel(text: string, classes: readonly string[]): string {
  return `label "${text.slice(0, 60)}" is not a class of this dataset (expected one of ${classes.map((c) => `"${c}"`).join(', ')}, or an index 0–${classes.length - 1})`
}
