import { describe, expect, it } from 'vitest'
import { decodeCommitments, encodeCommitments, hashParams, judgeStageAudit, Reservoir, STAGE_AUDIT_TOLERANCE } from './stage-audit.ts'
import { seededRandom } from '../random.ts'

const version = Float32Array.from([1, 2, 3, 4])
const later = Float32Array.from([1.1, 2, 2.9, 4])

describe('a stage replica\'s audit', async () => {
  const versionHash = await hashParams(version)
  const commitments = [{ step: 'a.0', hash: versionHash }, { step: 'a.1', hash: await hashParams(later) }]
  const answer = Float32Array.from([0.5, -1, 2])

  it('passes a replica whose revealed step matches its commitment and whose answer matches the rerun', async () => {
    expect(await judgeStageAudit({ commitments, step: 'a.1', revealed: later, versionHash, answer, rerun: answer.map((x) => x * (1 + STAGE_AUDIT_TOLERANCE / 2)) })).toEqual({ passed: true })
    expect(await judgeStageAudit({ commitments, step: 'a.0', revealed: version, versionHash, answer: null, rerun: null })).toEqual({ passed: true })
  })

  it('fails each way a replica can cheat, saying which', async () => {
    const fail = async (patch: Partial<Parameters<typeof judgeStageAudit>[0]>) => {
      const verdict = await judgeStageAudit({ commitments, step: 'a.1', revealed: later, versionHash, answer, rerun: answer, ...patch })
      expect(verdict.passed).toBe(false)
      return verdict.passed ? '' : verdict.reason
    }
    expect(await fail({ commitments: [] })).toBe('committed to no step')
    expect(await fail({ commitments: [{ step: 'a.0', hash: await hashParams(later) }, ...commitments.slice(1)] })).toMatch(/first step "a.0" did not run with the version's parameters/)
    expect(await fail({ step: 'a.7' })).toMatch(/did not commit to step "a.7"/)
    expect(await fail({ revealed: Float32Array.from([1.1, 2, 2.9, 4.0001]) })).toMatch(/revealed for step "a.1" are not the ones it committed to/)
    expect(await fail({ rerun: answer.map((x) => 0.9 * x) })).toMatch(/from the rerun, over 0\.01/)
    expect(await fail({ answer: null })).toMatch(/answer for step "a.1" is missing/)
    expect(await fail({ rerun: null })).toMatch(/was not expected/)
    expect(await fail({ rerun: Float32Array.from([0.5, -1]) })).toMatch(/has 3 values, the rerun 2/)
    expect(await fail({ answer: Float32Array.from([NaN, 0, 0]) })).toMatch(/from the rerun/)
  })

  it('decodes a commitment strictly', () => {
    expect(decodeCommitments(encodeCommitments(commitments))).toEqual(commitments)
    const bad = (value: unknown) => () => decodeCommitments(new TextEncoder().encode(JSON.stringify(value)))
    expect(bad({})).toThrow(/must be a list/)
    expect(bad([{ step: 'a', hash: 'AB'.repeat(32) }])).toThrow(/64 lowercase hex digits/)
    expect(bad([...commitments, commitments[0]])).toThrow(/lists step "a.0" twice/)
    expect(bad([{ step: 'x'.repeat(65), hash: versionHash }])).toThrow(/step/)
  })
})

describe('the calls kept for audit', () => {
  it('keeps at most its size, each call equally likely', () => {
    const counts = new Array<number>(10).fill(0)
    const random = seededRandom(3)
    for (let trial = 0; trial < 4000; trial++) {
      const r = new Reservoir<number>(2, random)
      for (let i = 0; i < 10; i++) r.offer(i)
      expect(r.items).toHaveLength(2)
      for (const i of r.items) counts[i]!++
    }
    // Each of the 10 calls is kept in 2/10 of the trials: 800 ± a few sigma (about 25).
    for (const c of counts) expect(Math.abs(c - 800)).toBeLessThan(110)
  })
})
