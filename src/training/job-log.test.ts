// The job log's envelope and record decoders at each limit, and the replay of ledger events: in sequence order
// whatever order the records list them, up to and including the epoch's position and not one past, charging
// only rejections the holder paid for. The whole log of a running coordinator is replayed in coordinator.test.ts.
import { describe, expect, it } from 'vitest'
import { DecodeError } from '../errors.ts'
import { testJob } from './testing/job-fixture.ts'
import type { DatasetState } from './datasets.ts'
import { decodeRecord, decodeSignedLogRecord, encodeLogRecord, LOG_FORMAT, MAX_LOG_RECORD_BYTES, replayLedger, roundRecord, type HolderRecord, type RoundRecord, type SignedLogRecord } from './job-log.ts'
import { verdict } from './verdicts.ts'

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
// The wire format's name spelled out, not taken from the code under test.
const envelope = (patch: Record<string, unknown> = {}) => ({ format: 'tesserae-log-1', coordinator: '12D3KooW', signature: 'ab'.repeat(32), record: '{}', ...patch })
const signed = (record: unknown): SignedLogRecord => ({ format: LOG_FORMAT, coordinator: 'c', signature: 'ab', record: JSON.stringify(record) })

describe('job log envelopes', () => {
  it('decodes an envelope and refuses another format, a signature that is not lowercase hex, and fields past their length', () => {
    expect(decodeSignedLogRecord(bytes(envelope()))).toEqual(envelope())
    expect(() => decodeSignedLogRecord(bytes(envelope({ format: 'tesserae-log-2' })))).toThrow('job log record: unknown format "tesserae-log-2"')
    expect(() => decodeSignedLogRecord(bytes(envelope({ format: 'f'.repeat(50) })))).toThrow(`unknown format "${'f'.repeat(40)}"`)
    expect(() => decodeSignedLogRecord(bytes(envelope({ signature: 'AB' })))).toThrow(/lowercase hex/)
    expect(() => decodeSignedLogRecord(bytes(envelope({ signature: '' })))).toThrow(/lowercase hex/)
    expect(() => decodeSignedLogRecord(bytes(envelope({ signature: 'ab-' })))).toThrow(/lowercase hex/)
    expect(() => decodeSignedLogRecord(bytes(envelope({ signature: 'xab' })))).toThrow(/lowercase hex/)
    expect(decodeSignedLogRecord(bytes(envelope({ signature: 'a'.repeat(256) }))).signature).toHaveLength(256)
    expect(() => decodeSignedLogRecord(bytes(envelope({ signature: 'a'.repeat(257) })))).toThrow(/"signature" is longer than 256/)
    expect(decodeSignedLogRecord(bytes(envelope({ coordinator: 'c'.repeat(128) }))).coordinator).toHaveLength(128)
    expect(() => decodeSignedLogRecord(bytes(envelope({ coordinator: 'c'.repeat(129) })))).toThrow(/"coordinator" is longer than 128/)
    expect(() => decodeSignedLogRecord(bytes(envelope({ record: 7 })))).toThrow(DecodeError)
    expect(() => decodeSignedLogRecord(bytes([envelope()]))).toThrow(DecodeError)
  })

  it('encodes and decodes records up to exactly the size limit, and refuses one byte more', () => {
    const overhead = JSON.stringify(envelope({ record: '' })).length
    const largest = envelope({ record: 'x'.repeat(MAX_LOG_RECORD_BYTES - overhead) }) as SignedLogRecord
    const encoded = encodeLogRecord(largest)
    expect(encoded.length).toBe(MAX_LOG_RECORD_BYTES)
    expect(decodeSignedLogRecord(encoded).record).toHaveLength(MAX_LOG_RECORD_BYTES - overhead)
    const over = { ...largest, record: `${largest.record}x` }
    expect(() => encodeLogRecord(over)).toThrow(`job log record: is ${MAX_LOG_RECORD_BYTES + 1} bytes, over ${MAX_LOG_RECORD_BYTES}`)
    expect(() => decodeSignedLogRecord(bytes(over))).toThrow(DecodeError)
  })
})

describe('job log records', () => {
  it('reads a round or an epoch record and refuses each missing or malformed field', () => {
    expect(decodeRecord(signed({ kind: 'round', job: 'j', round: 0, units: [] }))).toMatchObject({ kind: 'round', round: 0 })
    expect(decodeRecord(signed({ kind: 'epoch', job: 'j', epoch: 1, ledgerSeq: 0, bindings: [] }))).toMatchObject({ kind: 'epoch', epoch: 1 })
    const refusals: Array<[unknown, RegExp]> = [
      [{ kind: 'round', job: 'j', round: -1, units: [] }, /"round"/],
      [{ kind: 'round', job: 'j', round: 0, units: {} }, /"units" must be an array/],
      [{ kind: 'round', job: 'j', units: [] }, /"round"/],
      [{ kind: 'epoch', job: 'j', epoch: 0, ledgerSeq: 0, bindings: [] }, /"epoch"/],
      [{ kind: 'epoch', job: 'j', epoch: 1, ledgerSeq: -1, bindings: [] }, /"ledgerSeq"/],
      [{ kind: 'epoch', job: 'j', epoch: 1, ledgerSeq: 0, bindings: {} }, /"bindings" must be an array/],
      [{ kind: 'payout', job: 'j' }, /unknown kind "payout"/],
      [{ kind: 'deploymentxyz', job: 'j' }, /"kind" is longer than 12/],
      [{ kind: 'stage-round', job: 'j', round: 0 }, /staged round record "spec": expected an object/],
      [{ kind: 'round', round: 0, units: [] }, /"job" must be a string/],
      [{ kind: 'round', job: 'j'.repeat(129), round: 0, units: [] }, /"job" is longer than 128/],
      [[], /job log record/],
    ]
    for (const [record, message] of refusals) expect(() => decodeRecord(signed(record)), JSON.stringify(record)).toThrow(message)
    expect(decodeRecord(signed({ kind: 'round', job: 'j'.repeat(128), round: 0, units: [] })).job).toHaveLength(128)
  })
})

describe('replaying the ledger from the log', () => {
  const spec = testJob({ batchSize: 4, innerSteps: 10 })
  const holder = (peer: string, seq: number | undefined, patch: Partial<HolderRecord> = {}): HolderRecord => ({
    peer, assignedAtMs: 0, status: 'accepted', submittedAtMs: 1, verdict: verdict('ACCEPTED'), decidedAtMs: 2, ...(seq === undefined ? {} : { decidedSeq: seq }), ...patch,
  })
  const round = (holders: HolderRecord[][]): RoundRecord => ({
    kind: 'round', job: spec.id, spec, round: 3, version: 3, paramsCid: 'p', nextParamsCid: 'q', startedAtMs: 0, closedAtMs: 9, flopsPerUnit: 100, auditCommitment: '', roundSecret: '',
    units: holders.map((h, i) => ({ id: `3.${i}`, seed: i, shards: [{ index: 0, ref: { cid: 'own', samples: 40, owner: 'alice' } }], outcome: 'accepted', holders: h })),
    datasets: [], report: {} as RoundRecord['report'], prev: null,
  })

  it('credits accepted work up to and including the epoch\'s position, and none after it', () => {
    const rounds = [round([[holder('a', 1)], [holder('b', 2)], [holder('c', 3)], [holder('d', undefined)]])]
    const { ledger } = replayLedger(rounds, [], 2)
    expect(ledger.pending('a')).toMatchObject({ units: 1, flops: 100 })
    expect(ledger.pending('b')).toMatchObject({ units: 1, flops: 100 })
    expect(ledger.pending('c').units + ledger.volunteer('c').units).toBe(0)
    expect(ledger.pending('d').units + ledger.volunteer('d').units).toBe(0)
    expect(ledger.dataOwner('alice')).toMatchObject({ samples: 80 })
    expect(replayLedger(rounds, [], 3).ledger.pending('c').units).toBe(1)
  })

  it('applies events in sequence order, not in the order the records list them: a ban forfeits credit only after it', () => {
    // p's unit was accepted (seq 1) before its failed audit (seq 2): the credit is forfeited, not never granted.
    // q was banned (seq 5) before its unit was accepted (seq 6): that work earns nothing.
    const rounds = [round([[holder('p', 2, { status: 'rejected', verdict: verdict('AUDIT_FAILED') })], [holder('p', 1), holder('q', 6)], [holder('q', 5, { status: 'rejected', verdict: verdict('AUDIT_FAILED') })]])]
    const { ledger, banned } = replayLedger(rounds, [], 10)
    expect(ledger.pending('p').units + ledger.volunteer('p').units).toBe(0)
    expect(ledger.forfeited('p').units).toBe(1)
    expect(ledger.pending('q').units + ledger.volunteer('q').units + ledger.forfeited('q').units).toBe(0)
    expect(banned).toEqual(new Map([['p', 'AUDIT_FAILED'], ['q', 'AUDIT_FAILED']]))
  })

  it('charges a holder only for rejections it paid for', () => {
    const twice = (peer: string, code: Parameters<typeof verdict>[0], seq: number) => [holder(peer, seq, { status: 'rejected', verdict: verdict(code) }), holder(peer, seq + 1, { status: 'rejected', verdict: verdict(code) })]
    // A decided holder whose verdict was not recorded is no event either.
    const rounds = [round([twice('u', 'UNVERIFIED', 1), twice('s', 'DELTA_MISMATCH', 3), twice('w', 'WRONG_SAMPLES', 5), [holder('v', 7, { verdict: undefined })]])]
    const { banned, ledger } = replayLedger(rounds, [], 10)
    expect(ledger.pending('v').units).toBe(0)
    // Two malformed results in a row exclude w; unverified results and suspicions cost nothing.
    expect(banned).toEqual(new Map([['w', 'WRONG_SAMPLES']]))
  })

  it('bans with a cheater\'s wallet the peers bound to it before the ban, in sequence order', () => {
    const wallet = '0x00000000000000000000000000000000000000aa'
    const rounds = [round([[holder('x', 2, { status: 'rejected', verdict: verdict('AUDIT_FAILED') })], [holder('y', 4)]])]
    const bindings = [{ peer: 'y', wallet, expiry: 2e9, signature: '0x', boundAtMs: 0, seq: 3 }, { peer: 'x', wallet, expiry: 2e9, signature: '0x', boundAtMs: 0, seq: 1 }]
    // x's wallet was banned with x at seq 2, when only x was bound to it: y, bound from seq 3, is not banned with it.
    expect(replayLedger(rounds, bindings, 10).banned).toEqual(new Map([['x', 'AUDIT_FAILED']]))
    // Bound before the ban, y goes with the wallet.
    expect(replayLedger(rounds, [{ ...bindings[0]!, seq: 0 }, bindings[1]!], 10).banned).toEqual(new Map([['x', 'AUDIT_FAILED'], ['y', 'AUDIT_FAILED']]))
  })
})

describe('round records', () => {
  it('list only the datasets in use, each with its signed manifest or null, and every holder without its statistics', () => {
    const spec = testJob()
    const dataset = (id: string, status: DatasetState['status'], signed?: unknown): DatasetState => ({
      id, name: id, licence: 'MIT', owner: `owner-${id}`, height: 28, width: 28, classes: spec.classes, chunks: [], merkleRoot: 'r', samples: 9, status, reason: '', offeredAtMs: 0, decidedAtMs: 0, samplesUsed: 4, fits: true, ...(signed === undefined ? {} : { signed }),
    })
    const record = roundRecord({
      spec, nextParamsCid: 'next', flopsPerUnit: 5, prev: 'before', shardAt: (i) => ({ cid: `s${i}`, samples: 10, owner: 'alice' }),
      round: { round: 2, version: 2, paramsCid: 'p', startedAtMs: 1, deadlineMs: 9, secretCommitment: 'c', units: [{ id: '2.0', index: 0, shards: [3], seed: 7, outcome: 'accepted', holders: [{ peer: 'a', assignedAtMs: 1, status: 'accepted', stats: { norm: 1, distance: 1, sketch: [] } }] }] },
      report: { closedAtMs: 8, roundSecret: 's' } as RoundRecord['report'],
      datasets: [dataset('in', 'accepted', { manifest: 'm' }), dataset('bare', 'accepted'), dataset('offered', 'pending'), dataset('refused', 'rejected', { manifest: 'x' })],
    })
    expect(record.datasets).toEqual([{ id: 'in', owner: 'owner-in', samplesUsed: 4, signed: { manifest: 'm' } }, { id: 'bare', owner: 'owner-bare', samplesUsed: 4, signed: null }])
    expect(record.units).toEqual([{ id: '2.0', seed: 7, shards: [{ index: 3, ref: { cid: 's3', samples: 10, owner: 'alice' } }], outcome: 'accepted', holders: [{ peer: 'a', assignedAtMs: 1, status: 'accepted' }] }])
    expect(record).toMatchObject({ kind: 'round', job: spec.id, round: 2, version: 2, paramsCid: 'p', nextParamsCid: 'next', startedAtMs: 1, closedAtMs: 8, flopsPerUnit: 5, auditCommitment: 'c', roundSecret: 's', prev: 'before' })
  })
})
