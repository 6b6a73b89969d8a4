import { describe, expect, it } from 'vitest'
import { deltaMismatch } from './delta-consistency.ts'
import { quantizeInt8 } from './quantize.ts'
import { DEFAULT_THRESHOLDS, judgeReplay, spotCheck, VolunteerGone } from './verification.ts'
import { TesseraeError } from '../errors.ts'
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

  it('allows exactly the float32 error of the subtraction: at the allowance passes, past it fails (judged and spot-checked)', async () => {
    // θ_start = 1 + 2⁻²², θ_end = 1 − 2⁻²² differ by 2⁻²¹; a zero-scale block says 0, and the float32 allowance
    // 2·2⁻²³·(|θ_start| + |θ_end|) is exactly 2⁻²¹: a violation of exactly 1.
    const zeroBlock = { length: 1, blockSize: 1, scales: Float32Array.of(0), values: Int8Array.of(0) }
    const from = Float32Array.of(1 + 2 ** -22)
    const at = Float32Array.of(1 - 2 ** -22)
    const past = Float32Array.of(1 - 2 ** -21)
    expect(deltaMismatch(from, at, zeroBlock)).toEqual({ worst: 1, index: 0 })
    const replay: SegmentReplay = { segment: 0, relativeError: 0, loss: 1, reportedLoss: 1 }
    expect(judgeReplay([replay], from, at, zeroBlock)).toEqual({ code: 'ACCEPTED', params: {} })
    expect(judgeReplay([replay], from, past, zeroBlock)).toEqual({ code: 'AUDIT_FAILED', params: { delta: 0, excess: 1.5 } })
    const served = (values: Float32Array) => ({ checkpoint: async () => values, checkpointPieces: async () => ({ valuesPerPiece: 1, pieces: new Map([[0, values]]) }) })
    const spot = (values: Float32Array) => spotCheck({ result: { checkpoints: ['end'] } as unknown as UnitResult, delta: zeroBlock, start: from, evidence: served(values), spotPick: () => [0] })
    expect(await spot(at)).toBeNull()
    expect(await spot(past)).toEqual({ code: 'DELTA_MISMATCH', params: { index: 0, excess: 1.5 } })
  })

  it('allows half a quantisation step plus 0.1 %, names the first worst value, and index −1 when nothing is off', () => {
    const unitScale = (n: number) => ({ length: n, blockSize: n, scales: Float32Array.of(1), values: new Int8Array(n) })
    // A zero value with scale 1 covers |θ_start − θ_end| up to 0.5 × 1.001 (plus the float32 error, ~1e-7 here).
    expect(deltaMismatch(Float32Array.of(0), Float32Array.of(-0.5004), unitScale(1)).worst).toBeLessThan(1)
    expect(deltaMismatch(Float32Array.of(0), Float32Array.of(-0.5006), unitScale(1)).worst).toBeGreaterThan(1)
    // Two equal violations: the first is named.
    expect(deltaMismatch(new Float32Array(4), Float32Array.of(0, 2, 0, 2), unitScale(4))).toMatchObject({ index: 1 })
    // An exact delta: no violation anywhere.
    const exact = { length: 2, blockSize: 1, scales: Float32Array.of(0.5, 0.25), values: Int8Array.of(1, -2) }
    expect(deltaMismatch(Float32Array.of(1, 1), Float32Array.of(0.5, 1.5), exact)).toEqual({ worst: 0, index: -1 })
    expect(deltaMismatch(Float32Array.of(1, 1), Float32Array.of(0.5, 1.5), exact, 1, 1)).toEqual({ worst: 0, index: -1 })
  })

  it('gives a zero block a floor of 1e-30 rather than dividing by zero', () => {
    const zeroBlock = { length: 1, blockSize: 1, scales: Float32Array.of(0), values: Int8Array.of(0) }
    expect(deltaMismatch(Float32Array.of(0), Float32Array.of(0), zeroBlock)).toEqual({ worst: 0, index: -1 })
    // 1e-31 against a floor of about 1e-30: a tenth of what is allowed.
    expect(deltaMismatch(Float32Array.of(0), Float32Array.of(1e-31), zeroBlock).worst).toBeCloseTo(Math.fround(1e-31) / 1e-30, 3)
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

  it('compares losses with a relative tolerance floored at 1: exactly at it passes, and large losses get room in proportion', () => {
    // |0 − 0.001| is exactly 1e-3 × max(1, 0, 0.001): at the tolerance, which passes.
    expect(judgeReplay([segment({ loss: 0, reportedLoss: 1e-3 })], start, end, honestDelta).code).toBe('ACCEPTED')
    expect(judgeReplay([segment({ loss: 0, reportedLoss: 1.5e-3 })], start, end, honestDelta).code).toBe('AUDIT_FAILED')
    // A loss of 100 may differ by 0.1 (1e-3 × 100), far more than the floor's 1e-3 …
    expect(judgeReplay([segment({ loss: 100, reportedLoss: 100.05 })], start, end, honestDelta).code).toBe('ACCEPTED')
    // … and by no more than that, whichever of the two is larger.
    expect(judgeReplay([segment({ loss: 100.2, reportedLoss: 100 })], start, end, honestDelta)).toEqual({ code: 'AUDIT_FAILED', params: { segment: 0, loss: 100.2, reportedLoss: 100 } })
  })

  it('reports the first failing segment with its measured error and the tolerance', () => {
    const out = judgeReplay([segment(), segment({ segment: 1, relativeError: 0.123456 }), segment({ segment: 2, relativeError: 5 })], start, end, honestDelta)
    expect(out).toEqual({ code: 'AUDIT_FAILED', params: { segment: 1, error: 0.123, tolerance: DEFAULT_THRESHOLDS.maxSegmentError } })
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

  it('compares the pieces of the last checkpoint (θ_end), not of an earlier one', async () => {
    const byCid = new Map([['mid-cid', start], ['end-cid', end]])
    const evidence = {
      checkpoint: async (cid: string) => byCid.get(cid)!,
      checkpointPieces: async (cid: string, pick: (n: number) => number[]) => ({ valuesPerPiece: 100, pieces: new Map(pick(10).map((i) => [i, byCid.get(cid)!.subarray(i * 100, (i + 1) * 100)])) }),
    }
    const twoCheckpoints = { checkpoints: ['mid-cid', 'end-cid'] } as unknown as UnitResult
    expect(await spotCheck({ result: twoCheckpoints, delta: honestDelta, start, evidence, spotPick: () => [2] })).toBeNull()
    const reversed = { checkpoints: ['end-cid', 'mid-cid'] } as unknown as UnitResult
    expect(await spotCheck({ result: reversed, delta: honestDelta, start, evidence, spotPick: () => [2] })).toMatchObject({ code: 'DELTA_MISMATCH', params: { index: expect.any(Number) } })
  })

  it('names the first value of a drawn piece that disagrees', async () => {
    const local = Float32Array.from(end)
    local[437] = local[437]! + 0.05
    expect(await spotCheck({ result, delta: honestDelta, start, evidence: pieces(local), spotPick: () => [1, 4] })).toMatchObject({ code: 'DELTA_MISMATCH', params: { index: 437 } })
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

  it('takes up to 8 parameters with names up to 32 characters, and says which limit a verdict broke', () => {
    const params = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))
    expect(Object.keys(decodeVerdict({ code: 'AUDIT_FAILED', params: params(8) }, 'v').params)).toHaveLength(8)
    expect(() => decodeVerdict({ code: 'AUDIT_FAILED', params: params(9) }, 'v')).toThrow('v: has more than 8 parameters')
    const name = 'n'.repeat(32)
    expect(decodeVerdict({ code: 'AUDIT_FAILED', params: { [name]: 1 } }, 'v').params[name]).toBe(1)
    expect(() => decodeVerdict({ code: 'AUDIT_FAILED', params: { [name + 'xyz']: 1 } }, 'v')).toThrow(`v: parameter name "${name}…" is too long`)
    expect(() => decodeVerdict({ code: 'AUDIT_FAILED', params: 'segment 1' }, 'v')).toThrow('v params: expected an object')
    expect(decodeVerdict({ code: 'ACCEPTED' }, 'v')).toEqual({ code: 'ACCEPTED', params: {} })
  })

  it('refuses a parameter that is a list, an object or null: only flat numbers and short strings', () => {
    for (const value of [[1, 2], { a: 1 }, null, true]) {
      expect(() => decodeVerdict({ code: 'AUDIT_FAILED', params: { p: value } }, 'v'), JSON.stringify(value)).toThrow('v: parameter "p" must be a finite number or a string of at most 200 characters')
    }
  })

  it('rounds measurements for JSON, where infinity becomes a large finite number', () => {
    expect(measured(0.123456789)).toBe(0.1235)
    expect(measured(Infinity)).toBe(1e9)
    expect(JSON.parse(JSON.stringify({ x: measured(NaN) })).x).toBe(1e9)
  })
})

describe('a volunteer that left', () => {
  it('is a named error with a stable code, naming the peer by its first 16 characters', () => {
    const gone = new VolunteerGone('12D3KooW' + 'x'.repeat(40))
    expect(gone).toBeInstanceOf(TesseraeError)
    expect(gone).toMatchObject({ name: 'VolunteerGone', code: 'PEER_GONE', message: '12D3KooWxxxxxxxx… disconnected before its evidence could be fetched' })
  })
})
