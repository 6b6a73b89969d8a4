// A job drives what every volunteer runs, so each field the decoder reads is held at its bounds: the last
// accepted value passes and the next one is refused with a message that names the field and where it is.
import { describe, expect, it } from 'vitest'
import { decodeJob, MAX_SHARDS, readShardRef } from './job.ts'
import { testJob } from './testing/job-fixture.ts'
import { AGGREGATOR_NAMES } from './aggregators/index.ts'

const decode = (patch: object) => decodeJob({ ...testJob(), ...patch })
const refusal = (message: string) => expect.objectContaining({ code: 'DECODE', message })
const shard = { cid: 'c', samples: 64, owner: 'o' }

describe('job fields', () => {
  it('holds each string to its length, at the limit and one past', () => {
    const limits: Array<[string, number]> = [['id', 128], ['name', 200], ['coordinator', 128]]
    for (const [key, max] of limits) {
      expect(decode({ [key]: 'x'.repeat(max) })[key as 'id']).toBe('x'.repeat(max))
      expect(() => decode({ [key]: 'x'.repeat(max + 1) }), key).toThrow(refusal(`job: "${key}" is longer than ${max} characters`))
      expect(() => decode({ [key]: 7 }), key).toThrow(refusal(`job: "${key}" must be a string`))
    }
  })

  it('names the known models when the model is unknown', () => {
    expect(() => decode({ model: 'm'.repeat(32) })).toThrow(refusal(`job: unknown model "${'m'.repeat(32)}"; known models: mlp, cnn, transformer`))
    expect(decode({ model: 'cnn' }).model).toBe('cnn')
  })

  it('needs a normalisation object with a bounded mean and a positive, bounded spread', () => {
    expect(() => decode({ normalisation: undefined })).toThrow(refusal('job normalisation: expected an object'))
    expect(decode({ normalisation: { mean: -1e6, std: 1e-9 } }).normalisation).toEqual({ mean: -1e6, std: 1e-9 })
    expect(decode({ normalisation: { mean: 1e6, std: 1e6 } }).normalisation).toEqual({ mean: 1e6, std: 1e6 })
    expect(() => decode({ normalisation: { mean: -1.000001e6, std: 1 } })).toThrow(refusal('job: "mean" must be between -1000000 and 1000000'))
    expect(() => decode({ normalisation: { mean: 0, std: 1.000001e6 } })).toThrow(refusal('job: "std" must be between 1e-9 and 1000000'))
    expect(() => decode({ normalisation: { mean: 0, std: 0.9e-9 } })).toThrow(refusal('job: "std" must be between 1e-9 and 1000000'))
  })

  it('takes class names of up to 64 characters, and never more classes than the model has outputs', () => {
    const classes = testJob().classes.map((c, i) => (i === 0 ? 'c'.repeat(64) : c))
    expect(decode({ classes }).classes[0]).toBe('c'.repeat(64))
    expect(() => decode({ classes: Array(257).fill('c') })).toThrow(refusal('job: "classes" has more than 256 entries'))
    expect(() => decode({ classes: Array(11).fill('c') })).toThrow(refusal('job: names 11 classes but the mlp model has 10 outputs'))
    expect(decode({ model: 'cnn', classes: undefined }).classes).toHaveLength(10)
  })

  it('needs at least one training shard, and each shard in bounds, naming which list and which shard', () => {
    expect(decode({ train: [shard] }).train).toEqual([shard])
    expect(() => decode({ train: [] })).toThrow(refusal('job: a job needs at least one training shard'))
    expect(() => decode({ train: 'shards' })).toThrow(refusal('job: "train" must be an array of at most 512 shards'))
    expect(decode({ test: [] }).test).toEqual([])
    expect(() => decode({ test: [shard, { ...shard, samples: 0 }] })).toThrow(refusal('job test[1]: "samples" must be between 1 and 1048576'))
    expect(() => decode({ train: [{ ...shard, samples: (1 << 20) + 1 }] })).toThrow(refusal('job train[0]: "samples" must be between 1 and 1048576'))
    expect(() => decode({ train: [{ ...shard, samples: 1.5 }] })).toThrow(refusal('job train[0]: "samples" must be an integer'))
    expect(() => decode({ train: [{ ...shard, owner: 'o'.repeat(129) }] })).toThrow(refusal('job train[0]: "owner" is longer than 128 characters'))
    expect(() => decode({ train: [7] })).toThrow(refusal('job train[0]: expected an object'))
    expect(MAX_SHARDS).toBe(512)
  })

  it('reads a shard\'s dataset only when present, up to 128 characters', () => {
    const limit = { ...shard, cid: 'c'.repeat(128), samples: 1 << 20, owner: 'o'.repeat(128), dataset: 'd'.repeat(128) }
    expect(readShardRef(limit, 's')).toEqual(limit)
    expect(readShardRef(shard, 's')).not.toHaveProperty('dataset')
    expect(() => readShardRef({ ...shard, dataset: 'd'.repeat(129) }, 's')).toThrow(refusal('s: "dataset" is longer than 128 characters'))
    expect(() => readShardRef({ ...shard, dataset: 5 }, 's')).toThrow(refusal('s: "dataset" must be a string'))
    expect(() => readShardRef({ ...shard, cid: 'c'.repeat(129) }, 's')).toThrow(refusal('s: "cid" is longer than 128 characters'))
  })

  it('refuses a creation time before 1970', () => {
    expect(decode({ createdAtMs: 0 }).createdAtMs).toBe(0)
    expect(() => decode({ createdAtMs: -1 })).toThrow(refusal(`job: "createdAtMs" must be between 0 and ${Number.MAX_SAFE_INTEGER}`))
  })

  it('keeps 1 to 16 copies of each contributed chunk, and says nothing when the job does not ask', () => {
    expect(decode({ replication: 1 }).replication).toBe(1)
    expect(decode({ replication: 16 }).replication).toBe(16)
    expect(decode({})).not.toHaveProperty('replication')
    expect(() => decode({ replication: 0 })).toThrow(refusal('job: "replication" must be between 1 and 16'))
    expect(() => decode({ replication: 17 })).toThrow(refusal('job: "replication" must be between 1 and 16'))
    expect(() => decode({ replication: 2.5 })).toThrow(refusal('job: "replication" must be an integer'))
  })

  it('reads a reward pool only when present', () => {
    expect(decode({})).not.toHaveProperty('reward')
    expect(() => decode({ reward: { amount: '01', symbol: 'ETH', decimals: 18, dataShareBps: 0 } })).toThrow(/"amount" must be a whole number of base units/)
  })

  it('defaults the aggregator and names the known ones when it is unknown', () => {
    expect(decode({ aggregator: undefined }).aggregator).toBe('centred-clip')
    expect(() => decode({ aggregator: 'mode' })).toThrow(refusal(`job: unknown aggregator "mode"; known: ${AGGREGATOR_NAMES.join(', ')}`))
  })

  it('reads the audit rate over an old redundancy, the redundancy at its bounds, and neither being there is an error', () => {
    expect(decode({ auditRate: undefined, redundancy: 0 }).auditRate).toBe(0)
    expect(() => decode({ auditRate: undefined, redundancy: 1.5 })).toThrow(refusal('job: "redundancy" must be between 0 and 1'))
    expect(() => decode({ auditRate: 2, redundancy: 0.5 })).toThrow(refusal('job: "auditRate" must be between 0 and 1'))
  })
})
