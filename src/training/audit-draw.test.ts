// The audit draw is public after the round: anyone must be able to recompute it. These vectors are computed
// with Node's own crypto from the documented construction, not with the code under test.
import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { AUDIT_REASONS, auditDraw, auditReasonFor, newJobSecret, resultCommitment, roundSecret, secretCommitment, spotPicker } from './audit-draw.ts'
import { resultSigningBytes, type UnitResult } from './unit.ts'
import { seededPermutation } from '../random.ts'

const jobSecret = '0f'.repeat(32)
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest()

describe('audit draws, recomputed independently', () => {
  it('derives each round\'s secret as HMAC-SHA-256(job secret, "tesserae-round-secret/<round>")', async () => {
    for (const round of [0, 1, 17]) {
      const expected = createHmac('sha256', Buffer.from(jobSecret, 'hex')).update(`tesserae-round-secret/${round}`).digest('hex')
      expect(await roundSecret(jobSecret, round)).toBe(expected)
    }
  })

  it('announces sha-256 of the round secret\'s bytes', async () => {
    const secret = await roundSecret(jobSecret, 2)
    expect(await secretCommitment(secret)).toBe(sha256(Buffer.from(secret, 'hex')).toString('hex'))
  })

  it('commits to sha-256 of exactly the signed bytes', async () => {
    const result: UnitResult = { unitId: 'u', jobId: 'j', round: 1, version: 1, deltaCid: 'd', deltaBytes: 9, lossBefore: 1, lossAfter: 0.5, samples: 8, flops: 3, trajectoryHash: 'h', checkpoints: ['c'], segmentLosses: [1], backend: 'wasm', elapsedMs: 4 }
    expect(await resultCommitment(result)).toBe(sha256(Buffer.from(resultSigningBytes(result))).toString('hex'))
  })

  it('draws the first 32 bits (big-endian) of sha-256("tesserae-audit/<secret>/<commitment>") over 2^32', async () => {
    const secret = await roundSecret(jobSecret, 3)
    const commitment = 'ab'.repeat(32)
    const digest = sha256(`tesserae-audit/${secret}/${commitment}`)
    expect(await auditDraw(secret, commitment)).toBe(digest.readUInt32BE(0) / 2 ** 32)
  })

  it('picks spot-check pieces by a permutation seeded from the draw of "<commitment>/spot"', async () => {
    const secret = await roundSecret(jobSecret, 3)
    const commitment = 'cd'.repeat(32)
    const seed = sha256(`tesserae-audit/${secret}/${commitment}/spot`).readUInt32BE(0)
    const pick = await spotPicker(secret, commitment, 4)
    expect(pick(50)).toEqual([...seededPermutation(50, seed).subarray(0, 4)])
    expect(pick(3)).toHaveLength(3)
    expect(new Set(pick(3))).toEqual(new Set([0, 1, 2]))
    expect(pick(1)).toEqual([0])
    expect((await spotPicker(secret, commitment, 0))(50)).toEqual([])
  })

  it('names the four reasons a result is re-executed, in the order round reports count them', () => {
    expect(AUDIT_REASONS).toEqual(['every', 'probation', 'draw', 'suspicious'])
  })

  it('makes fresh 256-bit job secrets', () => {
    const a = newJobSecret()
    expect(a).toMatch(/^[0-9a-f]{64}$/)
    expect(newJobSecret()).not.toBe(a)
  })

  it('audits every unit from a rate of 1, probation before the first passed audit, then below the rate only', () => {
    expect(auditReasonFor(1.5, 3, 0.999)).toBe('every')
    expect(auditReasonFor(0.999, 3, 0.999)).toBeNull()
    expect(auditReasonFor(0.999, 3, 0.998)).toBe('draw')
    expect(auditReasonFor(0.25, 0, 0.9)).toBe('probation')
    expect(auditReasonFor(0.25, 1, 0.9)).toBeNull()
    expect(auditReasonFor(0, 1, 0)).toBeNull()
  })
})
