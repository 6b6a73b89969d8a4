// Versions as int8 diffs: the coordinator publishes exactly what a volunteer rebuilds from the previous version
// and the encoded diff, bit for bit, within the int8 grid of the change.
import { describe, expect, it } from 'vitest'
import { applyVersionDiff, quantizeVersion } from './version-diff.ts'
import { decodeDelta, encodeDelta, encodedDeltaBytes, DEFAULT_QUANT_BLOCK } from './quantize.ts'
import { seededRandom } from '../random.ts'
import { Harness, runRounds } from './testing/coordinator-harness.ts'
import { testJob } from './testing/job-fixture.ts'

describe('version diffs', () => {
  it('rebuild the published version bit for bit from the encoded diff, within half a step of the int8 grid', () => {
    const rand = seededRandom(3)
    const previous = Float32Array.from({ length: 1000 }, () => rand() * 2 - 1)
    const target = Float32Array.from(previous, (p, i) => p + (i < 256 ? 1e-3 : 0.05) * (rand() * 2 - 1))
    const { params, diff } = quantizeVersion(previous, target)
    const rebuilt = applyVersionDiff(previous, decodeDelta(encodeDelta(diff), previous.length))
    expect(Buffer.from(rebuilt.buffer).equals(Buffer.from(params.buffer))).toBe(true)
    // Each block's step is its largest change / 127: the first block's changes are 50 times smaller, and so is its error.
    for (let i = 0; i < previous.length; i++) expect(Math.abs(params[i]! - target[i]!)).toBeLessThanOrEqual((i < 256 ? 1e-3 : 0.05) / 254 + 1e-7)
    expect(encodedDeltaBytes(1000, DEFAULT_QUANT_BLOCK)).toBeLessThan(0.3 * 4 * 1000)
    expect(() => applyVersionDiff(previous.subarray(1), diff)).toThrow('a diff of 1000 values cannot update 999 parameters')
  })

  it('the coordinator publishes each new version with its diff from the one before, and units name it', async () => {
    const h = new Harness(testJob({ innerLr: 0.05, innerSteps: 48, auditRate: 0, unitsPerRound: 2 }))
    await h.open()
    expect(h.coordinator.view.current.paramsDiff).toBeUndefined()
    const first = h.coordinator.view.current.paramsCid
    const before = await h.vectors.getParams(first)
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    const round = h.coordinator.view.current
    expect(round.paramsDiff).toEqual({ from: first, cid: expect.any(String) })
    const rebuilt = applyVersionDiff(before, await h.vectors.getDelta(round.paramsDiff!.cid))
    expect(Array.from(rebuilt)).toEqual(Array.from(h.coordinator.currentParams))
    expect(Array.from(await h.vectors.getParams(round.paramsCid))).toEqual(Array.from(rebuilt))
    const reply = await h.coordinator.requestWork('c')
    expect(reply.kind === 'unit' && reply.unit.paramsDiff).toEqual(round.paramsDiff)
  })
})
