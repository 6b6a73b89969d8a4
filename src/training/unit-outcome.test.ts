// What a verdict does to a unit, its holders and the ledger, on a hand-built state: acceptance credits the
// unit once (verified only when audited), vouches for earlier work, pays the data's owners per shard and
// supersedes other holders; rejection costs what reputation.ts says; malformations are caught by code.
import { describe, expect, it } from 'vitest'
import { acceptHolder, creditAccepted, dropHolder, malformation, rejectHolder } from './unit-outcome.ts'
import { CreditsLedger } from './credits.ts'
import { MAX_REFERENCE, type CoordinatorState, type HolderState, type UnitState } from './coordinator-state.ts'
import { newPeer, punish, REPUTATION, reward } from './reputation.ts'
import { quantizeInt8 } from './quantize.ts'
import { testJob } from './testing/job-fixture.ts'
import { verdict } from './verdicts.ts'
import type { UnitResult } from './unit.ts'

const job = testJob({ innerSteps: 48 })
const state = (): CoordinatorState => ({
  format: 2, jobId: job.id, secret: '07'.repeat(32), current: { round: 4, version: 4, paramsCid: 'p', startedAtMs: 0, deadlineMs: 0, secretCommitment: '', units: [] }, momentumCid: null, centreCid: null,
  peers: { a: newPeer(0), b: newPeer(0), c: newPeer(0) }, ledger: new CreditsLedger().toJSON(), history: [], initialAccuracy: null, finished: false, reference: [],
  datasets: [{ id: 'ds', name: 'd', licence: 'MIT', owner: 'carol', height: 28, width: 28, classes: [], chunks: [], merkleRoot: '', samples: 0, status: 'accepted', reason: '', offeredAtMs: 0, decidedAtMs: 0, samplesUsed: 0, fits: true }],
  pool: [], shardUse: [], bindings: {}, bannedWallets: [], seq: 0, logHead: null,
})
const holder = (peer: string, status: HolderState['status'], patch: Partial<HolderState> = {}): HolderState => ({ peer, assignedAtMs: 0, status, submittedAtMs: 100, stats: { norm: 2, distance: 1, sketch: [0.5] }, ...patch })
const unit = (holders: HolderState[], shards = [0, 1]): UnitState => ({ id: '4.1', index: 1, shards, seed: 1, holders, outcome: 'open' })
const context = { job, now: 0, flopsPerUnit: 48_000, shardAt: (i: number) => (i === 0 ? { cid: 'own', samples: 64, owner: 'alice' } : { cid: 'c', samples: 64, owner: 'carol', dataset: 'ds' }) }
const passed = { reason: 'draw' as const, outcome: 'passed' as const, worstSegmentError: 0, segments: 3 }

describe('accepting a unit', () => {
  it('credits the holder once, pending, rewards it, supersedes the others and pays each shard\'s owner its share', () => {
    const s = state()
    const ledger = new CreditsLedger()
    const others = [holder('b', 'assigned'), holder('c', 'verifying'), holder('x', 'released'), holder('y', 'rejected')]
    const winner = holder('a', 'verifying')
    const u = unit([winner, ...others])
    s.peers.a!.reputation = 0.5
    acceptHolder(s, ledger, u, winner, context)
    expect(u.outcome).toBe('accepted')
    expect(winner).toMatchObject({ status: 'accepted', verdict: { code: 'ACCEPTED' } })
    expect(others.map((h) => h.status)).toEqual(['superseded', 'superseded', 'superseded', 'rejected'])
    expect(s.peers.a).toMatchObject({ accepted: 1, reputation: 0.5 + REPUTATION.accepted, auditsPassed: 0 })
    expect(ledger.pending('a')).toEqual({ flops: 48_000, units: 1, samples: 8 * 48 })
    expect(ledger.volunteer('a').units).toBe(0)
    // 384 samples over two shards: 192 each, to each shard's owner, and the dataset's use counted.
    expect(ledger.dataOwner('alice').samples).toBe(192)
    expect(ledger.dataOwner('carol').samples).toBe(192)
    expect(s.datasets[0]!.samplesUsed).toBe(192)
    expect(s.reference).toEqual([])
    // The same unit again credits nothing more.
    acceptHolder(s, ledger, u, winner, context)
    expect(ledger.pending('a').units).toBe(1)
    expect(ledger.dataOwner('carol').samples).toBe(192)
    expect(s.datasets[0]!.samplesUsed).toBe(192)
  })

  it('verifies audited work at once, vouches for what the peer submitted before it, and keeps its statistics as a yardstick', () => {
    const s = state()
    const ledger = new CreditsLedger()
    ledger.creditVolunteer('earlier', 'a', 10, 1, { verified: false, submittedAtMs: 99 })
    ledger.creditVolunteer('later', 'a', 20, 1, { verified: false, submittedAtMs: 101 })
    const winner = holder('a', 'verifying', { audit: passed })
    acceptHolder(s, ledger, unit([winner], [0]), winner, context)
    expect(ledger.volunteer('a')).toEqual({ flops: 48_010, units: 2, samples: 384 + 1 })
    expect(ledger.pending('a')).toEqual({ flops: 20, units: 1, samples: 1 })
    expect(s.peers.a!.auditsPassed).toBe(1)
    expect(s.reference).toEqual([{ round: 4, norm: 2, sketch: [0.5] }])
    expect(ledger.dataOwner('alice').samples).toBe(384)
  })

  it('does not verify work whose audit did not pass', () => {
    const s = state()
    const ledger = new CreditsLedger()
    const winner = holder('a', 'verifying', { audit: { ...passed, outcome: 'error' } })
    acceptHolder(s, ledger, unit([winner]), winner, context)
    expect(ledger.volunteer('a').units).toBe(0)
    expect(s.peers.a!.auditsPassed).toBe(0)
    expect(s.reference).toHaveLength(0)
  })

  it('keeps only the latest 16 yardstick deltas', () => {
    const s = state()
    const ledger = new CreditsLedger()
    for (let i = 0; i < MAX_REFERENCE + 3; i++) {
      const winner = holder('a', 'verifying', { audit: passed, stats: { norm: i, distance: 0, sketch: [] } })
      acceptHolder(s, ledger, { ...unit([winner]), id: `u${i}` }, winner, context)
    }
    expect(s.reference).toHaveLength(MAX_REFERENCE)
    expect(s.reference[0]!.norm).toBe(3)
    expect(s.reference.at(-1)!.norm).toBe(MAX_REFERENCE + 2)
  })
})

describe('a verdict\'s place in the ledger\'s sequence', () => {
  it('stamps every decision with the next sequence number and its time, whichever way it went', () => {
    const s = state()
    s.seq = 41
    const ledger = new CreditsLedger()
    const [accepted, rejected, dropped] = [holder('a', 'verifying'), holder('b', 'verifying'), holder('c', 'verifying')]
    acceptHolder(s, ledger, unit([accepted]), accepted, { ...context, now: 500 })
    rejectHolder(s, ledger, unit([rejected]), rejected, verdict('WRONG_SHAPE'), 600)
    dropHolder(s, dropped, verdict('UNVERIFIED', { stage: 'replay' }), 700)
    expect([accepted, rejected, dropped].map((h) => [h.decidedSeq, h.decidedAtMs])).toEqual([[42, 500], [43, 600], [44, 700]])
    expect(s.seq).toBe(44)
  })

  it('drops a holder nobody is to blame for: rejected with the verdict, no cost and no credit', () => {
    const s = state()
    const h = holder('a', 'verifying')
    dropHolder(s, h, verdict('UNVERIFIED', { stage: 'probe' }), 9)
    expect(h).toMatchObject({ status: 'rejected', verdict: { code: 'UNVERIFIED', params: { stage: 'probe' } }, decidedSeq: 1, decidedAtMs: 9 })
    expect(s.peers.a).toEqual(newPeer(0))
  })
})

describe('accepting a probe and crediting data', () => {
  const probeUnit = (holders: HolderState[]): UnitState => ({ ...unit(holders), probe: true, steps: 4 })

  it('credits a probe for its steps only, never its data, never as a passed audit, never as a yardstick', () => {
    const s = state()
    const ledger = new CreditsLedger()
    const winner = holder('a', 'verifying', { audit: passed })
    acceptHolder(s, ledger, probeUnit([winner]), winner, context)
    // 4 of 48 steps: a twelfth of the unit's FLOPs, 8 × 4 samples, verified at once since it was replayed.
    expect(ledger.volunteer('a')).toEqual({ flops: 4000, units: 1, samples: 32 })
    expect(ledger.dataOwner('alice')).toEqual({ flops: 0, units: 0, samples: 0 })
    expect(ledger.dataOwner('carol')).toEqual({ flops: 0, units: 0, samples: 0 })
    expect(s.datasets[0]!.samplesUsed).toBe(0)
    expect(s.peers.a!.auditsPassed).toBe(0)
    expect(s.reference).toEqual([])
  })

  it('counts a contributed dataset\'s samples against that dataset only, and skips a dataset it no longer knows', () => {
    const s = state()
    s.datasets.unshift({ ...s.datasets[0]!, id: 'other', owner: 'dave' })
    const ledger = new CreditsLedger()
    const winner = holder('a', 'verifying')
    acceptHolder(s, ledger, unit([winner], [1]), winner, context)
    expect(s.datasets.map((d) => [d.id, d.samplesUsed])).toEqual([['other', 0], ['ds', 384]])
    const gone = holder('b', 'verifying')
    const unknown = { ...context, shardAt: () => ({ cid: 'c', samples: 64, owner: 'erin', dataset: 'withdrawn' }) }
    expect(() => acceptHolder(s, ledger, { ...unit([gone], [3]), id: '4.2' }, gone, unknown)).not.toThrow()
    expect(ledger.dataOwner('erin').samples).toBe(384)
    expect(s.datasets.map((d) => d.samplesUsed)).toEqual([0, 384])
  })

  it('as replayed from the log: a new peer starts at its submission time, a probe returns no data used', () => {
    const ledger = new CreditsLedger()
    const peers = {}
    const shards = [{ index: 1, ref: { cid: 'c', samples: 64, owner: 'carol', dataset: 'ds' } }]
    expect(creditAccepted(ledger, peers, { peer: 'n', submittedAtMs: 1234 }, 'u1', shards, 100, 8)).toEqual([{ dataset: 'ds', samples: 8 }])
    expect(peers).toEqual({ n: { ...newPeer(1234), accepted: 1 } })
    expect(creditAccepted(ledger, peers, { peer: 'n', submittedAtMs: 1300, audit: passed }, 'u2', shards, 100, 8, true)).toEqual([])
    expect(ledger.dataOwner('carol').samples).toBe(8)
    expect(peers).toEqual({ n: { ...newPeer(1234), accepted: 2 } })
    expect(ledger.volunteer('n')).toEqual({ flops: 200, units: 2, samples: 16 })
  })
})

describe('rejecting a unit', () => {
  it('records the verdict, counts the rejection and a failed audit, and applies the cost', () => {
    const s = state()
    const ledger = new CreditsLedger()
    ledger.creditVolunteer('old', 'a', 10, 1, { verified: true, submittedAtMs: 0 })
    const h = holder('a', 'verifying')
    rejectHolder(s, ledger, unit([h]), h, verdict('AUDIT_FAILED', { segment: 1 }), 50)
    expect(h).toMatchObject({ status: 'rejected', verdict: { code: 'AUDIT_FAILED', params: { segment: 1 } } })
    expect(s.peers.a).toMatchObject({ rejected: 1, auditsFailed: 1, banned: true, reputation: 0, ban: { code: 'AUDIT_FAILED', unitId: '4.1', round: 4, atMs: 50 } })
    expect(ledger.volunteer('a').flops).toBe(0)
    const other = holder('b', 'verifying')
    rejectHolder(s, ledger, unit([other]), other, verdict('CHECKPOINT_UNAVAILABLE'), 60)
    expect(s.peers.b).toMatchObject({ rejected: 1, auditsFailed: 0, banned: false, reputation: REPUTATION.start - REPUTATION.withheld })
  })
})

describe('reputation', () => {
  it('restores reputation by small steps, never above the start', () => {
    const p = newPeer(7)
    expect(p).toEqual({ accepted: 0, rejected: 0, reputation: 1, banned: false, auditsPassed: 0, auditsFailed: 0, lastSeenMs: 7 })
    reward(p)
    expect(p).toMatchObject({ accepted: 1, reputation: 1 })
    p.reputation = 0.4
    reward(p)
    expect(p.reputation).toBeCloseTo(0.45, 12)
  })

  it('excludes below 0.35 exactly: at 0.35 a peer stays, just below it goes', () => {
    const s = state()
    const ledger = new CreditsLedger()
    s.peers.a!.reputation = 0.85
    expect(punish(s, ledger, 'a', verdict('WRONG_SHAPE'), 'u', 0).banned).toEqual([])
    expect(s.peers.a!.reputation).toBeCloseTo(0.35, 12)
    s.peers.a!.reputation = 0.849
    expect(punish(s, ledger, 'a', verdict('WRONG_SAMPLES'), 'u', 0).banned).toEqual(['a'])
    s.peers.b!.reputation = 0.2
    punish(s, ledger, 'b', verdict('MALFORMED_DELTA'), 'u', 0)
    expect(s.peers.b!.reputation).toBe(0)
  })

  it('costs half the reputation for every malformation and for a bad signature', () => {
    for (const code of ['BAD_SIGNATURE', 'MALFORMED_DELTA', 'WRONG_SHAPE', 'WRONG_SAMPLES', 'WRONG_CHECKPOINTS', 'NON_FINITE_LOSS'] as const) {
      const s = state()
      const ledger = new CreditsLedger()
      ledger.creditVolunteer('p', 'a', 5, 1, { verified: false, submittedAtMs: 0 })
      expect(punish(s, ledger, 'a', verdict(code), 'u', 0), code).toEqual({ banned: [], forfeitedFlops: 0 })
      expect(s.peers.a!.reputation, code).toBe(0.5)
      expect(ledger.pending('a').flops, code).toBe(5)
    }
  })

  it('once excluded for malformed work, forfeits pending credit but keeps verified credit and bans no wallet', () => {
    const s = state()
    s.bindings.a = { wallet: '0xAb', expiry: 1, signature: '', boundAtMs: 0, seq: 0 }
    s.bindings.b = { wallet: '0xab', expiry: 1, signature: '', boundAtMs: 0, seq: 0 }
    const ledger = new CreditsLedger()
    ledger.creditVolunteer('v', 'a', 10, 1, { verified: true, submittedAtMs: 0 })
    ledger.creditVolunteer('p', 'a', 5, 1, { verified: false, submittedAtMs: 0 })
    s.peers.a!.reputation = 0.5
    expect(punish(s, ledger, 'a', verdict('WRONG_SHAPE'), 'u', 0)).toEqual({ banned: ['a'], forfeitedFlops: 5 })
    expect(ledger.volunteer('a').flops).toBe(10)
    expect(s.bannedWallets).toEqual([])
    expect(s.peers.b!.banned).toBe(false)
  })

  it('bans a cheater\'s wallet once, with peers bound to it that were never seen, and does not ban twice', () => {
    const s = state()
    s.bindings.a = { wallet: '0xAb', expiry: 1, signature: '', boundAtMs: 0, seq: 0 }
    s.bindings.ghost = { wallet: '0xAB', expiry: 1, signature: '', boundAtMs: 0, seq: 0 }
    const ledger = new CreditsLedger()
    ledger.creditVolunteer('g', 'ghost', 7, 1, { verified: true, submittedAtMs: 0 })
    const out = punish(s, ledger, 'a', verdict('AUDIT_FAILED'), 'u', 9)
    expect(out).toEqual({ banned: ['a', 'ghost'], forfeitedFlops: 7 })
    expect(s.peers.ghost).toMatchObject({ banned: true, lastSeenMs: 9, ban: { code: 'AUDIT_FAILED', unitId: 'u' } })
    expect(s.bannedWallets).toEqual(['0xab'])
    expect(punish(s, ledger, 'a', verdict('AUDIT_FAILED'), 'u2', 10)).toEqual({ banned: [], forfeitedFlops: 0 })
    expect(s.bannedWallets).toEqual(['0xab'])
    expect(s.peers.a!.ban!.unitId).toBe('u')
  })
})

describe('malformations', () => {
  const result: UnitResult = {
    unitId: 'u', jobId: job.id, round: 0, version: 0, deltaCid: 'd', deltaBytes: 1, lossBefore: 2, lossAfter: 1, samples: 384, flops: 1, trajectoryHash: 'h',
    checkpoints: ['a', 'b', 'c'], segmentLosses: [2, 1.5, 1.2], backend: 'wasm', elapsedMs: 1,
  }
  const delta = quantizeInt8(new Float32Array(16))

  it('passes a well-formed result and names the first thing wrong otherwise', () => {
    expect(malformation(job, 16, result, delta)).toBeNull()
    expect(malformation(job, 17, result, delta)).toEqual(verdict('WRONG_SHAPE', { values: 16, expected: 17 }))
    expect(malformation(job, 16, { ...result, samples: 383 }, delta)).toEqual(verdict('WRONG_SAMPLES', { claimed: 383, expected: 384 }))
    expect(malformation(job, 16, { ...result, checkpoints: ['a', 'b'] }, delta)).toEqual(verdict('WRONG_CHECKPOINTS', { checkpoints: 2, expected: 3 }))
    expect(malformation(job, 16, { ...result, segmentLosses: [2, 1] }, delta)?.code).toBe('WRONG_CHECKPOINTS')
    expect(malformation(job, 16, { ...result, lossAfter: -Infinity }, delta)).toEqual(verdict('NON_FINITE_LOSS'))
    expect(malformation(job, 16, { ...result, segmentLosses: [2, NaN, 1] }, delta)).toEqual(verdict('NON_FINITE_LOSS'))
    expect(malformation(job, 16, { ...result, segmentLosses: [2.5, 1.5, 1.2] }, delta)).toEqual(verdict('WRONG_CHECKPOINTS', { detail: 'the first segment loss is not the first loss' }))
  })
})
