import { describe, expect, it } from 'vitest'
import { modelFacts, roundCost, validateJobDraft, type DatasetChoice, type JobDraft } from './job-form.ts'
import { FASHION_MNIST_CLASSES } from '../data/fashion-mnist-files.ts'

const demo: DatasetChoice = { id: 'demo', name: 'Fashion-MNIST demo', samples: 10_000, shape: [1, 28, 28], classes: [...FASHION_MNIST_CLASSES], builtIn: true }
const mine: DatasetChoice = { id: 'mine', name: 'My photos', samples: 300, shape: [1, 28, 28], classes: [...FASHION_MNIST_CLASSES], builtIn: false }
const draft: JobDraft = {
  name: 'Shoes and shirts', model: 'cnn', datasets: ['demo'], batchSize: '32', innerSteps: '64', innerLr: '0.001', outerLr: '0.7', outerMomentum: '0.9',
  unitsPerRound: '4', roundSeconds: '120', auditRate: '0.25', rounds: '0', rewardAmount: '2.5', rewardSymbol: 'ETH', rewardDecimals: 18, rewardToken: '', dataSharePercent: '20',
}

describe('modelFacts', () => {
  it('counts parameters and FLOPs per sample for the zoo', () => {
    const mlp = modelFacts('mlp')
    expect(mlp.parameters).toBe(784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10)
    expect(mlp.parameterBytes).toBe(mlp.parameters * 4)
    // A dense layer costs 2·in·out per sample forward; training is roughly 3× that.
    expect(mlp.inferenceFlopsPerSample).toBeGreaterThan(2 * mlp.parameters * 0.95)
    expect(mlp.trainFlopsPerSample / mlp.inferenceFlopsPerSample).toBeGreaterThan(2.5)
    expect(mlp.trainFlopsPerSample / mlp.inferenceFlopsPerSample).toBeLessThan(4.5)
    expect(modelFacts('cnn').inferenceFlopsPerSample).toBeGreaterThan(mlp.inferenceFlopsPerSample)
    expect(roundCost(mlp, 32, 10, 4, 0.5)).toMatchObject({ flopsPerRound: 4 * 320 * mlp.trainFlopsPerSample, refereeFlopsPerRound: 2 * 320 * mlp.trainFlopsPerSample })
  })
})

describe('validateJobDraft', () => {
  it('on the owner\'s own data: no zoo model or dataset asked for, the family from the owner\'s model, a batch within the training samples', () => {
    const own = validateJobDraft({ ...draft, model: 'nonsense', datasets: [] }, [], { samples: 142, family: 'mlp' })
    expect(own.ok && own.settings.model).toBe('mlp')
    expect(own.ok && own.datasets).toEqual([])
    const big = validateJobDraft({ ...draft, batchSize: '143' }, [], { samples: 142, family: 'mlp' })
    expect(!big.ok && big.errors).toEqual({ batchSize: 'larger than the 142 training samples of your data' })
    expect(validateJobDraft({ ...draft, batchSize: '142' }, [], { samples: 142, family: 'mlp' }).ok).toBe(true)
  })

  it('turns a good draft into job settings and a reward pool in base units', () => {
    const result = validateJobDraft({ ...draft, datasets: ['demo', 'mine'] }, [demo, mine])
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.settings).toMatchObject({ name: 'Shoes and shirts', model: 'cnn', batchSize: 32, roundMs: 120_000, auditRate: 0.25 })
    expect(result.settings.reward).toEqual({ amount: '2500000000000000000', symbol: 'ETH', decimals: 18, dataShareBps: 2000 })
    expect(result.datasets.map((d) => d.id)).toEqual(['demo', 'mine'])
  })

  it('says what is wrong with each field', () => {
    const result = validateJobDraft({ ...draft, name: ' ', batchSize: '3.5', innerLr: 'fast', auditRate: '2', roundSeconds: '', rewardAmount: '1.2.3', rewardSymbol: '', rewardToken: '0x12' }, [demo])
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.errors).toEqual({
      name: expect.stringMatching(/name/),
      batchSize: 'must be a whole number',
      innerLr: '"fast" is not a number',
      auditRate: 'must be between 0 and 1',
      roundSeconds: 'required',
      rewardAmount: expect.stringMatching(/not an amount/),
      rewardSymbol: expect.stringMatching(/letters/),
      rewardToken: expect.stringMatching(/ERC-20 contract address/),
    })
    const token = validateJobDraft({ ...draft, rewardToken: ' 0x5FbDB2315678afecb367f032d93F642f64180aa3 ', rewardSymbol: 'TUSD', rewardDecimals: 6, rewardAmount: '5' }, [demo])
    expect(token.ok && token.settings.reward).toEqual({ amount: '5000000', symbol: 'TUSD', decimals: 6, dataShareBps: 2000, token: '0x5FbDB2315678afecb367f032d93F642f64180aa3' })
  })

  it('refuses models and datasets that cannot train together', () => {
    const noData = validateJobDraft({ ...draft, datasets: [] }, [demo])
    expect(!noData.ok && noData.errors.datasets).toMatch(/at least one/)
    const onlyMine = validateJobDraft({ ...draft, datasets: ['mine'] }, [demo, mine])
    expect(!onlyMine.ok && onlyMine.errors.datasets).toMatch(/built-in/)
    const transformer = validateJobDraft({ ...draft, model: 'transformer' }, [demo])
    expect(!transformer.ok && transformer.errors.model).toMatch(/takes inputs of shape 8×16/)
    const renamed = { ...mine, classes: mine.classes.map((c, i) => (i === 0 ? 'Tee' : c)) }
    const relabelled = validateJobDraft({ ...draft, datasets: ['demo', 'mine'] }, [demo, renamed])
    expect(!relabelled.ok && relabelled.errors.datasets).toMatch(/same classes/)
    const big = validateJobDraft({ ...draft, batchSize: '1024' }, [{ ...demo, samples: 500 }])
    expect(!big.ok && big.errors.batchSize).toMatch(/larger than the 500 samples/)
  })
})
