// The offer review's thresholds on tiny 7×7 images, where pooling keeps every pixel: one near-copy in ten is
// not a flag and two are, two odd images in ten are not and three are, and the model's disagreement counts only
// past its margin over chance. Each flag's sentence is what the job owner reads.
import { describe, expect, it } from 'vitest'
import { flagText, GRID_SIZE, reviewOffer, type ReviewImages } from './data-review.ts'

const SIDE = 7
const uniform = (value: number) => new Uint8Array(SIDE * SIDE).fill(value)
const checker = (a: number, b: number) => Uint8Array.from({ length: SIDE * SIDE }, (_, i) => ((i % SIDE) + Math.floor(i / SIDE)) % 2 === 0 ? a : b)
function images(list: Uint8Array[], labels: number[] = list.map(() => 0), classes = 10): ReviewImages {
  const pixels = new Uint8Array(list.length * SIDE * SIDE)
  list.forEach((image, n) => pixels.set(image, n * SIDE * SIDE))
  return { count: list.length, height: SIDE, width: SIDE, classes, pixels, labels: Uint8Array.from(labels) }
}
/** Nine pictures that differ after pooling and coarse quantisation: grey levels 0, 32, …, 224 and white. */
const distinct = [0, 32, 64, 96, 128, 160, 192, 224, 255].map(uniform)
const codes = (review: { flags: Array<{ code: string }> }) => review.flags.map((f) => f.code)

describe('near-copies', () => {
  it('flags near-copies within the offer only past one in ten', () => {
    const one = reviewOffer(images([...distinct, uniform(0)]), null)
    expect(one.nearDuplicates).toBe(1)
    expect(one.flags).toEqual([])
    const two = reviewOffer(images([...distinct.slice(0, 8), uniform(0), uniform(1)]), null)
    expect(two.nearDuplicates).toBe(2)
    expect(two.flags).toEqual([{ code: 'NEAR_DUPLICATES', params: { percent: 20 } }])
  })

  it('flags copies of the job\'s own data only past one in ten', () => {
    const reference = images([uniform(0), uniform(32)])
    const one = reviewOffer(images([uniform(0), ...distinct.slice(2), uniform(16), uniform(48)]), reference)
    expect(one.copiesOfJobData).toBe(1)
    expect(codes(one)).not.toContain('COPIES_JOB_DATA')
    const two = reviewOffer(images(distinct.concat(uniform(16))), reference)
    expect(two.copiesOfJobData).toBe(2)
    expect(two.flags).toContainEqual({ code: 'COPIES_JOB_DATA', params: { percent: 20 } })
    expect(reviewOffer(images(distinct.concat(uniform(16))), null).copiesOfJobData).toBe(0)
  })
})

describe('out of distribution', () => {
  // The job's data: flat greys every 32 levels. Greys half-way between are near it; fine checkerboards are not.
  const reference = images([0, 32, 64, 96, 128, 160, 192, 224].map(uniform))
  const near = [16, 48, 80, 112, 144, 176, 208, 240].map(uniform)
  const odd = [checker(0, 255), checker(255, 0), checker(0, 200)]

  it('flags images unlike the job\'s data only past two in ten', () => {
    const two = reviewOffer(images([...near, ...odd.slice(0, 2)]), reference)
    expect(two).toMatchObject({ outOfDistribution: 2, nearDuplicates: 0, copiesOfJobData: 0, flags: [] })
    const three = reviewOffer(images([...near.slice(0, 7), ...odd]), reference)
    expect(three.outOfDistribution).toBe(3)
    expect(three.flags).toEqual([{ code: 'OUT_OF_DISTRIBUTION', params: { percent: 30 } }])
  })

  it('measures the job\'s own spread by its widest gap, whatever order its images come in', () => {
    // The last reference image sits 6 levels from its neighbour; the widest gap is still 32 levels.
    const uneven = images([0, 32, 64, 96, 128, 160, 192, 224, 230].map(uniform))
    expect(reviewOffer(images(near), uneven).outOfDistribution).toBe(0)
  })

  it('compares nothing with fewer than two reference images', () => {
    expect(reviewOffer(images(odd), images([uniform(0)])).outOfDistribution).toBe(0)
    expect(reviewOffer(images(odd), null).outOfDistribution).toBe(0)
  })
})

describe('labels the model disagrees with', () => {
  // Four classes: chance is 1/4, so the model must be right on more than 45% of the test data to count.
  const labels = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
  const offer = images(distinct.concat(uniform(16)), labels, 4)
  const predicting = (agreeing: number) => Uint8Array.from(labels, (l, i) => (i < agreeing ? l : (l + 1) % 4))

  it('flags agreement below the model\'s accuracy less 30 points', () => {
    const at = reviewOffer(offer, null, { predictions: predicting(5), accuracy: 0.8 })
    expect(at).toMatchObject({ labelAgreement: 0.5, modelAccuracy: 0.8, flags: [] })
    expect(reviewOffer(offer, null, { predictions: predicting(4), accuracy: 0.8 }).flags).toEqual([{ code: 'LABELS_DISAGREE', params: { agreement: 40, accuracy: 80 } }])
  })

  it('never flags below chance plus 10 points, and ignores a model no better than chance plus 20', () => {
    expect(codes(reviewOffer(offer, null, { predictions: predicting(4), accuracy: 0.5 }))).toEqual([])
    expect(codes(reviewOffer(offer, null, { predictions: predicting(3), accuracy: 0.5 }))).toEqual(['LABELS_DISAGREE'])
    expect(codes(reviewOffer(offer, null, { predictions: predicting(0), accuracy: 0.45 }))).toEqual([])
    expect(codes(reviewOffer(offer, null, { predictions: predicting(0), accuracy: 0.46 }))).toEqual(['LABELS_DISAGREE'])
  })

  it('has no agreement without predictions, and no accuracy without a model', () => {
    expect(reviewOffer(offer, null, { predictions: new Uint8Array(0), accuracy: 0.9 })).toMatchObject({ labelAgreement: null, modelAccuracy: 0.9, flags: [] })
    expect(reviewOffer(offer, null)).toMatchObject({ labelAgreement: null, modelAccuracy: null })
  })
})

describe('one class, class balance and the grid', () => {
  /** Distinct pictures: the first two pixels count the index in 17 grey levels, the rest is black. */
  const many = (count: number) =>
    Array.from({ length: count }, (_, i) => {
      const image = uniform(0)
      image[0] = Math.floor((i % 17) * 15.9)
      image[1] = Math.floor(Math.floor(i / 17) * 15.9)
      return image
    })

  it('flags an offer of twenty or more images all in one class, naming the class', () => {
    expect(reviewOffer(images(many(20), Array(20).fill(3)), null).flags).toEqual([{ code: 'ONE_CLASS', params: { class: 3 } }])
    expect(reviewOffer(images(many(19), Array(19).fill(3)), null).flags).toEqual([])
    expect(reviewOffer(images(many(20), [...Array(19).fill(3), 4]), null).flags).toEqual([])
    expect(reviewOffer(images(many(20), Array(20).fill(0), 1), null).flags).toEqual([])
  })

  it('counts samples per class and spreads the grid over the classes in the order they first appear', () => {
    const review = reviewOffer(images(many(5), [2, 2, 0, 1, 0], 4), null)
    expect(review).toMatchObject({ samples: 5, classCounts: [2, 1, 2, 0], grid: [0, 2, 3, 1, 4] })
  })

  it('shows at most 32 samples', () => {
    expect(GRID_SIZE).toBe(32)
    const review = reviewOffer(images(many(21).concat(many(20)), [...Array(40).fill(0), 1]), null)
    expect(review.grid).toEqual([0, 40, ...Array.from({ length: 30 }, (_, i) => i + 1)])
  })
})

describe('flag sentences', () => {
  it('words each flag for the job owner', () => {
    const classes = ['T-shirt', 'Trouser']
    expect(flagText({ code: 'NEAR_DUPLICATES', params: { percent: 20 } }, classes)).toBe('20% of the images are near-copies of other images in the offer')
    expect(flagText({ code: 'COPIES_JOB_DATA', params: { percent: 30 } }, classes)).toBe("30% of the images are near-copies of the job's own training data")
    expect(flagText({ code: 'OUT_OF_DISTRIBUTION', params: { percent: 40 } }, classes)).toBe('40% of the images look unlike anything the job trains on')
    expect(flagText({ code: 'LABELS_DISAGREE', params: { agreement: 40, accuracy: 80 } }, classes)).toBe("the current model agrees with only 40% of the labels, though it gets 80% of the job's test data right")
    expect(flagText({ code: 'ONE_CLASS', params: { class: 1 } }, classes)).toBe('every image is labelled "Trouser"')
    expect(flagText({ code: 'ONE_CLASS', params: { class: 7 } }, classes)).toBe('every image is labelled "7"')
  })
})
