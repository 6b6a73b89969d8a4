// The job form's fields at their bounds: the last value each takes, the first it refuses with the sentence
// the researcher sees, and the dataset rules that decide which data a job may train on.
import { describe, expect, it } from 'vitest'
import { modelFacts, roundCost, validateJobDraft, type DatasetChoice, type JobDraft, type JobField } from './job-form.ts'
import { FASHION_MNIST_CLASSES } from '../data/fashion-mnist-files.ts'

const demo: DatasetChoice = { id: 'demo', name: 'Fashion-MNIST demo', samples: 10_000, shape: [1, 28, 28], classes: [...FASHION_MNIST_CLASSES], builtIn: true }
const mine: DatasetChoice = { id: 'mine', name: 'My photos', samples: 300, shape: [1, 28, 28], classes: [...FASHION_MNIST_CLASSES], builtIn: false }
const draft: JobDraft = {
  name: 'Shoes and shirts', model: 'cnn', datasets: ['demo'], batchSize: '32', innerSteps: '64', innerLr: '0.001', outerLr: '0.7', outerMomentum: '0.9',
  unitsPerRound: '4', roundSeconds: '120', auditRate: '0.25', rounds: '0', rewardAmount: '2.5', rewardSymbol: 'ETH', rewardDecimals: 18, rewardToken: '', dataSharePercent: '20',
}
const errorsOf = (patch: Partial<JobDraft>, available: readonly DatasetChoice[] = [demo, mine]) => {
  const result = validateJobDraft({ ...draft, ...patch }, available)
  return result.ok ? {} : result.errors
}

describe('job form bounds', () => {
  // [field, lowest accepted, highest accepted, just below, just above, unit written after the bound]
  const bounds: Array<[JobField, string, string, string, string, string]> = [
    ['batchSize', '1', '1024', '0', '1025', ''],
    ['innerSteps', '1', '10000', '0', '10001', ''],
    ['innerLr', '0.000001', '1', '0.0000009', '1.0001', ''],
    ['outerLr', '0.01', '10', '0.0099', '10.01', ''],
    ['outerMomentum', '0', '0.99', '-0.01', '0.991', ''],
    ['unitsPerRound', '1', '1024', '0', '1025', ''],
    ['roundSeconds', '5', '86400', '4', '86401', ' seconds'],
    ['auditRate', '0', '1', '-0.001', '1.001', ''],
    ['rounds', '0', '1000000', '-1', '1000001', ''],
    ['dataSharePercent', '0', '100', '-0.1', '100.1', '%'],
  ]
  const describeBound = (text: string) => String(Number(text))

  it('takes each number at its bounds and refuses the value just past, saying the range', () => {
    for (const [field, low, high, below, above, unit] of bounds) {
      const batch = field === 'batchSize' ? { datasets: ['demo'] } : {}
      expect(errorsOf({ ...batch, [field]: low }), `${field} ${low}`).toEqual({})
      expect(errorsOf({ ...batch, [field]: high }), `${field} ${high}`).toEqual({})
      const range = `must be between ${describeBound(low)} and ${describeBound(high)}${unit}`
      expect(errorsOf({ [field]: below }), `${field} ${below}`).toEqual({ [field]: range })
      expect(errorsOf({ [field]: above }), `${field} ${above}`).toEqual({ [field]: range })
    }
  })

  it('needs whole numbers for counts, not for rates, and says when text is not a number at all', () => {
    for (const field of ['batchSize', 'innerSteps', 'unitsPerRound', 'roundSeconds', 'rounds'] as const) expect(errorsOf({ [field]: '5.5' }), field).toEqual({ [field]: 'must be a whole number' })
    expect(errorsOf({ auditRate: '0.5', outerMomentum: '0.5', dataSharePercent: '12.5' })).toEqual({})
    expect(errorsOf({ outerLr: `  ${'x'.repeat(30)}  ` })).toEqual({ outerLr: `"${'x'.repeat(20)}" is not a number` })
    expect(errorsOf({ innerSteps: 'Infinity' })).toEqual({ innerSteps: '"Infinity" is not a number' })
    expect(errorsOf({ rounds: '   ' })).toEqual({ rounds: 'required' })
    expect(errorsOf({ rounds: ' 7 ' })).toEqual({})
  })

  it('takes a name of up to 120 characters after trimming', () => {
    const result = validateJobDraft({ ...draft, name: `  ${'n'.repeat(120)}  ` }, [demo])
    expect(result.ok && result.settings.name).toBe('n'.repeat(120))
    expect(errorsOf({ name: 'n'.repeat(121) })).toEqual({ name: 'at most 120 characters' })
    expect(errorsOf({ name: '' })).toEqual({ name: 'give the job a name volunteers will recognise' })
  })

  it('names the models it knows when the model is unknown', () => {
    expect(errorsOf({ model: 'gpt' })).toEqual({ model: 'unknown model "gpt"; choose one of mlp, cnn, transformer' })
  })

  it('turns seconds into milliseconds and the data share into basis points', () => {
    const result = validateJobDraft({ ...draft, roundSeconds: '90', dataSharePercent: '12.34', rounds: '3', innerSteps: '10', unitsPerRound: '7', innerLr: '0.5', outerLr: '2', outerMomentum: '0.25' }, [demo])
    expect(result.ok && result.settings).toEqual({
      name: 'Shoes and shirts', model: 'cnn', batchSize: 32, innerSteps: 10, innerLr: 0.5, outerLr: 2, outerMomentum: 0.25, unitsPerRound: 7, roundMs: 90_000, auditRate: 0.25, rounds: 3,
      reward: { amount: '2500000000000000000', symbol: 'ETH', decimals: 18, dataShareBps: 1234 },
    })
  })
})

describe('job form datasets', () => {
  it('ignores ids it does not know and needs the built-in set among those chosen', () => {
    expect(errorsOf({ datasets: ['gone'] })).toEqual({ datasets: 'choose at least one dataset to train on' })
    expect(errorsOf({ datasets: ['gone', 'mine'] })).toEqual({ datasets: 'include the built-in dataset: it also provides the held-out test set the job is scored on' })
    const result = validateJobDraft({ ...draft, datasets: ['gone', 'demo'] }, [demo, mine])
    expect(result.ok && result.datasets).toEqual([demo])
  })

  it('says which dataset does not fit the model, by shape, class count or class names', () => {
    const wide = { ...mine, shape: [1, 32, 32] }
    expect(errorsOf({ datasets: ['demo', 'mine'] }, [demo, wide])).toEqual({ model: 'the cnn model takes inputs of shape 1×28×28, but "My photos" holds 1×32×32 samples; choose a model for images' })
    const few = { ...mine, classes: FASHION_MNIST_CLASSES.slice(0, 9) }
    expect(errorsOf({ datasets: ['demo', 'mine'] }, [demo, few])).toEqual({ datasets: '"My photos" has 9 classes; the cnn model predicts 10' })
    const renamed = { ...mine, classes: FASHION_MNIST_CLASSES.map((c, i) => (i === 9 ? 'Boot' : c)) }
    expect(errorsOf({ datasets: ['demo', 'mine'] }, [demo, renamed])).toEqual({ datasets: '"My photos" names its classes differently from "Fashion-MNIST demo"; every dataset in a job must use the same classes in the same order' })
  })

  it('takes a batch as large as the samples chosen, not one more', () => {
    const small = { ...demo, samples: 700 }
    expect(errorsOf({ batchSize: '1000', datasets: ['demo', 'mine'] }, [small, mine])).toEqual({})
    expect(errorsOf({ batchSize: '1001', datasets: ['demo', 'mine'] }, [small, mine])).toEqual({ batchSize: 'larger than the 1,000 samples chosen' })
  })
})

describe('job form reward', () => {
  it('takes a 1–12 character symbol and an ERC-20 address of exactly 40 hex digits', () => {
    expect(errorsOf({ rewardSymbol: ' ABCDEFGHIJKL ' })).toEqual({})
    expect(errorsOf({ rewardSymbol: 'ABCDEFGHIJKLM' })).toEqual({ rewardSymbol: '1–12 letters or digits, e.g. ETH' })
    expect(errorsOf({ rewardSymbol: 'E TH' })).toEqual({ rewardSymbol: '1–12 letters or digits, e.g. ETH' })
    expect(errorsOf({ rewardToken: `0x${'a'.repeat(40)}` })).toEqual({})
    for (const token of [`0x${'a'.repeat(39)}`, `0x${'a'.repeat(41)}`, `1x${'a'.repeat(40)}`, `0x${'g'.repeat(40)}`]) {
      expect(errorsOf({ rewardToken: token }), token).toEqual({ rewardToken: 'an ERC-20 contract address (0x and 40 hex digits), or empty for ETH' })
    }
    expect(errorsOf({ rewardAmount: '1.5', rewardDecimals: 0 })).toEqual({ rewardAmount: 'at most 0 decimal places' })
  })
})

describe('round cost', () => {
  it('multiplies out a unit\'s samples and FLOPs, the round\'s, and the referee\'s share', () => {
    const facts = { ...modelFacts('mlp'), trainFlopsPerSample: 10 }
    expect(roundCost(facts, 4, 5, 3, 0.5)).toEqual({ samplesPerUnit: 20, flopsPerUnit: 200, flopsPerRound: 600, refereeFlopsPerRound: 300 })
  })
})
