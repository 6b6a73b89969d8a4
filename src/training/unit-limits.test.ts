// Work units on the wire, check by check: each refusal names the message kind and the field, the last value
// in range passes, and the sample order walks the permutation each epoch's seed names.
import { describe, expect, it } from 'vitest'
import { decodeAssignment, decodeResult, unitSampleOrder, type UnitAssignment, type UnitResult } from './unit.ts'
import { seededPermutation } from '../random.ts'

const assignment: UnitAssignment = { unitId: '3.1', jobId: 'job-test', round: 3, version: 2, paramsCid: 'bafk', shards: [{ cid: 'shard-0', samples: 64, owner: 'alice' }], seed: 9, innerSteps: 48, batchSize: 8, lr: 1e-3 }
const result: UnitResult = {
  unitId: '3.1', jobId: 'job-test', round: 3, version: 2, deltaCid: 'bafkdelta', deltaBytes: 1044, lossBefore: 2.5, lossAfter: 1.25, samples: 384,
  flops: 1e9, trajectoryHash: 'ab'.repeat(32), checkpoints: ['c1', 'c2', 'c3'], segmentLosses: [2.5, 2, 1.5], backend: 'wasm', elapsedMs: 900,
}
const refusal = (message: string) => expect.objectContaining({ code: 'DECODE', message })

describe('work assignment limits', () => {
  const decode = (patch: object) => decodeAssignment({ ...assignment, ...patch })

  it('takes each string at its length limit and refuses one character more', () => {
    const limits: Array<[keyof UnitAssignment, number]> = [['unitId', 64], ['jobId', 128], ['paramsCid', 128]]
    for (const [key, max] of limits) {
      expect(decode({ [key]: 'x'.repeat(max) })[key]).toBe('x'.repeat(max))
      expect(() => decode({ [key]: 'x'.repeat(max + 1) }), key).toThrow(refusal(`work assignment: "${key}" is longer than ${max} characters`))
    }
  })

  it('names the shard that is wrong', () => {
    expect(() => decode({ shards: [assignment.shards[0], 'x'] })).toThrow(refusal('work assignment shards[1]: expected an object'))
    expect(() => decode({ shards: [{ ...assignment.shards[0], samples: 0 }] })).toThrow(refusal('work assignment shards[0]: "samples" must be between 1 and 1048576'))
    expect(() => decodeAssignment([])).toThrow(refusal('work assignment: expected an object'))
  })

  it('refuses non-integer counts and seeds', () => {
    for (const key of ['round', 'version', 'seed', 'innerSteps', 'batchSize'] as const) expect(() => decode({ [key]: 1.5 }), key).toThrow(refusal(`work assignment: "${key}" must be an integer`))
    expect(() => decode({ lr: Number.NaN })).toThrow(refusal('work assignment: "lr" must be a finite number'))
  })
})

describe('work result limits', () => {
  const decode = (patch: object) => decodeResult({ ...result, ...patch })

  it('takes each string at its length limit and refuses one character more', () => {
    const limits: Array<[keyof UnitResult, number]> = [['unitId', 64], ['jobId', 128], ['deltaCid', 128], ['trajectoryHash', 64], ['backend', 16]]
    for (const [key, max] of limits) {
      expect(decode({ [key]: 'x'.repeat(max) })[key]).toBe('x'.repeat(max))
      expect(() => decode({ [key]: 'x'.repeat(max + 1) }), key).toThrow(refusal(`work result: "${key}" is longer than ${max} characters`))
    }
    expect(decode({ checkpoints: ['c'.repeat(128)] }).checkpoints).toEqual(['c'.repeat(128)])
  })

  it('takes the smallest sizes, counts and times a real result can have', () => {
    expect(decode({ deltaBytes: 1, samples: 1, flops: 0, elapsedMs: 0, round: 0, version: 0, checkpoints: [], segmentLosses: [] })).toMatchObject({ deltaBytes: 1, samples: 1, flops: 0, elapsedMs: 0, round: 0, version: 0, checkpoints: [], segmentLosses: [] })
    expect(decode({ lossBefore: -1e300, lossAfter: 1e300 })).toMatchObject({ lossBefore: -1e300, lossAfter: 1e300 })
    expect(() => decode({ round: -1 })).toThrow(refusal(`work result: "round" must be between 0 and ${Number.MAX_SAFE_INTEGER}`))
    expect(() => decode({ samples: 2.5 })).toThrow(refusal('work result: "samples" must be an integer'))
    expect(() => decode({ lossAfter: Number.POSITIVE_INFINITY })).toThrow(refusal('work result: "lossAfter" must be a finite number'))
  })

  it('refuses an infinite or missing segment loss and a checkpoint list that is not one', () => {
    expect(() => decode({ segmentLosses: [1, Number.POSITIVE_INFINITY] })).toThrow(refusal('work result: "segmentLosses[1]" must be a finite number'))
    expect(() => decode({ segmentLosses: [Number.NaN] })).toThrow(refusal('work result: "segmentLosses[0]" must be a finite number'))
    expect(() => decode({ segmentLosses: undefined })).toThrow(refusal('work result: "segmentLosses" must be an array of at most 8 numbers'))
    expect(() => decode({ checkpoints: 'c1,c2' })).toThrow(refusal('work result: "checkpoints" must be an array'))
    expect(() => decode({ checkpoints: [1] })).toThrow(refusal('work result: "checkpoints[0]" must be a string'))
  })
})

describe('sample order', () => {
  it('is the seed\'s permutation, then the permutation of seed + 0x9e3779b1 for the second epoch, cut at the samples needed', () => {
    const first = seededPermutation(6, 11)
    const second = seededPermutation(6, (11 + 0x9e3779b1) >>> 0)
    const third = seededPermutation(6, (11 + 2 * 0x9e3779b1) >>> 0)
    expect([...unitSampleOrder(6, 4, 4, 11)]).toEqual([...first, ...second, ...third.subarray(0, 4)])
    expect([...unitSampleOrder(6, 1, 4, 11)]).toEqual([...first.subarray(0, 4)])
  })
})
