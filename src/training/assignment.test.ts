import { describe, expect, it } from 'vitest'
import { ACTIVE_WINDOW_MS, assign, expireHolds, isOpen, MIN_SPECULATE_MS, releasePeer, SPECULATE_AFTER_TYPICAL, typicalUnitMs } from './assignment.ts'
import type { HolderState, PeerState, RoundState, UnitState } from './coordinator-state.ts'
import { testJob } from './testing/job-fixture.ts'
import { newPeer, punish, REPUTATION } from './reputation.ts'
import { CreditsLedger } from './credits.ts'
import { verdict } from './verdicts.ts'
import type { CoordinatorState } from './coordinator-state.ts'

const unit = (index: number, holders: HolderState[] = []): UnitState => ({ id: `0.${index}`, index, shards: [index], seed: index, holders, outcome: 'open' })
const round = (units: UnitState[]): RoundState => ({ round: 0, version: 0, paramsCid: 'p', startedAtMs: 0, deadlineMs: 1e9, secretCommitment: '', units })
const peers = (...ids: string[]): Record<string, PeerState> => Object.fromEntries(ids.map((id) => [id, newPeer(0)]))
const job = testJob()

describe('assignment', () => {
  it('gives each peer its fair share of fresh units, then makes it wait', () => {
    const r = round([unit(0), unit(1), unit(2), unit(3)])
    const p = peers('a', 'b')
    for (const [peer, expected] of [['a', '0.0'], ['b', '0.1']] as const) {
      const got = assign(job, r, p, peer, 0, null)
      expect('unit' in got && got.unit.id).toBe(expected)
      if ('unit' in got) got.unit.holders.push({ peer, assignedAtMs: 0, status: 'accepted' })
    }
    const third = assign(job, r, p, 'a', 0, null)
    expect('unit' in third && third.unit.id).toBe('0.2')
    if ('unit' in third) third.unit.holders.push({ peer: 'a', assignedAtMs: 0, status: 'accepted' })
    // Two active peers, four units: a share of two.
    expect(assign(job, r, p, 'a', 0, null)).toEqual({ wait: verdict('FAIR_SHARE', { share: 2, round: 0 }) })
  })

  it('gives a unit whose holder left or was refused to anyone at once, over its share, but never back to a peer that failed it', () => {
    const r = round([unit(0, [{ peer: 'a', assignedAtMs: 0, status: 'accepted' }]), unit(1, [{ peer: 'x', assignedAtMs: 0, status: 'rejected' }])])
    const p = peers('a', 'x')
    expect(isOpen(r.units[1]!, 'x')).toBe(false)
    expect(assign(job, r, p, 'x', 0, null)).toMatchObject({ wait: { code: 'NO_OPEN_UNITS' } })
    expect(assign(job, r, p, 'a', 0, null)).toMatchObject({ unit: { id: '0.1' }, speculative: false })
  })

  it('returns the unit a peer already holds instead of a second one', () => {
    const r = round([unit(0, [{ peer: 'a', assignedAtMs: 0, status: 'assigned' }]), unit(1)])
    expect(assign(job, r, peers('a'), 'a', 5, null)).toMatchObject({ unit: { id: '0.0' } })
  })

  it('copies a straggler\'s unit to an idle peer only once it is held three times the typical time and 2 s, and only once', () => {
    const slow = unit(0, [{ peer: 'slow', assignedAtMs: 0, status: 'assigned' }])
    const done = unit(1, [{ peer: 'fast', assignedAtMs: 0, submittedAtMs: 1000, status: 'accepted' }])
    done.outcome = 'accepted'
    const r = round([slow, done])
    const typical = typicalUnitMs(r)
    expect(typical).toBe(1000)
    const after = Math.max(MIN_SPECULATE_MS, SPECULATE_AFTER_TYPICAL * typical!)
    expect(assign(job, r, peers('slow', 'fast'), 'fast', after - 1, typical)).toMatchObject({ wait: { code: 'NO_OPEN_UNITS' } })
    const copy = assign(job, r, peers('slow', 'fast'), 'fast', after, typical)
    expect(copy).toMatchObject({ unit: { id: '0.0' }, speculative: true })
    slow.holders.push({ peer: 'fast', assignedAtMs: after, status: 'assigned', speculative: true })
    expect(assign(job, r, peers('slow', 'fast', 'third'), 'third', after * 10, typical)).toMatchObject({ wait: { code: 'NO_OPEN_UNITS' } })
    expect(assign(job, round([unit(0, [{ peer: 'slow', assignedAtMs: 0, status: 'assigned' }])]), peers('slow', 'fast'), 'fast', 1e9, null)).toMatchObject({ wait: { code: 'NO_OPEN_UNITS' } })
  })

  it('releases a leaver\'s holds and holds older than the round', () => {
    const r = round([unit(0, [{ peer: 'a', assignedAtMs: 0, status: 'assigned' }]), unit(1, [{ peer: 'b', assignedAtMs: 100, status: 'assigned' }])])
    expect(releasePeer(r, 'a')).toBe(1)
    expect(r.units[0]!.holders[0]!.status).toBe('released')
    expect(releasePeer(r, 'a')).toBe(0)
    expect(isOpen(r.units[0]!, 'b')).toBe(true)
    expireHolds(r, 100 + job.roundMs, job.roundMs)
    expect(r.units[1]!.holders[0]!.status).toBe('assigned')
    expireHolds(r, 101 + job.roundMs, job.roundMs)
    expect(r.units[1]!.holders[0]!.status).toBe('released')
  })

  it('counts as active only peers heard from recently that have not left or been excluded', () => {
    const p = peers('a', 'b', 'c', 'd')
    p.b!.left = true
    p.c!.banned = true
    p.d!.lastSeenMs = -ACTIVE_WINDOW_MS
    const r = round([unit(0), unit(1), unit(2)])
    const got = assign(job, r, p, 'a', 0, null)
    if ('unit' in got) got.unit.holders.push({ peer: 'a', assignedAtMs: 0, status: 'assigned' })
    // Only a is active: its share is the whole round.
    expect(assign(job, { ...r, units: r.units.map((u) => ({ ...u, holders: u.holders.map((h) => ({ ...h, status: 'accepted' as const })) })) }, p, 'a', 0, null)).toMatchObject({ unit: { id: '0.1' } })
  })
})

describe('reputation', () => {
  const state = (): CoordinatorState => ({
    format: 2, jobId: 'j', secret: '00'.repeat(32), current: round([]), momentumCid: null, centreCid: null, peers: peers('x', 'y', 'z'), ledger: new CreditsLedger().toJSON(),
    history: [], initialAccuracy: null, finished: false, reference: [], datasets: [], pool: [], shardUse: [], bannedWallets: [], seq: 0, logHead: null,
    bindings: { x: { wallet: '0xAA', expiry: 1, signature: '', boundAtMs: 0, seq: 0 }, y: { wallet: '0xaa', expiry: 1, signature: '', boundAtMs: 0, seq: 0 }, z: { wallet: '0xbb', expiry: 1, signature: '', boundAtMs: 0, seq: 0 } },
  })

  it('excludes after a second malformed result, not the first, and keeps verified credit', () => {
    const s = state()
    const ledger = new CreditsLedger()
    ledger.creditVolunteer('u1', 'x', 10, 1, { verified: true, submittedAtMs: 0 })
    expect(punish(s, ledger, 'x', verdict('MALFORMED_DELTA'), 'u2', 0).banned).toEqual([])
    expect(s.peers.x!.reputation).toBe(REPUTATION.start - REPUTATION.malformed)
    expect(punish(s, ledger, 'x', verdict('WRONG_SHAPE'), 'u3', 0).banned).toEqual(['x'])
    expect(s.peers.x!.ban).toMatchObject({ code: 'WRONG_SHAPE', unitId: 'u3' })
    expect(ledger.volunteer('x').flops).toBe(10)
  })

  it('excludes a failed audit at once, with every peer of the same wallet, and takes all their unpaid credit', () => {
    const s = state()
    const ledger = new CreditsLedger()
    for (const p of ['x', 'y', 'z']) ledger.creditVolunteer(`u-${p}`, p, 10, 1, { verified: true, submittedAtMs: 0 })
    const out = punish(s, ledger, 'x', verdict('AUDIT_FAILED', { segment: 0 }), 'u9', 5)
    expect(out.banned.sort()).toEqual(['x', 'y'])
    expect(out.forfeitedFlops).toBe(20)
    expect(s.bannedWallets).toEqual(['0xaa'])
    expect(s.peers.z!.banned).toBe(false)
    expect(ledger.volunteer('z').flops).toBe(10)
  })

  it('forfeits only pending credit for withheld evidence, and costs nothing for codes that are nobody\'s fault', () => {
    const s = state()
    const ledger = new CreditsLedger()
    ledger.creditVolunteer('u1', 'x', 10, 1, { verified: true, submittedAtMs: 0 })
    ledger.creditVolunteer('u2', 'x', 20, 1, { verified: false, submittedAtMs: 1 })
    expect(punish(s, ledger, 'x', verdict('CHECKPOINT_UNAVAILABLE'), 'u3', 0).forfeitedFlops).toBe(20)
    expect(ledger.volunteer('x').flops).toBe(10)
    for (const code of ['DELTA_UNAVAILABLE', 'UNVERIFIED', 'ALREADY_DECIDED'] as const) expect(punish(s, ledger, 'z', verdict(code), 'u', 0)).toEqual({ banned: [], forfeitedFlops: 0 })
    expect(s.peers.z!.reputation).toBe(REPUTATION.start)
  })
})
