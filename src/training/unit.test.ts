// Work units on the wire: assignments and results decode strictly at their limits; what a volunteer signs,
// how a unit's steps are cut into segments, its seed and its sample order are fixed vectors, because the
// coordinator, every volunteer and the referee must compute exactly the same thing.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { checkpointSteps, decodeAssignment, decodeResult, MAX_SEGMENTS, resultSigningBytes, segmentBounds, trajectoryHash, unitSampleOrder, unitSeed, type UnitAssignment, type UnitResult } from './unit.ts'

const assignment: UnitAssignment = { unitId: '3.1', jobId: 'job-test', round: 3, version: 2, paramsCid: 'bafk', shards: [{ cid: 'shard-0', samples: 64, owner: 'alice' }], seed: 9, innerSteps: 48, batchSize: 8, lr: 1e-3 }
const result: UnitResult = {
  unitId: '3.1', jobId: 'job-test', round: 3, version: 2, deltaCid: 'bafkdelta', deltaBytes: 1044, lossBefore: 2.5, lossAfter: 1.25, samples: 384,
  flops: 1e9, trajectoryHash: 'ab'.repeat(32), checkpoints: ['c1', 'c2', 'c3'], segmentLosses: [2.5, 2, 1.5], backend: 'wasm', elapsedMs: 900,
}

describe('unit assignments and results', () => {
  it('decode what they encode', () => {
    expect(decodeAssignment(JSON.parse(JSON.stringify(assignment)))).toEqual(assignment)
    expect(decodeResult(JSON.parse(JSON.stringify(result)))).toEqual(result)
    const withDataset = { ...assignment, shards: [{ ...assignment.shards[0]!, dataset: 'd'.repeat(128) }] }
    expect(decodeAssignment(withDataset)).toEqual(withDataset)
  })

  it('bound an assignment: 1 to 64 shards, steps, batch, learning rate and seed in range', () => {
    const decode = (patch: object) => decodeAssignment({ ...assignment, ...patch })
    expect(decode({ shards: Array(64).fill(assignment.shards[0]) }).shards).toHaveLength(64)
    for (const shards of [[], Array(65).fill(assignment.shards[0]), 'x']) expect(() => decode({ shards })).toThrow('work assignment: "shards" must be an array of 1 to 64 shards')
    expect(() => decode({ shards: [{ ...assignment.shards[0], samples: 0 }] })).toThrow('work assignment shards[0]: "samples" must be between 1 and 1048576')
    expect(decode({ shards: [{ ...assignment.shards[0], samples: 1 << 20 }] }).shards[0]!.samples).toBe(1 << 20)
    expect(() => decode({ shards: [{ ...assignment.shards[0], samples: (1 << 20) + 1 }] })).toThrow('"samples" must be between 1 and 1048576')
    expect(() => decode({ shards: [{ ...assignment.shards[0], dataset: 'd'.repeat(129) }] })).toThrow('"dataset" is longer than 128')
    expect(() => decode({ shards: [{ ...assignment.shards[0], owner: 'o'.repeat(129) }] })).toThrow('"owner" is longer than 128')
    expect(decode({ innerSteps: 10_000, batchSize: 1024, seed: 0xffffffff, lr: 1 })).toMatchObject({ innerSteps: 10_000, batchSize: 1024, seed: 0xffffffff, lr: 1 })
    expect(decode({ innerSteps: 1, batchSize: 1, seed: 0, lr: 1e-8 })).toMatchObject({ innerSteps: 1, batchSize: 1, seed: 0, lr: 1e-8 })
    expect(() => decode({ innerSteps: 10_001 })).toThrow('"innerSteps" must be between 1 and 10000')
    expect(() => decode({ innerSteps: 0 })).toThrow('"innerSteps" must be between 1 and 10000')
    expect(() => decode({ batchSize: 1025 })).toThrow('"batchSize" must be between 1 and 1024')
    expect(() => decode({ seed: 2 ** 32 })).toThrow('"seed" must be between 0 and 4294967295')
    expect(() => decode({ lr: 1.01 })).toThrow('"lr" must be between 1e-8 and 1')
    expect(() => decode({ lr: 0 })).toThrow('"lr" must be between 1e-8 and 1')
    expect(() => decode({ unitId: 'u'.repeat(65) })).toThrow('"unitId" is longer than 64')
    expect(() => decode({ jobId: 'j'.repeat(129) })).toThrow('"jobId" is longer than 128')
    expect(() => decode({ paramsCid: 'p'.repeat(129) })).toThrow('"paramsCid" is longer than 128')
    expect(decode({ paramsDiff: { from: 'bafkold', cid: 'bafkdiff' } })).toMatchObject({ paramsDiff: { from: 'bafkold', cid: 'bafkdiff' } })
    expect(decode({})).not.toHaveProperty('paramsDiff')
    expect(() => decode({ paramsDiff: { from: 'bafkold', cid: 'c'.repeat(129) } })).toThrow('"cid" is longer than 128')
    expect(() => decode({ paramsDiff: { from: 7, cid: 'bafkdiff' } })).toThrow('"from"')
    expect(() => decode({ paramsDiff: 'bafkdiff' })).toThrow()
    expect(() => decode({ round: -1 })).toThrow('"round" must be between 0')
    expect(() => decode({ version: 0.5 })).toThrow('"version" must be an integer')
  })

  it('bound a result: at most 8 checkpoints and finite segment losses, sizes and counts in range', () => {
    const decode = (patch: object) => decodeResult({ ...result, ...patch })
    const eight = Array.from({ length: MAX_SEGMENTS }, (_, i) => `c${i}`)
    expect(decode({ checkpoints: eight, segmentLosses: eight.map(() => 1) }).checkpoints).toHaveLength(8)
    expect(() => decode({ checkpoints: [...eight, 'c8'] })).toThrow('"checkpoints" has more than 8 entries')
    expect(() => decode({ checkpoints: ['c'.repeat(129)] })).toThrow('"checkpoints[0]" is longer than 128')
    expect(() => decode({ segmentLosses: Array(9).fill(1) })).toThrow('work result: "segmentLosses" must be an array of at most 8 numbers')
    expect(() => decode({ segmentLosses: 1 })).toThrow('"segmentLosses" must be an array of at most 8 numbers')
    expect(() => decode({ segmentLosses: [1, null] })).toThrow('"segmentLosses[1]" must be a finite number')
    expect(() => decode({ segmentLosses: [1, '2'] })).toThrow('"segmentLosses[1]" must be a finite number')
    expect(() => decode({ deltaBytes: 0 })).toThrow('"deltaBytes" must be between 1 and 1073741824')
    expect(decode({ deltaBytes: 1 << 30 }).deltaBytes).toBe(1 << 30)
    expect(() => decode({ deltaBytes: (1 << 30) + 1 })).toThrow('"deltaBytes" must be between 1')
    expect(() => decode({ samples: 0 })).toThrow('"samples" must be between 1')
    expect(() => decode({ flops: -1 })).toThrow('"flops" must be between 0')
    expect(() => decode({ elapsedMs: -1 })).toThrow('"elapsedMs" must be between 0')
    expect(() => decode({ lossBefore: 'low' })).toThrow('"lossBefore" must be a finite number')
    expect(() => decode({ trajectoryHash: 'a'.repeat(65) })).toThrow('"trajectoryHash" is longer than 64')
    expect(() => decode({ backend: 'b'.repeat(17) })).toThrow('"backend" is longer than 16')
    expect(() => decode({ deltaCid: 'd'.repeat(129) })).toThrow('"deltaCid" is longer than 128')
    expect(() => decodeResult(null)).toThrow('work result: expected an object')
  })
})

describe('what a volunteer signs', () => {
  it('is every committed field in a fixed order after a version line (a fixed vector)', () => {
    expect(new TextDecoder().decode(resultSigningBytes(result))).toBe('tesserae-result-v3\n["3.1","job-test",3,2,"bafkdelta",1044,2.5,1.25,384,1000000000,"' + 'ab'.repeat(32) + '",["c1","c2","c3"],[2.5,2,1.5],"wasm"]')
  })

  it('has one reading: a list or a field cannot be reshaped under the same signature', () => {
    const bytes = (r: UnitResult) => new TextDecoder().decode(resultSigningBytes(r))
    expect(bytes({ ...result, checkpoints: ['c1,c2', 'c3'] })).not.toBe(bytes(result))
    expect(bytes({ ...result, checkpoints: ['c1', 'c2', 'c3', ''] })).not.toBe(bytes({ ...result, checkpoints: ['c1', 'c2', 'c3,'] }))
    // A separator inside one field does not shift the next one.
    expect(bytes({ ...result, unitId: '3.1\njob-test', jobId: '' })).not.toBe(bytes({ ...result, unitId: '3.1', jobId: '\njob-test' }))
  })

  it('changes with any committed field, and not with the elapsed time the volunteer reports', () => {
    const base = resultSigningBytes(result)
    const changes: Array<Partial<UnitResult>> = [
      { unitId: '3.2' }, { jobId: 'j' }, { round: 4 }, { version: 3 }, { deltaCid: 'other' }, { deltaBytes: 1 }, { lossBefore: 2.4 }, { lossAfter: 1 }, { samples: 1 }, { flops: 1 },
      { trajectoryHash: 'cd' }, { checkpoints: ['c1', 'c3', 'c2'] }, { segmentLosses: [2.5, 2, 1.4] }, { backend: 'webgpu' },
    ]
    for (const change of changes) expect(resultSigningBytes({ ...result, ...change }), JSON.stringify(change)).not.toEqual(base)
    expect(resultSigningBytes({ ...result, elapsedMs: 1 })).toEqual(base)
  })
})

describe('segments, seeds and sample order', () => {
  it('cuts a unit into segments of about 16 steps, at most 8, the last ending at the last step', () => {
    expect(checkpointSteps(1)).toEqual([1])
    expect(checkpointSteps(16)).toEqual([16])
    expect(checkpointSteps(17)).toEqual([9, 17])
    expect(checkpointSteps(48)).toEqual([16, 32, 48])
    expect(checkpointSteps(128)).toEqual([16, 32, 48, 64, 80, 96, 112, 128])
    expect(checkpointSteps(129)).toHaveLength(8)
    expect(checkpointSteps(1000)).toEqual([125, 250, 375, 500, 625, 750, 875, 1000])
    expect(segmentBounds(48)).toEqual([0, 16, 32, 48])
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (steps) => {
        const cuts = checkpointSteps(steps)
        expect(cuts.at(-1)).toBe(steps)
        expect(cuts.length).toBeLessThanOrEqual(MAX_SEGMENTS)
        expect(cuts.length).toBe(Math.min(MAX_SEGMENTS, Math.ceil(steps / 16)))
        cuts.forEach((c, j) => expect(c).toBeGreaterThan(j === 0 ? 0 : cuts[j - 1]!))
      }),
    )
  })

  it('derives the same seed everywhere (fixed vectors), different per job seed, round and unit', () => {
    const seeds = new Set<number>()
    for (let r = 0; r < 20; r++) for (let i = 0; i < 20; i++) seeds.add(unitSeed(42, r, i))
    expect(seeds.size).toBe(400)
    expect(unitSeed(42, 3, 1)).toBe(SEED_42_3_1)
    expect(unitSeed(43, 3, 1)).not.toBe(SEED_42_3_1)
    for (const s of seeds) expect(s >>> 0).toBe(s)
  })

  it('walks a fresh permutation per epoch once a unit needs more samples than its shards hold', () => {
    const order = unitSampleOrder(10, 3, 4, 5)
    expect(order).toHaveLength(12)
    expect(new Set(order.subarray(0, 10)).size).toBe(10)
    expect([...order].every((i) => i < 10)).toBe(true)
    expect(unitSampleOrder(10, 3, 4, 5)).toEqual(order)
    expect(unitSampleOrder(10, 3, 4, 6)).not.toEqual(order)
    // Two epochs: the second starts a new permutation, not the first one again.
    const twice = unitSampleOrder(6, 3, 4, 1)
    expect(new Set(twice.subarray(0, 6)).size).toBe(6)
    expect(new Set(twice.subarray(6, 12)).size).toBe(6)
    expect([...twice.subarray(6, 12)]).not.toEqual([...twice.subarray(0, 6)])
  })

  it('hashes the float32 loss trajectory: equal for equal losses, different for any change', async () => {
    const h = await trajectoryHash([2.5, 2, 1.5])
    expect(h).toMatch(/^[0-9a-f]{64}$/)
    expect(await trajectoryHash([2.5, 2, 1.5])).toBe(h)
    expect(await trajectoryHash([2.5, 2, 1.5000001])).not.toBe(h)
    // float32: a difference below float32 precision is the same trajectory.
    expect(await trajectoryHash([2.5, 2, 1.5 + 1e-12])).toBe(h)
    expect(await trajectoryHash([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })
})

/** Computed by hand (Python) from the mixing steps: (42 ^ 4·0x85ebca6b ^ 2·0xc2b2ae35), then ×0x7feb352d and xor-shifts. */
const SEED_42_3_1 = 3647393120
