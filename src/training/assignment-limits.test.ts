// Who gets which unit, at each rule's edge: the activity window, the fair share's rounding, which holds
// count, which units reopen, when and to whom a straggler's unit is copied, and which holds expire or are
// released. Expected values are worked by hand from the rules, not from the module's constants.
import { describe, expect, it } from 'vitest'
import { activePeers, assign, expireHolds, isOpen, releasePeer, typicalUnitMs } from './assignment.ts'
import type { HolderState, HolderStatus, PeerState, RoundState, UnitState } from './coordinator-state.ts'
import { newPeer } from './reputation.ts'
import { testJob } from './testing/job-fixture.ts'

const job = testJob()
const unit = (index: number, holders: HolderState[] = []): UnitState => ({ id: `7.${index}`, index, shards: [index], seed: index, holders, outcome: 'open' })
const hold = (peer: string, status: HolderStatus, assignedAtMs = 0, extra: Partial<HolderState> = {}): HolderState => ({ peer, assignedAtMs, status, ...extra })
const round = (units: UnitState[], probes?: UnitState[]): RoundState => ({ round: 7, version: 3, paramsCid: 'p', startedAtMs: 0, deadlineMs: 1e9, secretCommitment: '', units, ...(probes ? { probes } : {}) })
const peers = (...ids: string[]): Record<string, PeerState> => Object.fromEntries(ids.map((id) => [id, newPeer(0)]))

describe('active peers', () => {
  it('counts a peer heard from less than 30 s ago, not one heard from exactly 30 s ago', () => {
    const p = peers('a', 'b', 'c')
    p.a!.lastSeenMs = 70_001
    p.b!.lastSeenMs = 70_000
    p.c!.lastSeenMs = 100_000
    expect(activePeers(p, 100_000)).toBe(2)
    expect(activePeers(p, 99_999)).toBe(3)
  })

  it('leaves out peers that left or were excluded, whatever their last message', () => {
    const p = peers('a', 'b', 'c')
    p.b!.left = true
    p.c!.banned = true
    expect(activePeers(p, 0)).toBe(1)
    expect(activePeers({}, 0)).toBe(0)
  })
})

describe('open units', () => {
  it('is closed while someone works on it, is being checked or was accepted, and open after a release, refusal or supersession', () => {
    const statuses: Array<[HolderStatus, boolean]> = [['assigned', false], ['verifying', false], ['accepted', false], ['released', true], ['rejected', true], ['superseded', true]]
    for (const [status, open] of statuses) expect(isOpen(unit(0, [hold('other', status)]), 'me'), status).toBe(open)
  })

  it('stays closed to the peer that failed it, open to a peer that only released it, and closed once decided', () => {
    expect(isOpen(unit(0, [hold('me', 'rejected')]), 'me')).toBe(false)
    expect(isOpen(unit(0, [hold('me', 'released')]), 'me')).toBe(true)
    expect(isOpen(unit(0, [hold('me', 'released'), hold('other', 'rejected')]), 'me')).toBe(true)
    expect(isOpen({ ...unit(0), outcome: 'accepted' }, 'me')).toBe(false)
    expect(isOpen({ ...unit(0), outcome: 'dropped' }, 'me')).toBe(false)
    expect(isOpen(unit(0), 'me')).toBe(true)
  })
})

describe('fair share', () => {
  it('rounds the share up: five units between two active peers is three each', () => {
    const r = round([unit(0, [hold('a', 'accepted')]), unit(1, [hold('a', 'verifying')]), unit(2), unit(3), unit(4)])
    expect(assign(job, r, peers('a', 'b'), 'a', 0, null)).toEqual({ unit: r.units[2], speculative: false })
    r.units[2]!.holders.push(hold('a', 'accepted'))
    expect(assign(job, r, peers('a', 'b'), 'a', 0, null)).toEqual({ wait: { code: 'FAIR_SHARE', params: { share: 3, round: 7 } } })
  })

  it('gives the whole round to the only peer, and counts the asker as one even when it is not yet known', () => {
    const r = round([unit(0, [hold('a', 'accepted')]), unit(1, [hold('a', 'accepted')]), unit(2)])
    expect(assign(job, r, {}, 'a', 0, null)).toMatchObject({ unit: { id: '7.2' }, speculative: false })
    r.units[2]!.holders.push(hold('a', 'accepted'))
    r.units.push(unit(3))
    // Four units, nobody active: a share of four, and a holds three.
    expect(assign(job, r, {}, 'a', 0, null)).toMatchObject({ unit: { id: '7.3' } })
  })

  it('counts only holds that still count: a refused or released unit is not part of a peer\'s share', () => {
    // Two peers, four units: a share of two. a was refused on one and released another; it holds one.
    const r = round([unit(0, [hold('a', 'accepted')]), unit(1, [hold('a', 'rejected'), hold('b', 'assigned')]), unit(2, [hold('a', 'superseded'), hold('b', 'accepted')]), unit(3)])
    r.units[2]!.outcome = 'accepted'
    expect(assign(job, r, peers('a', 'b'), 'a', 0, null)).toMatchObject({ unit: { id: '7.3' }, speculative: false })
  })

  it('hands out fresh units in round order', () => {
    const r = round([unit(0, [hold('b', 'assigned')]), unit(1), unit(2)])
    expect(assign(job, r, peers('a', 'b'), 'a', 0, null)).toMatchObject({ unit: { id: '7.1' } })
  })
})

describe('units held or reopened', () => {
  it('hands a reopened unit before a fresh one that comes earlier in the round', () => {
    const r = round([unit(0), unit(1, [hold('x', 'released')]), unit(2)])
    expect(assign(job, r, peers('a', 'x'), 'a', 0, null)).toEqual({ unit: r.units[1], speculative: false })
  })

  it('gives back the unit a peer is working on, saying whether it is a second copy, and not one it already finished', () => {
    const r = round([unit(0, [hold('a', 'accepted')]), unit(1, [hold('b', 'assigned'), hold('a', 'assigned', 5, { speculative: true })]), unit(2)])
    expect(assign(job, r, peers('a', 'b'), 'a', 10, null)).toEqual({ unit: r.units[1], speculative: true })
    r.units[1]!.holders[1]!.speculative = false
    expect(assign(job, r, peers('a', 'b'), 'a', 10, null)).toEqual({ unit: r.units[1], speculative: false })
    r.units[1]!.holders[1]!.status = 'verifying'
    expect(assign(job, r, peers('a'), 'a', 10, null)).toMatchObject({ unit: { id: '7.2' }, speculative: false })
  })

  it('reads the second-copy flag from the peer\'s hold in progress, not from an earlier one it gave up', () => {
    // a's second copy was released when it left; the unit reopened and a took it again as an ordinary hold.
    const r = round([unit(0, [hold('slow', 'released'), hold('a', 'released', 0, { speculative: true }), hold('a', 'assigned', 50)])])
    expect(assign(job, r, peers('a'), 'a', 60, 10)).toEqual({ unit: r.units[0], speculative: false })
  })

  it('says there is nothing to do, naming the round, when every unit is taken and no straggler is due', () => {
    const r = round([unit(0, [hold('b', 'assigned')])])
    expect(assign(job, r, peers('a', 'b'), 'a', 0, null)).toEqual({ wait: { code: 'NO_OPEN_UNITS', params: { round: 7 } } })
  })
})

describe('second copies of a straggler\'s unit', () => {
  const taken = () => unit(9, [hold('done', 'accepted')])

  it('waits at least 2 s even when units usually take far less', () => {
    // Typical 100 ms: three times that is 300 ms, below the 2 s floor.
    const r = round([unit(0, [hold('slow', 'assigned', 1000)])])
    expect(assign(job, r, peers('a', 'slow'), 'a', 2999, 100)).toMatchObject({ wait: { code: 'NO_OPEN_UNITS' } })
    expect(assign(job, r, peers('a', 'slow'), 'a', 3000, 100)).toEqual({ unit: r.units[0], speculative: true })
  })

  it('waits three times the typical time when that is longer than 2 s', () => {
    const r = round([unit(0, [hold('slow', 'assigned', 1000)])])
    expect(assign(job, r, peers('a', 'slow'), 'a', 1000 + 5999, 2000)).toMatchObject({ wait: { code: 'NO_OPEN_UNITS' } })
    expect(assign(job, r, peers('a', 'slow'), 'a', 1000 + 6000, 2000)).toMatchObject({ unit: { id: '7.0' }, speculative: true })
  })

  it('copies the unit held longest, the first of equally old ones', () => {
    const r = round([unit(0, [hold('s0', 'assigned', 500)]), unit(1, [hold('s1', 'assigned', 100)]), unit(2, [hold('s2', 'assigned', 300)])])
    expect(assign(job, r, peers('a'), 'a', 1e6, 1)).toMatchObject({ unit: { id: '7.1' } })
    const tied = round([unit(0, [hold('s0', 'assigned', 100)]), unit(1, [hold('s1', 'assigned', 100)])])
    expect(assign(job, tied, peers('a'), 'a', 1e6, 1)).toMatchObject({ unit: { id: '7.0' } })
  })

  it('never copies a unit with a result being checked, one the asker held before, one already copied, or one nobody works on', () => {
    const cases: Array<[string, HolderState[]]> = [
      ['a late result is being checked', [hold('late', 'verifying'), hold('slow', 'assigned')]],
      ['the asker released it before', [hold('a', 'released'), hold('slow', 'assigned')]],
      ['already copied once', [hold('slow', 'assigned'), hold('b', 'released', 0, { speculative: true })]],
      ['accepted, not yet closed', [hold('slow', 'accepted')]],
      ['two holders still working', [hold('s1', 'assigned'), hold('s2', 'assigned')]],
    ]
    for (const [why, holders] of cases) expect(assign(job, round([unit(0, holders), taken()]), peers('a'), 'a', 1e6, 1), why).toMatchObject({ wait: { code: 'NO_OPEN_UNITS' } })
    const decided = unit(0, [hold('slow', 'assigned')])
    decided.outcome = 'dropped'
    expect(assign(job, round([decided]), peers('a'), 'a', 1e6, 1)).toMatchObject({ wait: { code: 'NO_OPEN_UNITS' } })
    // A peer whose own result was refused never gets the unit again, not even as a copy; a superseded holder
    // does not stop another peer's copy.
    expect(assign(job, round([unit(0, [hold('x', 'rejected'), hold('slow', 'assigned')])]), peers('a', 'x'), 'x', 1e6, 1)).toMatchObject({ wait: { code: 'NO_OPEN_UNITS' } })
    expect(assign(job, round([unit(0, [hold('x', 'superseded'), hold('slow', 'assigned')])]), peers('a'), 'a', 1e6, 1)).toMatchObject({ unit: { id: '7.0' }, speculative: true })
  })
})

describe('typical unit time', () => {
  it('is the median of submission minus assignment over the round\'s units, ignoring probes and undelivered holds', () => {
    const r = round(
      [unit(0, [hold('a', 'accepted', 1000, { submittedAtMs: 4000 })]), unit(1, [hold('b', 'accepted', 500, { submittedAtMs: 1500 }), hold('c', 'assigned', 0)]), unit(2, [hold('d', 'rejected', 100, { submittedAtMs: 2100 })])],
      [unit(3, [hold('e', 'accepted', 0, { submittedAtMs: 1e6 })])],
    )
    // 3000, 1000 and 2000 ms: the median is 2000.
    expect(typicalUnitMs(r)).toBe(2000)
    expect(typicalUnitMs(round([unit(0, [hold('a', 'assigned')])], [unit(1, [hold('e', 'accepted', 0, { submittedAtMs: 5 })])]))).toBeNull()
  })
})

describe('expiring and releasing holds', () => {
  it('expires a probe\'s hold after 60 s and a unit\'s after the round\'s length, only holds still working', () => {
    const probe: UnitState = { ...unit(5, [hold('p', 'assigned', 0)]), probe: true }
    const r = round([unit(0, [hold('a', 'assigned', 0), hold('v', 'verifying', 0)])], [probe])
    expireHolds(r, 60_000, 10_000)
    expect(r.units[0]!.holders.map((h) => h.status)).toEqual(['released', 'verifying'])
    expect(probe.holders[0]!.status).toBe('assigned')
    expireHolds(r, 60_001, 10_000)
    expect(probe.holders[0]!.status).toBe('released')
  })

  it('releases a leaver\'s working holds on units and probes, counts them, and leaves its checked results and other peers alone', () => {
    const probe: UnitState = { ...unit(5, [hold('a', 'assigned')]), probe: true }
    const r = round([unit(0, [hold('a', 'assigned')]), unit(1, [hold('a', 'verifying')]), unit(2, [hold('b', 'assigned')])], [probe])
    expect(releasePeer(r, 'a')).toBe(2)
    expect(r.units.map((u) => u.holders[0]!.status)).toEqual(['released', 'verifying', 'assigned'])
    expect(probe.holders[0]!.status).toBe('released')
  })
})
