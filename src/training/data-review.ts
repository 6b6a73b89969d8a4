// Cheap automatic checks of an offered dataset, shown to the job owner beside a sample grid and the class
// balance before they accept it: near-duplicates (within the offer, and copies of the job's own data),
// images unlike anything the job trains on (out of distribution), and labels the current model disagrees
// with far more than it disagrees with the job's own test data. None of them decides anything alone; an
// unattended coordinator accepts only an offer with no flag.

/** A labelled image set as the data module decodes it (training never imports data: the shape is restated). */
export interface ReviewImages {
  count: number
  height: number
  width: number
  classes: number
  /** count × height × width bytes, row-major. */
  pixels: Uint8Array
  labels: Uint8Array
}
type LabelledImages = ReviewImages

export type ReviewFlagCode = 'NEAR_DUPLICATES' | 'COPIES_JOB_DATA' | 'OUT_OF_DISTRIBUTION' | 'LABELS_DISAGREE' | 'ONE_CLASS'
export interface ReviewFlag {
  code: ReviewFlagCode
  params: Record<string, number | string>
}

export interface OfferReview {
  samples: number
  /** Samples per class index. */
  classCounts: number[]
  /** Up to GRID_SIZE sample indices spread over the classes present: what the owner looks at. */
  grid: number[]
  nearDuplicates: number
  copiesOfJobData: number
  outOfDistribution: number
  /** Share of samples whose label the current model predicts, beside its accuracy on the job's test data (null without a model). */
  labelAgreement: number | null
  modelAccuracy: number | null
  flags: ReviewFlag[]
}

export const GRID_SIZE = 32
/** Pooled to this many cells a side: robust to a pixel of jitter, cheap to compare. */
const POOL = 7
/** A flag is raised when more than this share of the offer is affected. */
const DUPLICATE_SHARE = 0.1
const OOD_SHARE = 0.2
/** An offer image is out of distribution when farther from the job's data than this quantile of the job's own spread. */
const OOD_QUANTILE = 0.99
/** The model must do this much better than chance before its disagreement means anything. */
const MODEL_MARGIN = 0.2

/** Each image average-pooled to POOL×POOL cells, scaled to 0–1. */
function pooled(set: LabelledImages, limit = set.count): Float32Array[] {
  const size = set.height * set.width
  const out: Float32Array[] = []
  for (let n = 0; n < Math.min(limit, set.count); n++) {
    const cells = new Float32Array(POOL * POOL)
    const counts = new Float32Array(POOL * POOL)
    for (let y = 0; y < set.height; y++) {
      const cy = Math.min(POOL - 1, Math.floor((y * POOL) / set.height))
      for (let x = 0; x < set.width; x++) {
        const c = cy * POOL + Math.min(POOL - 1, Math.floor((x * POOL) / set.width))
        cells[c]! += set.pixels[n * size + y * set.width + x]! / 255
        counts[c]!++
      }
    }
    for (let c = 0; c < cells.length; c++) cells[c]! /= counts[c]!
    out.push(cells)
  }
  return out
}

/** Pooled detail of each image: mean absolute difference between neighbouring pixels (stripes and noise are high). */
function texture(set: LabelledImages, n: number): number {
  const size = set.height * set.width
  let sum = 0
  for (let y = 0; y < set.height; y++) for (let x = 1; x < set.width; x++) sum += Math.abs(set.pixels[n * size + y * set.width + x]! - set.pixels[n * size + y * set.width + x - 1]!)
  for (let y = 1; y < set.height; y++) for (let x = 0; x < set.width; x++) sum += Math.abs(set.pixels[n * size + y * set.width + x]! - set.pixels[n * size + (y - 1) * set.width + x]!)
  return sum / (2 * size * 255)
}

const features = (set: LabelledImages, limit?: number) => pooled(set, limit).map((cells, n) => Float32Array.from([...cells, 4 * texture(set, n)]))

function distance2(a: Float32Array, b: Float32Array): number {
  let d = 0
  for (let i = 0; i < a.length; i++) d += (a[i]! - b[i]!) ** 2
  return d
}

function nearest(x: Float32Array, pool: readonly Float32Array[], skip = -1): number {
  let best = Infinity
  for (let j = 0; j < pool.length; j++) if (j !== skip) best = Math.min(best, distance2(x, pool[j]!))
  return best
}

const key = (f: Float32Array) => Array.from(f, (v) => Math.round(v * 16)).join(',')

function spreadGrid(labels: Uint8Array, count: number): number[] {
  const byClass = new Map<number, number[]>()
  for (let i = 0; i < count; i++) {
    const list = byClass.get(labels[i]!) ?? []
    if (list.length < GRID_SIZE) list.push(i)
    byClass.set(labels[i]!, list)
  }
  const grid: number[] = []
  for (let round = 0; grid.length < Math.min(GRID_SIZE, count); round++) for (const list of byClass.values()) if (round < list.length && grid.length < GRID_SIZE) grid.push(list[round]!)
  return grid
}

/**
 * Any task's samples as the review compares them: one feature vector per sample (an image's pooled cells and
 * texture, a table row's standardised features, a text window's character histogram: review-features.ts in
 * the data module), scaled so that about 1/16 is a negligible difference, and the class labels when the task
 * has classes (`classes` 0 and `labels` null otherwise).
 */
export interface ReviewSamples {
  count: number
  classes: number
  labels: Uint8Array | null
  features: Float32Array[]
}

/** Grayscale images as review samples (the zoo's tasks, and the tests). */
export function imageReviewSamples(set: LabelledImages, limit?: number): ReviewSamples {
  const count = Math.min(limit ?? set.count, set.count)
  return { count, classes: set.classes, labels: set.labels.subarray(0, count), features: features(set, limit) }
}

/**
 * Reviews `offer` against `reference` (a sample of the job's own training data; without it, nothing is
 * compared with the job's data). `model`, when given, holds the
 * current model's predictions for the offer's samples (in order) and its accuracy on the job's test data.
 */
export function reviewOffer(offer: LabelledImages, reference: LabelledImages | null, model?: { predictions: Uint8Array; accuracy: number }): OfferReview {
  return reviewSamples(imageReviewSamples(offer), reference ? imageReviewSamples(reference, 1000) : null, model)
}

/** reviewOffer for any task's samples. */
export function reviewSamples(offer: ReviewSamples, reference: ReviewSamples | null, model?: { predictions: Uint8Array; accuracy: number }): OfferReview {
  const classCounts = Array.from({ length: offer.classes }, () => 0)
  if (offer.labels) for (let i = 0; i < offer.count; i++) classCounts[offer.labels[i]!]!++
  const mine = offer.features
  const theirs = reference ? reference.features.slice(0, 1000) : []
  // Near-duplicates: equal after pooling and coarse quantisation (a re-encoded or slightly shifted copy).
  const seen = new Set<string>()
  const jobKeys = new Set(theirs.map(key))
  let nearDuplicates = 0
  let copiesOfJobData = 0
  for (const f of mine) {
    const k = key(f)
    if (seen.has(k)) nearDuplicates++
    seen.add(k)
    if (jobKeys.has(k)) copiesOfJobData++
  }
  // Out of distribution: farther from every reference image than almost any reference image is from its nearest other.
  const spread = theirs.map((f, j) => nearest(f, theirs, j)).sort((a, b) => a - b)
  const limit = spread[Math.min(spread.length - 1, Math.floor(OOD_QUANTILE * spread.length))] ?? Infinity
  const outOfDistribution = theirs.length < 2 ? 0 : mine.filter((f) => nearest(f, theirs) > limit).length
  let labelAgreement: number | null = null
  if (model && model.predictions.length > 0 && offer.labels) {
    let agree = 0
    for (let i = 0; i < model.predictions.length; i++) if (model.predictions[i] === offer.labels[i]) agree++
    labelAgreement = agree / model.predictions.length
  }
  const flags: ReviewFlag[] = []
  const share = (n: number) => Math.round((100 * n) / Math.max(1, offer.count))
  if (nearDuplicates > DUPLICATE_SHARE * offer.count) flags.push({ code: 'NEAR_DUPLICATES', params: { percent: share(nearDuplicates) } })
  if (copiesOfJobData > DUPLICATE_SHARE * offer.count) flags.push({ code: 'COPIES_JOB_DATA', params: { percent: share(copiesOfJobData) } })
  if (outOfDistribution > OOD_SHARE * offer.count) flags.push({ code: 'OUT_OF_DISTRIBUTION', params: { percent: share(outOfDistribution) } })
  const chance = 1 / offer.classes
  if (model && labelAgreement !== null && model.accuracy > chance + MODEL_MARGIN && labelAgreement < Math.max(chance + 0.1, model.accuracy - 0.3))
    flags.push({ code: 'LABELS_DISAGREE', params: { agreement: Math.round(100 * labelAgreement), accuracy: Math.round(100 * model.accuracy) } })
  if (offer.classes > 1 && classCounts.filter((c) => c > 0).length === 1 && offer.count >= 20) flags.push({ code: 'ONE_CLASS', params: { class: classCounts.findIndex((c) => c > 0) } })
  // Without classes to spread over, the grid is spread over the whole offer (a bad row anywhere may show).
  const shown = Math.min(GRID_SIZE, offer.count)
  const grid = offer.labels ? spreadGrid(offer.labels, offer.count) : Array.from({ length: shown }, (_, i) => Math.floor((i * offer.count) / shown))
  return { samples: offer.count, classCounts, grid, nearDuplicates, copiesOfJobData, outOfDistribution, labelAgreement, modelAccuracy: model?.accuracy ?? null, flags }
}

/** The owner-facing sentence for a flag. */
export function flagText(flag: ReviewFlag, classes: readonly string[]): string {
  const p = flag.params
  switch (flag.code) {
    case 'NEAR_DUPLICATES':
      return `${p.percent}% of the images are near-copies of other images in the offer`
    case 'COPIES_JOB_DATA':
      return `${p.percent}% of the images are near-copies of the job's own training data`
    case 'OUT_OF_DISTRIBUTION':
      return `${p.percent}% of the images look unlike anything the job trains on`
    case 'LABELS_DISAGREE':
      return `the current model agrees with only ${p.agreement}% of the labels, though it gets ${p.accuracy}% of the job's test data right`
    case 'ONE_CLASS':
      return `every image is labelled "${classes[Number(p.class)] ?? p.class}"`
  }
}
