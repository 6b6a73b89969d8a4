import { describe, expect, it } from 'vitest'
import { readIdxPair, type LabelledImages } from '../data/labelled-images.ts'
import { reviewOffer } from './data-review.ts'
import { seededRandom } from '../random.ts'
import { readFashionFile } from '../data/testing/fashion-files.ts'

// From where every Node script finds the set (FASHION_MNIST_DIR or ../shared), so the mutation runner's sandbox finds it too.
// Decoding the 60,000 training images takes seconds, and far longer under the mutation runner's coverage
// instrumentation on a busy machine: each split is read once for the file, with room to spare.
const LOAD_TIMEOUT_MS = 120_000
const loading = new Map<string, Promise<LabelledImages>>()
const load = (split: 'train' | 't10k') => loading.get(split) ?? loading.set(split, readSplit(split)).get(split)!
const readSplit = async (split: 'train' | 't10k') => readIdxPair({ bytes: await readFashionFile(`${split}-images-idx3-ubyte.gz`), name: split }, { bytes: await readFashionFile(`${split}-labels-idx1-ubyte.gz`), name: split })

function slice(set: LabelledImages, start: number, count: number): LabelledImages {
  return { ...set, count, pixels: set.pixels.slice(start * 784, (start + count) * 784), labels: set.labels.slice(start, start + count) }
}

/** Photos of coloured stripes, converted to 28×28 grayscale the way the importer does, all labelled `label`. */
function stripes(count: number, label: number): LabelledImages {
  const r = seededRandom(5)
  const pixels = new Uint8Array(count * 784)
  for (let n = 0; n < count; n++) {
    const period = 2 + Math.floor(r() * 6)
    const vertical = r() < 0.5
    const [a, b] = [40 + r() * 80, 150 + r() * 100]
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) pixels[n * 784 + y * 28 + x] = Math.floor(((vertical ? x : y) / period) % 2) === 0 ? a : b
  }
  return { count, height: 28, width: 28, classes: 10, pixels, labels: new Uint8Array(count).fill(label) }
}

/** A stand-in for the current model: right on `accuracy` of the samples, wrong (another class) on the rest. */
function predictionsAt(set: LabelledImages, accuracy: number): Uint8Array {
  const r = seededRandom(9)
  return Uint8Array.from(set.labels, (l) => (r() < accuracy ? l : (l + 1 + Math.floor(r() * 9)) % 10))
}

describe('offer review', () => {
  it('raises nothing for honest Fashion-MNIST images, and shows their class balance and a grid over the classes', async () => {
    const [train, test] = await Promise.all([load('train'), load('t10k')])
    const offer = slice(test, 0, 400)
    const review = reviewOffer(offer, slice(train, 0, 1000), { predictions: predictionsAt(offer, 0.75), accuracy: 0.78 })
    expect(review.flags).toEqual([])
    expect(review.classCounts.reduce((a, b) => a + b)).toBe(400)
    expect(review.classCounts.every((c) => c > 20)).toBe(true)
    expect(new Set(Array.from(review.grid, (i) => offer.labels[i])).size).toBe(10)
    expect(review.outOfDistribution).toBeLessThan(0.05 * 400)
  }, LOAD_TIMEOUT_MS)

  it('flags colour stripe photos labelled "Coat": out of distribution, one class, and labels the model disagrees with', async () => {
    const train = await load('train')
    const offer = stripes(40, 4)
    const review = reviewOffer(offer, slice(train, 0, 1000), { predictions: Uint8Array.from({ length: 40 }, (_, i) => [8, 3, 6][i % 3]!), accuracy: 0.78 })
    expect(review.flags.map((f) => f.code).sort()).toEqual(['LABELS_DISAGREE', 'ONE_CLASS', 'OUT_OF_DISTRIBUTION'])
    expect(review.outOfDistribution).toBeGreaterThan(30)
    // Without a model yet, the data's own checks still catch it.
    expect(reviewOffer(offer, slice(train, 0, 1000)).flags.map((f) => f.code)).toContain('OUT_OF_DISTRIBUTION')
  }, LOAD_TIMEOUT_MS)

  it('flags near-copies within the offer and copies of the job\'s own data', async () => {
    const [train, test] = await Promise.all([load('train'), load('t10k')])
    const honest = slice(test, 0, 100)
    // Each image three times, brightened by one level: not byte-identical, the same picture.
    const pixels = new Uint8Array(300 * 784)
    for (let k = 0; k < 3; k++) for (let i = 0; i < 100 * 784; i++) pixels[k * 100 * 784 + i] = Math.min(255, honest.pixels[i]! + k)
    const tripled: LabelledImages = { ...honest, count: 300, pixels, labels: Uint8Array.from({ length: 300 }, (_, i) => honest.labels[i % 100]!) }
    expect(reviewOffer(tripled, slice(train, 0, 1000)).flags.map((f) => f.code)).toContain('NEAR_DUPLICATES')
    const copied = slice(train, 0, 200)
    expect(reviewOffer(copied, slice(train, 0, 1000)).flags.map((f) => f.code)).toContain('COPIES_JOB_DATA')
  }, LOAD_TIMEOUT_MS)
})
