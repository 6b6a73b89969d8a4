// Any task's samples as the data review sees them: colour pictures by luminance, table rows standardised as the
// model reads them, text windows by character counts; and the preview the owner looks at.
import { describe, expect, it } from 'vitest'
import { makeBlock } from '../data/task-block.ts'
import type { ImageTask, TabularTask, TextTask } from '../data/task.ts'
import { UNKNOWN } from '../data/text.ts'
import { reviewSamples as reviewOffer } from '../training/data-review.ts'
import { firstUntrainable, MAX_REVIEWED_SAMPLES, offerPreview, reviewImages, reviewSamples, spreadSamples } from './review-samples.ts'

const RGB: ImageTask = { kind: 'image', height: 2, width: 2, channels: 3, classes: ['dark', 'light'], fit: 'crop', normalisation: { mean: 0.5, std: 0.25 } }
const TABLE: TabularTask = {
  kind: 'tabular',
  schema: { kind: 'tabular', features: [{ name: 'size', kind: 'numeric' }, { name: 'colour', kind: 'categorical', categories: ['red', 'blue'] }], label: 'kind', target: { kind: 'classification', classes: ['a', 'b'] } },
  stats: { features: [{ mean: 10, std: 2 }, null] },
  target: null,
}
const TEXT: TextTask = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: [UNKNOWN, 'a', 'b', ' '], context: 3 } }

describe('review samples', () => {
  it('sees a colour picture by its luminance, channel-major, with its labels', () => {
    // Pixel 0 pure red, pixel 1 pure green, pixel 2 pure blue, pixel 3 white; the second picture is black.
    const x = Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, ...new Array(12).fill(0)])
    const images = reviewImages(RGB, makeBlock(RGB, x, Uint8Array.of(1, 0)))
    expect(images).toMatchObject({ count: 2, height: 2, width: 2, classes: 2 })
    expect(Array.from(images.pixels)).toEqual([76, 150, 29, 255, 0, 0, 0, 0])
    expect(Array.from(images.labels)).toEqual([1, 0])
  })

  it('sees a table row as the model reads it, and copies of a row as near-duplicates', () => {
    const rows = makeBlock(TABLE, Float32Array.from([12, 0, NaN, 1, 12, 0]), Float32Array.of(0, 1, 0))
    const samples = reviewSamples(TABLE, rows)
    expect(samples.features.map((f) => Array.from(f))).toEqual([[1, 1, 0], [0, 0, 1], [1, 1, 0]])
    expect(Array.from(samples.labels!)).toEqual([0, 1, 0])
    expect(samples.classes).toBe(2)
    const many = makeBlock(TABLE, Float32Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 12 : 0)), Float32Array.from({ length: 30 }, (_, i) => i % 2))
    expect(reviewOffer(reviewSamples(TABLE, many), null).flags.map((f) => f.code)).toContain('NEAR_DUPLICATES')
  })

  it('sees a text window by its character counts, without labels', () => {
    const windows = makeBlock(TEXT, Uint16Array.of(1, 1, 2, 3, 3, 3, 0, 1, 1, 2, 0, 0), null)
    const samples = reviewSamples(TEXT, windows)
    expect(samples.features.map((f) => Array.from(f))).toEqual([[0, 2, 1, 1], [1, 1, 0, 2], [2, 1, 1, 0]])
    expect(samples.labels).toBeNull()
    expect(reviewOffer(samples, null).classCounts).toEqual([])
  })

  it('previews pictures in their colours with class names, rows and text as lines', () => {
    const x = Uint8Array.from({ length: 24 }, (_, i) => i)
    const pictures = offerPreview(RGB, makeBlock(RGB, x, Uint8Array.of(0, 1)), [1])
    expect(pictures).toEqual({ kind: 'images', count: 1, height: 2, width: 2, channels: 3, pixels: x.slice(12), labels: ['light'] })
    const rows = offerPreview(TABLE, makeBlock(TABLE, Float32Array.from([12, 1, NaN, -1]), Float32Array.of(1, 0)), [0, 1])
    expect(rows).toEqual({ kind: 'lines', lines: [{ text: 'size=12, colour=blue', label: 'b' }, { text: 'size=, colour=', label: 'a' }] })
    expect(offerPreview(TEXT, makeBlock(TEXT, Uint16Array.of(1, 2, 3, 0), null), [0])).toEqual({ kind: 'lines', lines: [{ text: `ab ${UNKNOWN}`, label: null }] })
  })

  it('finds a table value or a value to predict the job could not train on', () => {
    const rows = (values: number[], labels: number[]) => makeBlock(TABLE, Float32Array.from(values), Float32Array.from(labels))
    expect(firstUntrainable(TABLE, rows([12, 0, NaN, -1, 30, 1], [0, 1, 0]))).toBeNull()
    // 10 + 2 × 10⁴ is exactly the limit; one more is out.
    expect(firstUntrainable(TABLE, rows([10 + 2e4, 0], [0]))).toBeNull()
    expect(firstUntrainable(TABLE, rows([12, 0, 10 + 2e4 + 1, 0], [0, 1]))).toMatch(/^sample 2 has a value 1\.0e\+4 standard deviations out in its inputs/)
    expect(firstUntrainable(TABLE, rows([3e38, 0], [0]))).toMatch(/^sample 1 has a value 1\.5e\+38 standard deviations out in its inputs/)
    const narrow: typeof TABLE = { ...TABLE, stats: { features: [{ mean: 0, std: 0.5 }, null] } }
    expect(firstUntrainable(narrow, makeBlock(narrow, Float32Array.of(3e38, 0), Float32Array.of(0)))).toMatch(/^sample 1 has a value too large for float32 in its inputs/)
    const price: typeof TABLE = { ...TABLE, schema: { ...TABLE.schema, target: { kind: 'regression' } }, target: { mean: 20, std: 5 } }
    expect(firstUntrainable(price, makeBlock(price, Float32Array.of(12, 0, 12, 0), Float32Array.of(25, 20 + 5e4)))).toBeNull()
    expect(firstUntrainable(price, makeBlock(price, Float32Array.of(12, 0, 12, 0), Float32Array.of(25, 3e38)))).toMatch(/^sample 2 has a value to predict \(3\.\d+e\+38\) far outside the job's "kind"/)
    expect(firstUntrainable(TEXT, makeBlock(TEXT, Uint16Array.of(1, 2, 3, 0), null))).toBeNull()
  })

  it('reviews an even spread of a large offer, labels and all', () => {
    const count = MAX_REVIEWED_SAMPLES * 3
    const big = makeBlock(TABLE, Float32Array.from({ length: count * 2 }, (_, i) => (i % 2 === 0 ? i / 2 : 0)), Float32Array.from({ length: count }, (_, i) => i % 2))
    const spread = spreadSamples(big)
    expect(spread.count).toBe(MAX_REVIEWED_SAMPLES)
    expect([spread.x[0], spread.x[2], spread.x[2 * (MAX_REVIEWED_SAMPLES - 1)]]).toEqual([0, 3, count - 3])
    expect(Array.from(spread.y!.subarray(0, 3))).toEqual([0, 1, 0])
    const small = makeBlock(TABLE, Float32Array.of(1, 0), Float32Array.of(1))
    expect(spreadSamples(small)).toBe(small)
  })
})
