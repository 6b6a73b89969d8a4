// The work protocol's codec at its limits: every message type round-trips, every field is bounded exactly
// where the schema says (at the limit accepted, one past refused), and whatever fails is a DecodeError that
// names the field, never a crash; the availability fields (held chunks, missing-chunk reports, providers and
// chunks to copy) likewise.
import { describe, expect, it } from 'vitest'
import { DecodeError } from '../errors.ts'
import { buildDataset } from '../data/build-dataset.ts'
import { decodeWorkRequest, decodeWorkResponse, encodeWork, MAX_WORK_MESSAGE_BYTES, type WorkRequest, type WorkResponse } from './work-messages.ts'
import type { UnitResult } from '../training/unit.ts'

const result: UnitResult = {
  unitId: '3.1', jobId: 'job-test', round: 3, version: 3, deltaCid: 'bafkdelta', deltaBytes: 1044, lossBefore: 2.3, lossAfter: 1.9, samples: 384,
  flops: 1e9, trajectoryHash: 'ab'.repeat(32), checkpoints: ['c1', 'c2', 'c3'], segmentLosses: [2.3, 2.1, 2], backend: 'wasm', elapsedMs: 900,
}
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
const request = (value: unknown) => decodeWorkRequest(json(value))
const response = (value: unknown) => decodeWorkResponse(json(value))
const refusal = (decode: () => unknown): string => {
  try {
    decode()
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError)
    return (error as Error).message
  }
  throw new Error('decoded without complaint')
}

describe('work messages', () => {
  it('round-trips every request and response', async () => {
    const { manifest } = await buildDataset(
      { shape: { height: 2, width: 2, classes: ['a', 'b'] }, count: 2, pixels: new Uint8Array(8).fill(3), labels: Uint8Array.of(0, 1), sources: [{ file: 'f', row: 1 }, { file: 'f', row: 2 }] },
      { name: 'tiny', licence: 'MIT', description: '' }, 'owner-peer', 7,
    )
    const requests: WorkRequest[] = [
      { type: 'request', jobId: 'job-test', backend: 'webgpu' },
      { type: 'submit', result, signature: 'ab'.repeat(64) },
      { type: 'offer', jobId: 'job-test', dataset: { manifest, signature: 'cd'.repeat(64) } },
      { type: 'bind', binding: { job: 'job-test', peer: 'p', wallet: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', expiry: 1_900_000_000, signature: '0x1234' } },
    ]
    for (const r of requests) expect(decodeWorkRequest(encodeWork(r))).toEqual(r)
    const responses: WorkResponse[] = [
      { type: 'unit', unit: { unitId: '3.1', jobId: 'job-test', round: 3, version: 3, paramsCid: 'bafk', shards: [{ cid: 'shard-0', samples: 64, owner: 'alice' }], seed: 9, innerSteps: 48, batchSize: 8, lr: 1e-3 } },
      { type: 'wait', retryMs: 1500, verdict: { code: 'FAIR_SHARE', params: { share: 2, round: 3 } } },
      { type: 'ack', accepted: false, verdict: { code: 'NOT_ASSIGNED', params: { unit: '3.1' } } },
      { type: 'ack', accepted: true, verdict: { code: 'RECEIVED', params: {} } },
      { type: 'error', message: 'no' },
      { type: 'dataset', id: 'bafkid', status: 'pending', reason: 'waiting for the job owner' },
      { type: 'bound', wallet: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', expiry: 1_900_000_000 },
    ]
    for (const r of responses) expect(decodeWorkResponse(encodeWork(r))).toEqual(r)
  })

  it('encodes a message of exactly the frame limit and refuses one byte more', () => {
    const overhead = JSON.stringify({ type: 'error', message: '' }).length
    expect(encodeWork({ type: 'error', message: 'x'.repeat(MAX_WORK_MESSAGE_BYTES - overhead) })).toHaveLength(MAX_WORK_MESSAGE_BYTES)
    expect(() => encodeWork({ type: 'error', message: 'x'.repeat(MAX_WORK_MESSAGE_BYTES - overhead + 1) })).toThrow(`is ${MAX_WORK_MESSAGE_BYTES + 1} bytes, over ${MAX_WORK_MESSAGE_BYTES}`)
  })

  it('reads a frame of exactly the limit and refuses a longer one before parsing it', () => {
    const at = new TextEncoder().encode(`{"type":"request","jobId":"j","backend":"wasm"}`.padEnd(MAX_WORK_MESSAGE_BYTES, ' '))
    expect(decodeWorkRequest(at)).toEqual({ type: 'request', jobId: 'j', backend: 'wasm' })
    const over = new TextEncoder().encode(`{"type":"request","jobId":"j","backend":"wasm"}`.padEnd(MAX_WORK_MESSAGE_BYTES + 1, ' '))
    expect(refusal(() => decodeWorkRequest(over))).toMatch(`message is ${MAX_WORK_MESSAGE_BYTES + 1} bytes, the limit is ${MAX_WORK_MESSAGE_BYTES}`)
    expect(refusal(() => decodeWorkResponse(over))).toMatch('the limit is')
  })

  it('decodes bytes that are not UTF-8 to replacement characters rather than throwing', () => {
    const bytes = Uint8Array.from([...new TextEncoder().encode('{"type":"error","message":"'), 0xff, ...new TextEncoder().encode('"}')])
    expect(decodeWorkResponse(bytes)).toEqual({ type: 'error', message: '\uFFFD' })
  })

  it('bounds every string of a request at its limit', () => {
    expect(request({ type: 'request', jobId: 'j'.repeat(128), backend: 'b'.repeat(16) })).toMatchObject({ jobId: 'j'.repeat(128) })
    expect(refusal(() => request({ type: 'request', jobId: 'j'.repeat(129), backend: 'wasm' }))).toMatch('"jobId" is longer than 128')
    expect(refusal(() => request({ type: 'request', jobId: 'j', backend: 'b'.repeat(17) }))).toMatch('"backend" is longer than 16')
    expect(refusal(() => request({ type: 'request', backend: 'wasm' }))).toMatch('"jobId" must be a string')
    expect(refusal(() => request({ type: 'offer', jobId: 'j'.repeat(129), dataset: {} }))).toMatch('"jobId" is longer than 128')
    expect(refusal(() => request({ type: 'offer', jobId: 'j', dataset: {} }))).toMatch('signed dataset manifest')
    expect(refusal(() => request({ type: 'bind', binding: { wallet: 'nope' } }))).toMatch('wallet binding')
  })

  it('takes a submission signature only as lowercase hex of whole bytes, at most 256 digits', () => {
    expect(request({ type: 'submit', result, signature: 'a'.repeat(256) })).toMatchObject({ signature: 'a'.repeat(256) })
    expect(refusal(() => request({ type: 'submit', result, signature: 'a'.repeat(258) }))).toMatch('"signature" is longer than 256')
    for (const signature of ['', 'AB'.repeat(64), 'zz', 'ab cd', '0xabcd', 'abc']) expect(refusal(() => request({ type: 'submit', result, signature }))).toMatch('"signature" must be lowercase hex')
    expect(refusal(() => request({ type: 'submit', result: { ...result, samples: 0 }, signature: 'ab' }))).toMatch('work result: "samples" must be between 1')
    expect(refusal(() => request({ type: 'submit', signature: 'ab' }))).toMatch('work result: expected an object')
  })

  it('refuses unknown types, over-long types and anything that is not an object', () => {
    expect(refusal(() => request({ type: 'steal' }))).toMatch('work request: unknown type "steal"')
    expect(refusal(() => response({ type: 'steal' }))).toMatch('work response: unknown type "steal"')
    expect(refusal(() => request({ type: 'r'.repeat(17) }))).toMatch('"type" is longer than 16')
    expect(refusal(() => response({ type: 'u'.repeat(17) }))).toMatch('"type" is longer than 16')
    expect(refusal(() => request([]))).toMatch('work request: expected an object')
    expect(refusal(() => response('unit'))).toMatch('work response: expected an object')
    expect(refusal(() => decodeWorkRequest(new TextEncoder().encode('{"type":')))).toMatch('work request: not valid JSON')
  })

  it('bounds a wait between 0 and one hour, in whole milliseconds, with a wait code only', () => {
    const wait = (retryMs: unknown, code = 'NO_OPEN_UNITS') => response({ type: 'wait', retryMs, verdict: { code, params: {} } })
    expect(wait(0)).toMatchObject({ retryMs: 0 })
    expect(wait(3_600_000)).toMatchObject({ retryMs: 3_600_000 })
    expect(refusal(() => wait(3_600_001))).toMatch('"retryMs" must be between 0 and 3600000')
    expect(refusal(() => wait(-1))).toMatch('"retryMs" must be between 0')
    expect(refusal(() => wait(1.5))).toMatch('"retryMs" must be an integer')
    expect(refusal(() => wait(1000, 'ACCEPTED'))).toMatch('work response verdict: unknown code "ACCEPTED"')
  })

  it('bounds acknowledgements, errors, dataset replies and bindings', () => {
    expect(refusal(() => response({ type: 'ack', accepted: 'yes', verdict: { code: 'RECEIVED' } }))).toMatch('"accepted" must be true or false')
    expect(refusal(() => response({ type: 'ack', accepted: true, verdict: { code: 'PAID' } }))).toMatch('unknown code "PAID"')
    expect(response({ type: 'error', message: 'm'.repeat(1000) })).toMatchObject({ type: 'error' })
    expect(refusal(() => response({ type: 'error', message: 'm'.repeat(1001) }))).toMatch('"message" is longer than 1000')
    const dataset = { type: 'dataset', id: 'i'.repeat(128), status: 'accepted', reason: 'r'.repeat(500) }
    expect(response(dataset)).toEqual(dataset)
    for (const status of ['pending', 'rejected']) expect(response({ ...dataset, status })).toMatchObject({ status })
    expect(refusal(() => response({ ...dataset, status: 'paid' }))).toMatch('work response: unknown dataset status "paid"')
    expect(refusal(() => response({ ...dataset, status: 's'.repeat(17) }))).toMatch('"status" is longer than 16')
    expect(refusal(() => response({ ...dataset, id: 'i'.repeat(129) }))).toMatch('"id" is longer than 128')
    expect(refusal(() => response({ ...dataset, reason: 'r'.repeat(501) }))).toMatch('"reason" is longer than 500')
    const bound = { type: 'bound', wallet: `0x${'a'.repeat(40)}`, expiry: 5 }
    expect(response(bound)).toEqual(bound)
    expect(refusal(() => response({ ...bound, wallet: `0x${'a'.repeat(41)}` }))).toMatch('"wallet" is longer than 42')
    expect(refusal(() => response({ ...bound, expiry: -1 }))).toMatch('"expiry" must be between 0')
    expect(refusal(() => response({ type: 'unit', unit: { unitId: 'u' } }))).toMatch('work assignment')
  })
})

const unit = { unitId: '1.0', jobId: 'j', round: 1, version: 1, paramsCid: 'p', shards: [{ cid: 'c1', samples: 10, owner: 'o', dataset: 'd' }], seed: 1, innerSteps: 4, batchSize: 8, lr: 0.001 }

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
    expect(() => decodeWorkRequest(json({ type: 'request', jobId: 'j', backend: 'wasm', holds: Array.from({ length: 513 }, (_, i) => `c${i}`) }))).toThrow(/more than 512/)
    expect(() => decodeWorkResponse(json({ type: 'unit', unit, providers: { c1: Array.from({ length: 9 }, (_, i) => `p${i}`) } }))).toThrow(/more than 8/)
    expect(() => decodeWorkResponse(json({ type: 'unit', unit, providers: { ['x'.repeat(129)]: ['a'] } }))).toThrow(/longer than 128/)
    expect(() => decodeWorkResponse(json({ type: 'unit', unit, replicate: Array.from({ length: 17 }, () => unit.shards[0]) }))).toThrow(/at most 16/)
    // Each limit exactly at is taken, one past refused.
    expect(decodeWorkResponse(json({ type: 'unit', unit, replicate: Array.from({ length: 16 }, () => unit.shards[0]) }))).toMatchObject({ replicate: { length: 16 } })
    const providers = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}`, ['p']]))
    expect(Object.keys((decodeWorkResponse(json({ type: 'unit', unit, providers: providers(64) })) as { providers: object }).providers)).toHaveLength(64)
    expect(() => decodeWorkResponse(json({ type: 'unit', unit, providers: providers(65) }))).toThrow('work response: "providers" names more than 64 chunks')
    expect(decodeWorkResponse(json({ type: 'unit', unit, providers: { ['x'.repeat(128)]: ['a'] } }))).toMatchObject({ providers: { ['x'.repeat(128)]: ['a'] } })
  })
})
