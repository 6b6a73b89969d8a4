import { describe, expect, it } from 'vitest'
import { deltaMismatch } from './delta-consistency.ts'
import { quantizeInt8 } from './quantize.ts'
import { DEFAULT_THRESHOLDS, judgeReplay, spotCheck } from './verification.ts'
import { auditDraw, auditReasonFor, PROBATION_UNITS, roundSecret, secretCommitment, spotPicker } from './audit-draw.ts'
import { decodeVerdict, measured, REJECTION_CODES } from './verdicts.ts'
import { segmentError, type SegmentReplay } from './referee.ts'
import type { UnitResult } from './unit.ts'

const start = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i))
const end = Float32Array.from(start, (x, i) => x - 0.01 * Math.cos(i))
const honestDelta = quantizeInt8(Float32Array.from(start, (x, i) => x - end[i]!))

describe('delta consistency', () => {
  it('accepts the honest int8 delta of θ_start − θ_end and refuses one step of rounding more', () => {
    expect(deltaMismatch(start, end, honestDelta).worst).toBeLessThanOrEqual(1)
    const off = { ...honestDelta, values: Int8Array.from(honestDelta.values, (v, i) => (i === 300 ? v + 1 : v)) }
    expect(deltaMismatch(start, end, off)).toMatchObject({ index: 300 })
    expect(deltaMismatch(start, end, off).worst).toBeGreaterThan(1)
  })

  it('checks only the range it is given, with the end point of that range alone', () => {
    const off = { ...honestDelta, values: Int8Array.from(honestDelta.values, (v, i) => (i === 10 ? -v : v)) }
    expect(deltaMismatch(start, end.subarray(500, 600), off, 500, 600).worst).toBeLessThanOrEqual(1)
    expect(deltaMismatch(start, end.subarray(0, 100), off, 0, 100).index).toBe(10)
  })

  it('treats a non-finite end point as a mismatch', () => {
    const bad = Float32Array.from(end)
    bad[5] = NaN
    expect(deltaMismatch(start, bad, honestDelta)).toEqual({ worst: Infinity, index: 5 })
  })
})

describe('judging a replay', () => {
  const segment = (patch: Partial<SegmentReplay> = {}): SegmentReplay => ({ segment: 0, relativeError: 0.01, loss: 1.5, reportedLoss: 1.5, ...patch })

  it('passes segments within tolerance, at the tolerance exactly, and fails just past it', () => {
    expect(judgeReplay([segment(), segment({ segment: 1, relativeError: DEFAULT_THRESHOLDS.maxSegmentError })], start, end, honestDelta).code).toBe('ACCEPTED')
    expect(judgeReplay([segment(), segment({ segment: 1, relativeError: DEFAULT_THRESHOLDS.maxSegmentError * 1.0001 })], start, end, honestDelta)).toMatchObject({ code: 'AUDIT_FAILED', params: { segment: 1 } })
    expect(judgeReplay([segment({ relativeError: NaN })], start, end, honestDelta).code).toBe('AUDIT_FAILED')
  })

  it('fails a reported segment loss off by more than the tolerance, and a delta that is not the end point\'s', () => {
    expect(judgeReplay([segment({ reportedLoss: 1.5 * (1 + 2 * DEFAULT_THRESHOLDS.lossTolerance) })], start, end, honestDelta)).toMatchObject({ code: 'AUDIT_FAILED', params: { reportedLoss: expect.any(Number) } })
    expect(judgeReplay([segment({ reportedLoss: 1.5 * (1 + 0.5 * DEFAULT_THRESHOLDS.lossTolerance) })], start, end, honestDelta).code).toBe('ACCEPTED')
    const scaled = { ...honestDelta, scales: honestDelta.scales.map((s) => s * 1.1) }
    expect(judgeReplay([segment()], start, end, scaled)).toMatchObject({ code: 'AUDIT_FAILED', params: { delta: expect.any(Number) } })
  })

  it('measures a segment relative to its own movement; a claim that never moved is infinitely wrong', () => {
    const from = new Float32Array([0, 0])
    expect(segmentError(from, new Float32Array([1, 0]), new Float32Array([1, 0]))).toBe(0)
    expect(segmentError(from, new Float32Array([1.1, 0]), new Float32Array([1, 0]))).toBeCloseTo(0.1, 6)
    expect(segmentError(from, new Float32Array([1, 0]), from)).toBe(Infinity)
    expect(segmentError(from, from, from)).toBe(0)
  })
})

describe('spot check', () => {
  const result = { checkpoints: ['end-cid'] } as unknown as UnitResult
  const pieces = (values: Float32Array) => ({
    checkpoint: async () => values,
    checkpointPieces: async (_: string, pick: (n: number) => number[]) => ({ valuesPerPiece: 100, pieces: new Map(pick(10).map((i) => [i, values.subarray(i * 100, (i + 1) * 100)])) }),
  })

  it('passes the honest end point and flags a delta changed after training, in whichever piece is drawn', async () => {
    expect(await spotCheck({ result, delta: honestDelta, start, evidence: pieces(end), spotPick: () => [0, 3, 9] })).toBeNull()
    const biased = quantizeInt8(Float32Array.from(start, (x, i) => x - end[i]! + 0.003))
    expect(await spotCheck({ result, delta: biased, start, evidence: pieces(end), spotPick: () => [7] })).toMatchObject({ code: 'DELTA_MISMATCH', params: { index: expect.any(Number) } })
  })

  it('only sees what it draws: a change confined to one piece passes unless that piece is picked', async () => {
    const local = Float32Array.from(end)
    for (let i = 400; i < 500; i++) local[i] = local[i]! + 0.05
    const evidence = pieces(local)
    expect(await spotCheck({ result, delta: honestDelta, start, evidence, spotPick: () => [0, 1] })).toBeNull()
    expect((await spotCheck({ result, delta: honestDelta, start, evidence, spotPick: () => [4] }))?.code).toBe('DELTA_MISMATCH')
  })
})

describe('audit draws', () => {
  it('derives a different secret per round and commits to each', async () => {
    const secret = 'ab'.repeat(32)
    const [r0, r1] = [await roundSecret(secret, 0), await roundSecret(secret, 1)]
    expect(r0).toMatch(/^[0-9a-f]{64}$/)
    expect(r0).not.toBe(r1)
    expect(await secretCommitment(r0)).not.toBe(r0)
    expect(await roundSecret(secret, 0)).toBe(r0)
  })

  it('draws uniformly enough: about the audit rate of many commitments fall below it', async () => {
    const secret = await roundSecret('cd'.repeat(32), 3)
    let below = 0
    for (let i = 0; i < 2000; i++) if ((await auditDraw(secret, i.toString(16).padStart(64, '0'))) < 0.25) below++
    expect(below / 2000).toBeGreaterThan(0.22)
    expect(below / 2000).toBeLessThan(0.28)
  })

  it('audits every unit at rate 1, a new peer\'s first units always, and otherwise by the draw at its boundary', () => {
    expect(auditReasonFor(1, 10, 0.99)).toBe('every')
    expect(auditReasonFor(0, PROBATION_UNITS - 1, 0.99)).toBe('probation')
    expect(auditReasonFor(0.25, PROBATION_UNITS, 0.2499)).toBe('draw')
    expect(auditReasonFor(0.25, PROBATION_UNITS, 0.25)).toBeNull()
    expect(auditReasonFor(0, PROBATION_UNITS, 0)).toBeNull()
  })

  it('picks spot-check pieces from the commitment: the same pieces every time, distinct, within range', async () => {
    const secret = await roundSecret('ef'.repeat(32), 0)
    const pick = await spotPicker(secret, '01'.repeat(32), 4)
    const picks = pick(58)
    expect(new Set(picks).size).toBe(4)
    expect(picks.every((i) => i >= 0 && i < 58)).toBe(true)
    expect((await spotPicker(secret, '01'.repeat(32), 4))(58)).toEqual(picks)
    expect((await spotPicker(secret, '02'.repeat(32), 4))(58)).not.toEqual(picks)
    expect(pick(2).sort()).toEqual([0, 1])
  })
})

describe('verdicts', () => {
  it('decodes known codes with flat parameters and refuses anything else', () => {
    expect(decodeVerdict({ code: 'AUDIT_FAILED', params: { segment: 1, error: 0.5 } }, 'v')).toEqual({ code: 'AUDIT_FAILED', params: { segment: 1, error: 0.5 } })
    expect(() => decodeVerdict({ code: 'BANNED_FOREVER' }, 'v')).toThrow(/unknown code "BANNED_FOREVER"/)
    expect(() => decodeVerdict({ code: 'ACCEPTED' }, 'v', REJECTION_CODES)).toThrow(/unknown code/)
    expect(() => decodeVerdict({ code: 'AUDIT_FAILED', params: { nested: { a: 1 } } }, 'v')).toThrow(/parameter "nested"/)
    expect(() => decodeVerdict({ code: 'AUDIT_FAILED', params: { x: Infinity } }, 'v')).toThrow(/parameter "x"/)
    expect(() => decodeVerdict({ code: 'AUDIT_FAILED', params: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, i])) }, 'v')).toThrow(/more than 8/)
    expect(() => decodeVerdict({ code: 'AUDIT_FAILED', params: { s: 'x'.repeat(201) } }, 'v')).toThrow(/parameter "s"/)
    expect(decodeVerdict({ code: 'AUDIT_FAILED', params: { s: 'x'.repeat(200) } }, 'v').params.s).toHaveLength(200)
  })

  it('rounds measurements for JSON, where infinity becomes a large finite number', () => {
    expect(measured(0.123456789)).toBe(0.1235)
    expect(measured(Infinity)).toBe(1e9)
    expect(JSON.parse(JSON.stringify({ x: measured(NaN) })).x).toBe(1e9)
  })
})
