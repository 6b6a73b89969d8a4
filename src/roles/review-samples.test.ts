// Any task's samples as the data review sees them: colour pictures by luminance, table rows standardised as the
// model reads them, text windows by character counts; and the preview the owner looks at.
import { describe, expect, it } from 'vitest'
import { makeBlock } from '../data/task-block.ts'
import type { ImageTask, TabularTask, TextTask } from '../data/task.ts'
import { UNKNOWN } from '../data/text.ts'
import { reviewSamples as reviewOffer } from '../training/data-review.ts'
import { offerPreview, reviewImages, reviewSamples } from './review-samples.ts'

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
})
