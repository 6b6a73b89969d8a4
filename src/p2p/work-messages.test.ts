// The availability fields of the work protocol decode within their bounds, and anything past them is refused.
import { describe, expect, it } from 'vitest'
import { decodeWorkRequest, decodeWorkResponse, encodeWork } from './work-messages.ts'

const unit = { unitId: '1.0', jobId: 'j', round: 1, version: 1, paramsCid: 'p', shards: [{ cid: 'c1', samples: 10, owner: 'o', dataset: 'd' }], seed: 1, innerSteps: 4, batchSize: 8, lr: 0.001 }
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

describe('work messages: availability', () => {
  it('round-trips the chunks a volunteer holds, a missing-chunk report, and a unit\'s providers and chunks to copy', () => {
    const request = { type: 'request' as const, jobId: 'j', backend: 'wasm', holds: ['c1', 'c2'] }
    expect(decodeWorkRequest(encodeWork(request))).toEqual(request)
    const missing = { type: 'missing' as const, jobId: 'j', unitId: '1.0', cid: 'c1' }
    expect(decodeWorkRequest(encodeWork(missing))).toEqual(missing)
    const reply = { type: 'unit' as const, unit, providers: { c1: ['a', 'b'] }, replicate: [{ cid: 'c2', samples: 10, owner: 'o', dataset: 'd' }] }
    expect(decodeWorkResponse(encodeWork(reply))).toEqual(reply)
    // An older peer sends none of them.
    expect(decodeWorkResponse(encodeWork({ type: 'unit', unit }))).toEqual({ type: 'unit', unit })
  })

  it('refuses too many held chunks, providers or chunks to copy', () => {
    expect(() => decodeWorkRequest(bytes({ type: 'request', jobId: 'j', backend: 'wasm', holds: Array.from({ length: 513 }, (_, i) => `c${i}`) }))).toThrow(/more than 512/)
    expect(() => decodeWorkResponse(bytes({ type: 'unit', unit, providers: { c1: Array.from({ length: 9 }, (_, i) => `p${i}`) } }))).toThrow(/more than 8/)
    expect(() => decodeWorkResponse(bytes({ type: 'unit', unit, providers: { ['x'.repeat(129)]: ['a'] } }))).toThrow(/longer than 128/)
    expect(() => decodeWorkResponse(bytes({ type: 'unit', unit, replicate: Array.from({ length: 17 }, () => unit.shards[0]) }))).toThrow(/at most 16/)
  })
})
