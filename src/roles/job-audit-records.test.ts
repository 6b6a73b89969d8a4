// The audit against records that a coordinator re-signed after changing them (or that someone else signed):
// every check of the job log's signatures, of each epoch record against the chain, and of the chain of records,
// each reached on its own on one settled job. The honest job and doctored roots are in job-audit.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { startTestChain, type TestChain } from '../../contracts/testing.ts'
import { jobEscrowAbi } from '../ledger/generated/contracts.ts'
import type { EpochRecord, LogRecord, RoundRecord, SignedLogRecord } from '../training/job-log.ts'
import { auditJob, type AuditSource } from './job-audit.ts'
import { signLogRecord } from './log-store.ts'
import { settledJob } from './testing/settled-job.ts'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { buildDataset } from '../data/build-dataset.ts'
import { datasetId } from '../data/manifest.ts'
import { signManifest } from '../p2p/manifest-signature.ts'

let t: TestChain
let job: Awaited<ReturnType<typeof settledJob>>
/** The job's epoch records' content ids, in epoch order, and its round records'. */
let epochCids: string[]
let roundCids: string[]
beforeAll(async () => {
  t = await startTestChain()
  job = await settledJob(t, { epochs: 2 })
  const kinds = [...job.log.envelopes.entries()].map(([cid, s]) => [cid, JSON.parse(s.record) as LogRecord] as const)
  epochCids = kinds.filter(([, r]) => r.kind === 'epoch').sort(([, a], [, b]) => (a as EpochRecord).epoch - (b as EpochRecord).epoch).map(([cid]) => cid)
  roundCids = kinds.filter(([, r]) => r.kind === 'round').sort(([, a], [, b]) => (a as RoundRecord).round - (b as RoundRecord).round).map(([cid]) => cid)
}, 120_000)
afterAll(async () => t?.chain.stop())

const record = <T extends LogRecord>(cid: string) => JSON.parse(job.log.envelopes.get(cid)!.record) as T

/** The job's source with the record at `cid` replaced by `envelope`. */
function replacing(cid: string, envelope: SignedLogRecord): AuditSource {
  return { ...job.source, fetchLog: async (c) => (c === cid ? envelope : job.source.fetchLog(c)) }
}
/** The job's source with the record at `cid` changed by `change` and signed again by `key` (the coordinator's by default). */
async function resigned<T extends LogRecord>(cid: string, change: (r: T) => LogRecord, key: PrivateKey = job.coordinatorKey): Promise<AuditSource> {
  return replacing(cid, await signLogRecord(key, change(record<T>(cid))))
}
const codes = async (source: AuditSource) => (await auditJob(source, job.key)).findings.map((f) => [f.code, f.epoch ?? null, f.round ?? null])

describe('auditing the job log\'s records', () => {
  it('passes the untouched job, having checked every round, unit and result of it', async () => {
    expect(await codes(job.source)).toEqual([])
    const { checked } = await auditJob(job.source, job.key)
    const rounds = roundCids.map((c) => record<RoundRecord>(c))
    const results = rounds.flatMap((r) => r.units.flatMap((u) => u.holders.filter((h) => h.result)))
    expect(checked).toMatchObject({ rounds: rounds.length, units: rounds.reduce((n, r) => n + r.units.length, 0), resultSignatures: results.length, datasets: 0 })
    expect(checked.units).toBeGreaterThan(0)
    expect(results.length).toBeGreaterThan(0)
  })

  it('says when an epoch\'s tree cannot be fetched, and still recomputes its root', async () => {
    const noTree: AuditSource = { ...job.source, fetchTree: async () => Promise.reject(new Error('nobody serves it')) }
    const report = await auditJob(noTree, job.key)
    expect(report.findings.map((f) => [f.code, f.epoch])).toEqual([['TREE_UNAVAILABLE', 1], ['TREE_UNAVAILABLE', 2]])
    expect(report.findings[0]!.message).toMatch(/^epoch 1: its tree .{24}… could not be fetched \(nobody serves it\); the root is still compared$/)
    expect(report.epochs.map((e) => e.recomputedRoot)).toEqual(report.epochs.map((e) => e.root))
  })

  it('refuses a record changed after signing, one signed by another key, and a signature that is not hex', async () => {
    const second = epochCids[1]!
    const envelope = job.log.envelopes.get(second)!
    const changed = { ...envelope, record: envelope.record.replace('"epoch":2', '"epoch":3') }
    expect(await codes(replacing(second, changed))).toEqual([['BAD_LOG_SIGNATURE', 2, null]])
    expect(await codes(replacing(second, { ...envelope, signature: 'zz' }))).toEqual([['BAD_LOG_SIGNATURE', 2, null]])
    expect(await codes(replacing(second, { ...envelope, coordinator: 'not-a-peer-id' }))).toEqual([['BAD_LOG_SIGNATURE', 2, null]])
    const report = await auditJob(replacing(second, changed), job.key)
    expect(report.epochs.map((e) => e.status)).toEqual(['ok', 'failed'])
    expect(report.findings[0]!.message).toMatch(/^epoch 2: log record log-[0-9a-f]{12}… does not carry the signature of 12D3KooW\w{8}…$/)
    const stranger = await generateKeyPair('Ed25519')
    const foreign = await auditJob(await resigned(second, (r) => r, stranger), job.key)
    expect(foreign.findings.map((f) => f.code)).toContain('WRONG_COORDINATOR')
    expect(foreign.findings[0]!.message).toContain(`is signed by ${(await signLogRecord(stranger, record(second))).coordinator}, not the job's coordinator ${job.job.coordinator}`)
  })

  it('names each way an epoch record does not fit the chain', async () => {
    const second = epochCids[1]!
    const postedAt = (await t.clients[0]!.publicClient.readContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'epochOf', args: [job.key, 2n] })).postedAt
    const cases: Array<[(r: EpochRecord) => EpochRecord, string]> = [
      [(r) => ({ ...r, epoch: 3 }), 'it is epoch 3\'s record'],
      [(r) => ({ ...r, escrowKey: `0x${'44'.repeat(32)}` }), 'it names another escrow'],
      [(r) => ({ ...r, chainId: r.chainId + 1 }), 'it names another escrow'],
      [(r) => ({ ...r, escrow: '0x000000000000000000000000000000000000bEEF' }), 'it names another escrow'],
      [(r) => ({ ...r, job: 'another-job' }), 'it is job "another-job"\'s record'],
      [(r) => ({ ...r, prev: epochCids[1]! }), `it follows ${epochCids[1]!}, not the previous standing epoch's record ${epochCids[0]!}`],
      [(r) => ({ ...r, prev: null }), `it follows nothing, not the previous standing epoch's record ${epochCids[0]!}`],
      [(r) => ({ ...r, deposited: (10n ** 9n + 1n).toString() }), 'it counts a deposit of 1000000001, more than the escrow ever held'],
      [(r) => ({ ...r, nowSeconds: Number(postedAt) + 301 }), 'its clock is ahead of the block that took its root'],
    ]
    for (const [change, message] of cases) {
      const report = await auditJob(await resigned<EpochRecord>(second, change), job.key)
      expect(report.findings.filter((f) => f.code === 'RECORD_MISMATCH').map((f) => f.message), message).toContain(`epoch 2: the job-log record does not fit the chain: ${message}`)
    }
    // The whole deposit, and a clock 300 s ahead of the block, are within the rules.
    expect(await codes(await resigned<EpochRecord>(second, (r) => ({ ...r, deposited: (10n ** 9n).toString(), nowSeconds: Number(postedAt) + 300 })))).not.toContainEqual(['RECORD_MISMATCH', 2, null])
    // The first epoch follows nothing.
    const first = await auditJob(await resigned<EpochRecord>(epochCids[0]!, (r) => ({ ...r, prev: epochCids[0]! })), job.key)
    expect(first.findings.map((f) => f.message)).toContain(`epoch 1: the job-log record does not fit the chain: it follows ${epochCids[0]!}, not the previous standing epoch's record (none)`)
  })

  it('names a broken chain of records: an epoch that points at a round record, a round chain that runs into an epoch record', async () => {
    const second = epochCids[1]!
    const asRound = replacing(second, job.log.envelopes.get(roundCids[0]!)!)
    const report = await auditJob(asRound, job.key)
    expect(report.findings.map((f) => f.code)).toEqual(['BROKEN_CHAIN'])
    expect(report.findings[0]!.message).toBe('epoch 2: the chain\'s log id names a round record, not an epoch record')
    const intoEpoch = await resigned<EpochRecord>(second, (r) => ({ ...r, roundHead: epochCids[0]! }))
    const broken = await auditJob(intoEpoch, job.key)
    expect(broken.findings[0]).toMatchObject({ code: 'BROKEN_CHAIN', epoch: 2 })
    expect(broken.findings[0]!.message).toContain('should be a round record but is a epoch record')
    expect(broken.epochs.map((e) => e.status)).toEqual(['ok', 'failed'])
  })

  it('names a round record whose number does not count up from the round it follows', async () => {
    const [earlier, last] = roundCids.slice(-2) as [string, string]
    const before = record<RoundRecord>(earlier).round
    const lastRound = record<RoundRecord>(last).round
    expect(lastRound).toBe(before + 1)
    const order = async (source: AuditSource) => {
      const report = await auditJob(source, job.key)
      expect(report.ok).toBe(false)
      return report.findings.filter((f) => f.code === 'ROUND_ORDER')
    }
    // The last round repeats the number of the one it follows.
    expect(await order(await resigned<RoundRecord>(last, (r) => ({ ...r, round: before })))).toEqual([
      { code: 'ROUND_ORDER', epoch: 2, round: before, message: `epoch 2: round record ${last.slice(0, 24)}… is round ${before} but follows round ${before}; round numbers only count up` },
    ])
    // The round it follows claims a later number than its successor's.
    expect(await order(await resigned<RoundRecord>(earlier, (r) => ({ ...r, round: lastRound + 5 })))).toEqual([
      { code: 'ROUND_ORDER', epoch: 2, round: lastRound, message: `epoch 2: round record ${last.slice(0, 24)}… is round ${lastRound} but follows round ${lastRound + 5}; round numbers only count up` },
    ])
  })

  it('names a round whose spec names another coordinator, and a result without a signature', async () => {
    const last = roundCids.at(-1)!
    const other = await resigned<RoundRecord>(last, (r) => ({ ...r, spec: { ...r.spec, coordinator: 'someone-else' } }))
    const round = record<RoundRecord>(last).round
    expect(await codes(other)).toContainEqual(['WRONG_COORDINATOR', 2, round])
    expect((await auditJob(other, job.key)).findings.map((f) => f.message)).toContain(`round ${round}: the job spec names coordinator someone-else, but ${job.job.coordinator} signed the log`)
    const unsigned = await resigned<RoundRecord>(last, (r) => ({ ...r, units: r.units.map((u, i) => (i === 0 ? { ...u, holders: u.holders.map(({ signature: _s, ...h }) => h) } : u)) }))
    const report = await auditJob(unsigned, job.key)
    expect(report.findings.map((f) => f.code)).toContain('BAD_RESULT_SIGNATURE')
    expect(report.checked.resultSignatures).toBe((await auditJob(job.source, job.key)).checked.resultSignatures)
  })

  it('names a binding that is not its wallet\'s signature, even when an earlier epoch carried its signature with other fields', async () => {
    const tamper = (r: EpochRecord): EpochRecord => ({ ...r, bindings: r.bindings.map((b, i) => (i === 0 ? { ...b, expiry: b.expiry + 1 } : b)) })
    const report = await auditJob(await resigned<EpochRecord>(epochCids[1]!, tamper), job.key)
    expect(report.findings.map((f) => [f.code, f.epoch])).toContainEqual(['BAD_BINDING', 2])
    expect(report.checked.bindings).toBe(3)
    // The same signature carried over with another wallet: the coordinator routing a volunteer's credit to itself.
    const redirect = (r: EpochRecord): EpochRecord => ({ ...r, bindings: r.bindings.map((b, i) => (i === 0 ? { ...b, wallet: t.addresses[1]! } : b)) })
    const stolen = await auditJob(await resigned<EpochRecord>(epochCids[1]!, redirect), job.key)
    expect(stolen.findings.map((f) => [f.code, f.epoch])).toContainEqual(['BAD_BINDING', 2])
    const peer = record<EpochRecord>(epochCids[1]!).bindings[0]!.peer
    expect(stolen.findings.find((f) => f.code === 'BAD_BINDING')!.message).toMatch(new RegExp(`^epoch 2: the binding of ${peer.slice(0, 16)}… to ${t.addresses[1]!} is not that wallet's signature \\(.+\\)$`))
    const honest = await auditJob(job.source, job.key)
    expect(honest.checked).toMatchObject({ bindings: 2, rounds: record<EpochRecord>(epochCids[1]!).roundsClosed })
  })

  it('checks every contributed dataset in use against its owner\'s signed manifest, once however many rounds use it', async () => {
    const ownerKey = await generateKeyPair('Ed25519')
    const owner = peerIdFromPrivateKey(ownerKey).toString()
    const shape = { height: 28, width: 28, classes: job.job.classes }
    const { manifest } = await buildDataset({ shape, count: 1, pixels: new Uint8Array(784), labels: Uint8Array.of(0), sources: [{ file: 'f', row: 1 }] }, { name: 'one', licence: 'MIT', description: '' }, owner, 1)
    const signed = await signManifest(ownerKey, manifest)
    const id = await datasetId(manifest)
    type InUse = RoundRecord['datasets'][number]
    /** The job with `entry` in use in each round of `cids`, those records signed again by the coordinator. */
    const inUse = async (cids: string[], entry: InUse): Promise<AuditSource> => {
      const envelopes = new Map(await Promise.all(cids.map(async (c) => [c, await signLogRecord(job.coordinatorKey, { ...record<RoundRecord>(c), datasets: [entry] })] as const)))
      return { ...job.source, fetchLog: async (c) => envelopes.get(c) ?? job.source.fetchLog(c) }
    }
    const honest: InUse = { id, owner, samplesUsed: 1, signed }
    // The same dataset in two rounds: both pass, and it is checked once.
    const report = await auditJob(await inUse(roundCids.slice(0, 2), honest), job.key)
    expect(report.findings).toEqual([])
    expect(report.checked.datasets).toBe(1)
    const last = roundCids.at(-1)!
    const round = record<RoundRecord>(last).round
    const stranger = await generateKeyPair('Ed25519')
    const bad: Array<[string, InUse]> = [
      ['signed by another key', { ...honest, signed: await signManifest(stranger, manifest) }],
      ['another dataset\'s id', { ...honest, id: 'd'.repeat(64) }],
      ['another owner', { ...honest, owner: peerIdFromPrivateKey(stranger).toString() }],
      ['not a manifest', { ...honest, signed: { nonsense: true } }],
    ]
    for (const [what, entry] of bad) {
      const audit = await auditJob(await inUse([last], entry), job.key)
      expect(audit.findings.map((f) => [f.code, f.round]), what).toEqual([['BAD_MANIFEST', round]])
      expect(audit.findings[0]!.message, what).toMatch(new RegExp(`^round ${round}: dataset ${entry.id.slice(0, 16)}… in use has no valid signed manifest from its owner \\(.+\\)$`))
      expect(audit.checked.datasets, what).toBe(1)
    }
  })
})
