// What a result gets on arrival, recomputed independently: its commitment and audit draw from Node's own
// crypto (anyone must be able to redo them from the revealed round secret), the spot-check pieces from the
// documented seed, and a screening that judges directions only against this round's verified deltas.
import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { intake } from './intake.ts'
import { CreditsLedger } from './credits.ts'
import type { CoordinatorState } from './coordinator-state.ts'
import { quantizeInt8 } from './quantize.ts'
import { DEFAULT_SCREENING, type DeltaStats } from './robust-aggregate.ts'
import { newPeer } from './reputation.ts'
import { testJob } from './testing/job-fixture.ts'
import { resultSigningBytes, type UnitResult } from './unit.ts'
import { DEFAULT_THRESHOLDS, type Evidence } from './verification.ts'
import { seededPermutation } from '../random.ts'

const JOB_SECRET = '07'.repeat(32)
const ROUND = 4
const job = testJob()

const state = (reference: CoordinatorState['reference'] = []): CoordinatorState => ({
  format: 2, jobId: job.id, secret: JOB_SECRET, current: { round: ROUND, version: ROUND, paramsCid: 'p', startedAtMs: 0, deadlineMs: 0, secretCommitment: '', units: [] }, momentumCid: null, centreCid: null,
  peers: {}, ledger: new CreditsLedger().toJSON(), history: [], initialAccuracy: null, finished: false, reference,
  datasets: [], pool: [], shardUse: [], bindings: {}, bannedWallets: [], seq: 0, logHead: null,
})

const result: UnitResult = { unitId: '4.0', jobId: job.id, round: ROUND, version: ROUND, deltaCid: 'd', deltaBytes: 9, lossBefore: 1, lossAfter: 0.5, samples: 32, flops: 3, trajectoryHash: 'h', checkpoints: ['c'], segmentLosses: [1], backend: 'wasm', elapsedMs: 4 }
const delta = quantizeInt8(new Float32Array(4))
const evidence: Evidence = { checkpoint: async () => new Float32Array(0), checkpointPieces: async () => ({ valuesPerPiece: 1, pieces: new Map() }) }

/** A sketch pointing along +x (or −x), norm `norm`. */
const along = (norm: number, sign = 1) => Array.from({ length: 256 }, (_, k) => (k === 0 ? sign * norm : 0))
const stats = (norm: number, sign = 1): DeltaStats => ({ norm, distance: 0, sketch: Float32Array.from(along(norm, sign)) })

// The construction the audit-draw module documents, done with Node's crypto rather than the code under test.
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest()
const roundSecretHex = createHmac('sha256', Buffer.from(JOB_SECRET, 'hex')).update(`tesserae-round-secret/${ROUND}`).digest('hex')
const commitmentHex = sha256(Buffer.from(resultSigningBytes(result))).toString('hex')
const drawOf = (suffix = '') => sha256(`tesserae-audit/${roundSecretHex}/${commitmentHex}${suffix}`).readUInt32BE(0) / 2 ** 32

function arrive(patch: { reference?: CoordinatorState['reference']; auditRate?: number; auditsPassed?: number; probe?: boolean; stats?: DeltaStats; spotPieces?: number } = {}) {
  const peer = { ...newPeer(0), auditsPassed: patch.auditsPassed ?? 1 }
  return intake({
    state: state(patch.reference),
    job: testJob({ auditRate: patch.auditRate ?? 0.5 }),
    peer,
    result,
    delta,
    stats: patch.stats ?? stats(1),
    evidence,
    screening: DEFAULT_SCREENING,
    thresholds: { ...DEFAULT_THRESHOLDS, spotPieces: patch.spotPieces ?? DEFAULT_THRESHOLDS.spotPieces },
    ...(patch.probe === undefined ? {} : { probe: patch.probe }),
  })
}

describe('intake', () => {
  it('commits to sha-256 of the signed bytes and passes the delta and evidence on untouched', async () => {
    const { commitment, checks } = await arrive()
    expect(commitment).toBe(commitmentHex)
    expect(checks.delta).toBe(delta)
    expect(checks.evidence).toBe(evidence)
  })

  it('draws the audit from this round\'s secret and the commitment: audited exactly when the draw is below the rate', async () => {
    const draw = drawOf()
    // The draw is a fixed number (about 0.72 here): a rate just above it audits, a rate equal to it does not.
    expect(draw).toBeGreaterThan(0.01)
    expect(draw).toBeLessThan(0.99)
    expect((await arrive({ auditRate: draw + 1e-9 })).checks.auditReason).toBe('draw')
    expect((await arrive({ auditRate: draw })).checks.auditReason).toBeNull()
    expect((await arrive({ auditRate: 0 })).checks.auditReason).toBeNull()
    expect((await arrive({ auditRate: 1 })).checks.auditReason).toBe('every')
  })

  it('audits a peer on probation, and a probe whatever the draw and the rate', async () => {
    expect((await arrive({ auditRate: 0, auditsPassed: 0 })).checks.auditReason).toBe('probation')
    expect((await arrive({ auditRate: 0, auditsPassed: 5, probe: true })).checks.auditReason).toBe('probation')
    expect((await arrive({ auditRate: 1, auditsPassed: 5, probe: true })).checks.auditReason).toBe('probation')
    expect((await arrive({ auditRate: 0, auditsPassed: 5, probe: false })).checks.auditReason).toBeNull()
  })

  it('picks the spot-check pieces from the draw of "<commitment>/spot", as many as the thresholds say', async () => {
    const seed = sha256(`tesserae-audit/${roundSecretHex}/${commitmentHex}/spot`).readUInt32BE(0)
    const { checks } = await arrive({ spotPieces: 3 })
    expect(checks.spotPick(40)).toEqual([...seededPermutation(40, seed).subarray(0, 3)])
    expect((await arrive()).checks.spotPick(40)).toHaveLength(DEFAULT_THRESHOLDS.spotPieces)
  })

  it('raises no suspicion without a yardstick, and null (not undefined) when the delta looks fine', async () => {
    expect((await arrive({ reference: [] })).checks.suspicion).toBeNull()
    expect((await arrive({ reference: [{ round: ROUND, norm: 1, sketch: along(1) }] })).checks.suspicion).toBeNull()
  })

  it('judges direction against this round\'s verified deltas only: older rounds started elsewhere', async () => {
    const opposed = stats(1, -1)
    const now = await arrive({ stats: opposed, reference: [{ round: ROUND - 1, norm: 1, sketch: along(1) }, { round: ROUND, norm: 1, sketch: along(1) }] })
    expect(now.checks.suspicion).toEqual({ code: 'DIRECTION_OUTLIER', params: { cosine: -1 } })
    // Only older rounds to compare with: the same opposed delta is not a direction outlier.
    const older = await arrive({ stats: opposed, reference: [{ round: ROUND - 1, norm: 1, sketch: along(1) }, { round: ROUND - 2, norm: 1, sketch: along(1) }] })
    expect(older.checks.suspicion).toBeNull()
  })

  it('judges size against this round\'s deltas when there are any, else against every recent one', async () => {
    // This round's yardstick has norm 10, older ones norm 1: a norm of 10 passes only against this round.
    const mixed = [{ round: ROUND - 1, norm: 1, sketch: along(1) }, { round: ROUND - 1, norm: 1, sketch: along(1) }, { round: ROUND, norm: 10, sketch: along(10) }]
    expect((await arrive({ stats: stats(10), reference: mixed })).checks.suspicion).toBeNull()
    const older = mixed.filter((r) => r.round !== ROUND)
    expect((await arrive({ stats: stats(10), reference: older })).checks.suspicion).toEqual({ code: 'NORM_OUTLIER', params: { norm: 10, median: 1 } })
    expect((await arrive({ stats: stats(3), reference: older })).checks.suspicion).toBeNull()
  })

  it('leaves the stored yardstick as it was', async () => {
    const reference = [{ round: ROUND, norm: 2, sketch: along(2) }]
    const s = state(reference)
    await intake({ state: s, job, peer: newPeer(0), result, delta, stats: stats(2), evidence, screening: DEFAULT_SCREENING, thresholds: DEFAULT_THRESHOLDS })
    expect(s.reference).toEqual([{ round: ROUND, norm: 2, sketch: along(2) }])
  })
})
