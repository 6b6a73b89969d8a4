// A job comes from a peer and drives what every volunteer runs: each field is bounded, at its limit.
import { describe, expect, it } from 'vitest'
import { decodeJob, MAX_SHARDS, readShardRef, unitSamples } from './job.ts'
import { testJob } from './testing/job-fixture.ts'

const decode = (patch: object) => decodeJob({ ...testJob(), ...patch })

describe('job decoding', () => {
  it('decodes what it encodes, reward pool included', () => {
    const job = testJob({ reward: { amount: '1000', symbol: 'ETH', decimals: 18, dataShareBps: 2000 } })
    expect(decodeJob(JSON.parse(JSON.stringify(job)))).toEqual(job)
    expect(unitSamples(job)).toBe(8 * 4)
  })

  it('names classes by index for jobs saved before they had names, and holds named classes to the model', () => {
    expect(decode({ classes: undefined }).classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    expect(() => decode({ classes: ['a'] })).toThrow('job: names 1 classes but the mlp model has 10 outputs')
    expect(() => decode({ classes: [...testJob().classes.slice(1), 'c'.repeat(65)] })).toThrow('"classes[9]" is longer than 64')
  })

  it('takes 1 to 512 training shards and up to 512 test shards', () => {
    const shard = testJob().train[0]!
    expect(decode({ train: Array(MAX_SHARDS).fill(shard), test: Array(MAX_SHARDS).fill(shard) }).train).toHaveLength(512)
    expect(() => decode({ train: Array(MAX_SHARDS + 1).fill(shard) })).toThrow('"train" must be an array of at most 512 shards')
    expect(() => decode({ test: Array(MAX_SHARDS + 1).fill(shard) })).toThrow('"test" must be an array of at most 512 shards')
    expect(() => decode({ test: undefined })).toThrow('"test" must be an array')
    expect(() => decode({ train: [{ ...shard, cid: 'c'.repeat(129) }] })).toThrow('job train[0]: "cid" is longer than 128')
    expect(readShardRef({ cid: 'c', samples: 1, owner: 'o' }, 's')).toEqual({ cid: 'c', samples: 1, owner: 'o' })
  })

  it('bounds every hyper-parameter at its limits', () => {
    const limits: Array<[string, number, number]> = [
      ['batchSize', 1, 1024], ['innerSteps', 1, 10_000], ['unitsPerRound', 1, 1024], ['roundMs', 1000, 24 * 3600_000],
      ['rounds', 0, 1_000_000], ['seed', 0, 0xffffffff], ['innerLr', 1e-8, 1], ['outerLr', 0, 10], ['outerMomentum', 0, 0.999], ['auditRate', 0, 1],
    ]
    for (const [key, min, max] of limits) {
      expect(decode({ [key]: min })[key as 'seed'], key).toBe(min)
      expect(decode({ [key]: max })[key as 'seed'], key).toBe(max)
      const below = Number.isInteger(min) && key !== 'outerLr' && key !== 'outerMomentum' && key !== 'auditRate' ? min - 1 : min - 1e-9
      expect(() => decode({ [key]: below }), key).toThrow(`"${key}" must be between`)
      const above = Number.isInteger(max) && key !== 'innerLr' && key !== 'auditRate' ? max + 1 : max + 1e-6
      expect(() => decode({ [key]: above }), key).toThrow(`"${key}" must be between`)
    }
    expect(() => decode({ normalisation: { mean: 0, std: 0 } })).toThrow('"std" must be between 1e-9')
    expect(() => decode({ normalisation: { mean: 2e6, std: 1 } })).toThrow('"mean" must be between -1000000 and 1000000')
    expect(() => decode({ name: 'n'.repeat(201) })).toThrow('"name" is longer than 200')
    expect(() => decode({ model: 'm'.repeat(33) })).toThrow('"model" is longer than 32')
  })

  it('reads the audit rate, or the redundancy of jobs announced before audits, and an aggregator by name', () => {
    expect(decode({ auditRate: undefined, redundancy: 0.75 }).auditRate).toBe(0.75)
    expect(decode({ auditRate: 0.3, redundancy: 1 }).auditRate).toBe(0.3)
    expect(() => decode({ auditRate: undefined })).toThrow('"auditRate" must be a finite number')
    for (const aggregator of ['mean', 'trimmed-mean', 'median', 'centred-clip']) expect(decode({ aggregator }).aggregator).toBe(aggregator)
    expect(() => decode({ aggregator: 'a'.repeat(33) })).toThrow('"aggregator" is longer than 32')
  })
})
