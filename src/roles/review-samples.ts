// Any task's offered or reference samples as the data review compares them (training/data-review.ts): images
// by their luminance (pooled cells and texture, whatever their channels), table rows by their standardised
// features as the model reads them, text windows by their character counts. Labels travel when the task has
// classes. Also the few images the owner looks at beside the review, in the grayscale or colour they have.
import { sampleText, type TabularFormat, type TextFormat } from '../data/sample-format.ts'
import { encodeRow } from '../data/tabular-samples.ts'
import type { TaskBlock } from '../data/task-block.ts'
import { taskClasses, type TaskSpec } from '../data/task.ts'
import { vocabSize } from '../data/text.ts'
import { encodedWidth } from '../data/tabular-schema.ts'
import { imageReviewSamples, type ReviewImages, type ReviewSamples } from '../training/data-review.ts'

/** Rec. 601 luminance of channel-major RGB, as a grayscale picture (the review looks at shapes, not colour). */
function luminance(pixels: Uint8Array, plane: number, count: number): Uint8Array {
  const out = new Uint8Array(count * plane)
  for (let n = 0; n < count; n++) {
    const at = n * 3 * plane
    for (let p = 0; p < plane; p++) out[n * plane + p] = Math.round(0.299 * pixels[at + p]! + 0.587 * pixels[at + plane + p]! + 0.114 * pixels[at + 2 * plane + p]!)
  }
  return out
}

/** The task's images as one grayscale set (a colour task by luminance). */
export function reviewImages(task: TaskSpec & { kind: 'image' }, block: TaskBlock, limit = block.count): ReviewImages {
  const count = Math.min(limit, block.count)
  const plane = task.height * task.width
  const x = block.x as Uint8Array
  const pixels = task.channels === 3 ? luminance(x, plane, count) : x.slice(0, count * plane)
  return { count, height: task.height, width: task.width, classes: task.classes.length, pixels, labels: Uint8Array.from((block.y ?? []).slice(0, count)) }
}

/** The review looks at this many samples of an offer at most, spread evenly over it (its cost grows with each). */
export const MAX_REVIEWED_SAMPLES = 4096
/** A standardised input or label this many standard deviations out cannot be trained on (float32 overflows). */
export const MAX_STANDARD_DEVIATIONS = 1e4

/** At most `limit` samples of `block`, evenly spread over all of it (all of them when it is small enough). */
export function spreadSamples(block: TaskBlock, limit = MAX_REVIEWED_SAMPLES): TaskBlock {
  if (block.count <= limit) return block
  const picks = Array.from({ length: limit }, (_, k) => Math.floor((k * block.count) / limit))
  const x = new (block.x.constructor as new (n: number) => TaskBlock['x'])(limit * block.perSample)
  picks.forEach((i, k) => x.set(block.x.subarray(i * block.perSample, (i + 1) * block.perSample), k * block.perSample))
  const y = block.y ? new (block.y.constructor as new (n: number) => NonNullable<TaskBlock['y']>)(limit) : null
  if (y) picks.forEach((i, k) => (y[k] = block.y![i]!))
  return { count: limit, perSample: block.perSample, x, y }
}

/**
 * The first sample a model of the job could not train on, in words, or null: a table value or a value to predict
 * that the job's statistics standardise to something non-finite or absurdly far out (one row of 3e38 would make
 * every unit drawing it diverge and cost honest volunteers their reputation).
 */
export function firstUntrainable(task: TaskSpec, block: TaskBlock): string | null {
  if (task.kind !== 'tabular') return null
  const row = new Float32Array(encodedWidth(task.schema))
  const far = (v: number) => !Number.isFinite(v) || Math.abs(v) > MAX_STANDARD_DEVIATIONS
  for (let n = 0; n < block.count; n++) {
    row.fill(0)
    encodeRow(task.schema, task.stats, block.x.subarray(n * block.perSample, (n + 1) * block.perSample), row)
    const at = row.findIndex(far)
    if (at >= 0) return `sample ${n + 1} has a value ${Number.isFinite(row[at]!) ? `${Math.abs(row[at]!).toExponential(1)} standard deviations out` : 'too large for float32'} in its inputs; the job cannot train on it`
    if (task.target && block.y && far((block.y[n]! - task.target.mean) / task.target.std)) return `sample ${n + 1} has a value to predict (${block.y[n]}) far outside the job's "${task.schema.label}" (mean ${task.target.mean.toPrecision(3)}, standard deviation ${task.target.std.toPrecision(3)}); the job cannot train on it`
  }
  return null
}

export function reviewSamples(task: TaskSpec, block: TaskBlock, limit = block.count): ReviewSamples {
  const count = Math.min(limit, block.count)
  if (task.kind === 'image') return imageReviewSamples(reviewImages(task, block, count))
  const classes = taskClasses(task)
  const labels = classes && block.y ? Uint8Array.from(block.y.subarray(0, count)) : null
  const features: Float32Array[] = []
  for (let n = 0; n < count; n++) {
    const stored = block.x.subarray(n * block.perSample, (n + 1) * block.perSample)
    if (task.kind === 'tabular') {
      const row = new Float32Array(encodedWidth(task.schema))
      encodeRow(task.schema, task.stats, stored, row)
      features.push(row)
    } else {
      // Character counts of the window: copies of the same passage match exactly, and a text in another
      // alphabet or language is far from the job's own.
      const counts = new Float32Array(vocabSize(task.schema))
      for (const token of stored) counts[token]!++
      features.push(counts)
    }
  }
  return { count, classes: classes?.length ?? 0, labels, features }
}

/** What the owner looks at beside an offer's review: some of its images, or some of its rows or text windows. */
export type OfferPreview =
  | { kind: 'images'; count: number; height: number; width: number; channels: 1 | 3; pixels: Uint8Array; labels: string[] }
  | { kind: 'lines'; lines: Array<{ text: string; label: string | null }> }

/** The samples at `indices` (the review's grid) as the owner sees them. */
export function offerPreview(task: TaskSpec, block: TaskBlock, indices: readonly number[]): OfferPreview {
  const classes = taskClasses(task)
  const labelOf = (i: number) => (classes && block.y ? (classes[block.y[i]!] ?? String(block.y[i])) : task.kind === 'tabular' && block.y ? String(block.y[i]) : null)
  if (task.kind === 'image') {
    const size = block.perSample
    const pixels = new Uint8Array(indices.length * size)
    indices.forEach((i, k) => pixels.set((block.x as Uint8Array).subarray(i * size, (i + 1) * size), k * size))
    return { kind: 'images', count: indices.length, height: task.height, width: task.width, channels: task.channels, pixels, labels: indices.map(labelOf) as string[] }
  }
  const format = { kind: task.kind, schema: task.schema } as TabularFormat | TextFormat
  const lines = indices.map((i) => ({ text: sampleText(format, block.x.subarray(i * block.perSample, (i + 1) * block.perSample)), label: labelOf(i) }))
  return { kind: 'lines', lines }
}
