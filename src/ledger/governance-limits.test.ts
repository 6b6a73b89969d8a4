// Governance at its edges: every phase's exact sentence, the vote at the second voting ends, an empty
// snapshot, 18-decimal values at the uint256 limit, and spans of time at each unit's boundary. The page offers
// a vote or an execution from these, so each must match JobGovernor to the unit.
import { describe, expect, it } from 'vitest'
import { BPS, FIXED_DECIMALS, durationInWords, parseFixed18, percent, proposalStatus, vetoableEpochs, type ProposalTally } from './governance.ts'

const MAX_UINT256 = 2n ** 256n - 1n
const open = (over: Partial<ProposalTally> = {}): ProposalTally => ({ snapshotTotal: 1000n, votingEnds: 1300, forVotes: 0n, againstVotes: 0n, executed: false, passed: false, ...over })

describe('proposalStatus, phase by phase', () => {
  it('says exactly what an executed proposal did', () => {
    expect(proposalStatus(open({ forVotes: 600n, executed: true, passed: true }), 1000, 2000)).toEqual({
      phase: 'executed-passed', quorumNeeded: 200n, quorumReached: true, castBps: 6000, earlyMajority: true, votingOpen: false, canExecute: false, secondsLeft: 300,
      words: 'passed and executed: the coordinator follows it from its next round',
    })
    expect(proposalStatus(open({ forVotes: 100n, againstVotes: 300n, executed: true }), 2000, 2000)).toEqual({
      phase: 'executed-failed', quorumNeeded: 200n, quorumReached: true, castBps: 4000, earlyMajority: false, votingOpen: false, canExecute: false, secondsLeft: 0,
      words: 'failed (as much credit or more voted against)',
    })
  })

  it('offers early execution with the time voting stays open', () => {
    expect(proposalStatus(open({ forVotes: 501n }), 1000, 2000)).toEqual({
      phase: 'decided', quorumNeeded: 200n, quorumReached: true, castBps: 5010, earlyMajority: true, votingOpen: true, canExecute: true, secondsLeft: 300,
      words: 'more than half of the snapshot\'s credit voted for it: anyone may execute it now (voting stays open 5 min more)',
    })
  })

  it('closes voting at the second it ends, and counts the time left until then', () => {
    expect(proposalStatus(open(), 1299, 2000)).toMatchObject({ phase: 'open', votingOpen: true, secondsLeft: 1, words: 'voting open, 1 s left' })
    expect(proposalStatus(open(), 1300, 2000)).toMatchObject({ phase: 'ended-failing', votingOpen: false, secondsLeft: 0, canExecute: true })
    expect(proposalStatus(open(), 5000, 2000)).toMatchObject({ votingOpen: false, secondsLeft: 0 })
  })

  it('passes at exactly the quorum with one vote more for than against', () => {
    expect(proposalStatus(open({ forVotes: 101n, againstVotes: 99n }), 1300, 2000)).toEqual({
      phase: 'ended-passing', quorumNeeded: 200n, quorumReached: true, castBps: 2000, earlyMajority: false, votingOpen: false, canExecute: true, secondsLeft: 0,
      words: 'voting ended and it passed: anyone may execute it',
    })
    expect(proposalStatus(open({ forVotes: 150n, againstVotes: 150n }), 1300, 2000)).toMatchObject({ phase: 'ended-failing', words: 'voting ended and it failed (as much credit or more voted against): executing records the outcome' })
  })

  it('fails a proposal short of quorum even with every vote for it', () => {
    expect(proposalStatus(open({ forVotes: 199n }), 1300, 2000)).toMatchObject({
      phase: 'ended-failing', quorumReached: false, castBps: 1990,
      words: 'voting ended and it failed (quorum not reached: 19.9 % of the snapshot\'s credit voted, 20 % needed): executing records the outcome',
    })
  })

  it('reads an empty snapshot as no share cast, and any vote as reaching its zero quorum', () => {
    expect(proposalStatus(open({ snapshotTotal: 0n }), 1000, 2000)).toMatchObject({ quorumNeeded: 0n, quorumReached: true, castBps: 0, earlyMajority: false })
    expect(proposalStatus(open({ snapshotTotal: 0n, forVotes: 1n }), 1000, 2000)).toMatchObject({ castBps: 0, earlyMajority: true, phase: 'decided' })
  })
})

describe('parseFixed18 at its limits', () => {
  it('takes the largest uint256 and refuses one more', () => {
    const max = '115792089237316195423570985008687907853269984665640564039457.584007913129639935'
    expect(parseFixed18(max)).toEqual({ value: MAX_UINT256 })
    expect(parseFixed18('115792089237316195423570985008687907853269984665640564039457.584007913129639936')).toEqual({ error: 'too large' })
  })

  it('takes more than 18 decimals when the extra ones are zeros, and refuses a non-zero one', () => {
    expect(parseFixed18('1.0000000000000000000')).toEqual({ value: 10n ** 18n })
    expect(parseFixed18('2.50000000000000000000000')).toEqual({ value: 25n * 10n ** 17n })
    expect(parseFixed18('0.0000000000000000010')).toEqual({ value: 1n })
    expect(parseFixed18('0.0000000000000000011')).toEqual({ error: 'more precise than 18 decimal places' })
  })

  it('reads exponents of up to three digits, with a sign or none, in either case', () => {
    expect(parseFixed18('1e+3')).toEqual({ value: 1000n * 10n ** 18n })
    expect(parseFixed18('2E-18')).toEqual({ value: 2n })
    expect(parseFixed18('5.')).toEqual({ value: 5n * 10n ** 18n })
    expect(parseFixed18('0')).toEqual({ value: 0n })
    expect(parseFixed18('12.5e1')).toEqual({ value: 125n * 10n ** 18n })
    expect(parseFixed18('1e-999')).toEqual({ error: 'more precise than 18 decimal places' })
    expect(parseFixed18('1e1000')).toEqual({ error: '"1e1000" is not a number; write it like 0.0005 or 5e-4' })
  })

  it('refuses what is not a decimal, quoting at most 24 characters of it', () => {
    for (const text of ['e5', '.e5', '1e', '1e+', 'x1', '1x', '1.2.3', '+1', '0x10', '1 000']) expect(parseFixed18(text), text).toEqual({ error: `"${text}" is not a number; write it like 0.0005 or 5e-4` })
    expect(parseFixed18('   ')).toEqual({ error: 'required' })
    expect(parseFixed18(`${'9'.repeat(30)}z`)).toEqual({ error: `"${'9'.repeat(24)}" is not a number; write it like 0.0005 or 5e-4` })
  })

  it('counts in basis points and 18 decimals, as JobGovernor does', () => {
    expect(BPS).toBe(10_000n)
    expect(FIXED_DECIMALS).toBe(18)
  })
})

describe('durationInWords at each unit\'s boundary', () => {
  it('switches unit exactly at a minute, an hour and a day', () => {
    const cases: Array<[number, string]> = [
      [-5, '0 s'], [1, '1 s'], [59, '59 s'], [60, '1 min'], [61, '1 min 1 s'], [3599, '59 min 59 s'],
      [3600, '1 h'], [3660, '1 h 1 min'], [3659, '1 h'], [7200, '2 h'], [86_399, '23 h 59 min'],
      [86_400, '1 d'], [90_000, '1 d 1 h'], [86_400 + 3599, '1 d'], [2 * 86_400 + 5 * 3600, '2 d 5 h'],
    ]
    for (const [seconds, words] of cases) expect(durationInWords(seconds), String(seconds)).toBe(words)
  })
})

describe('percent', () => {
  it('shows whole percentages without a decimal and others to one decimal', () => {
    expect(percent(0)).toBe('0 %')
    expect(percent(100)).toBe('1 %')
    expect(percent(10_000)).toBe('100 %')
    expect(percent(150)).toBe('1.5 %')
    expect(percent(9999)).toBe('99.9 %')
  })
})

describe('vetoableEpochs', () => {
  it('lists epochs oldest first whatever order the chain returned them in', () => {
    const epochs = [{ epoch: 7, finalAt: 200, vetoed: false }, { epoch: 5, finalAt: 150, vetoed: false }, { epoch: 6, finalAt: 100, vetoed: false }]
    expect(vetoableEpochs(epochs, 99)).toEqual([{ epoch: 5, secondsLeft: 51 }, { epoch: 6, secondsLeft: 1 }, { epoch: 7, secondsLeft: 101 }])
    expect(vetoableEpochs(epochs, 100)).toEqual([{ epoch: 5, secondsLeft: 50 }, { epoch: 7, secondsLeft: 100 }])
  })

  it('never lists a vetoed epoch, even one still in its challenge period', () => {
    expect(vetoableEpochs([{ epoch: 1, finalAt: 500, vetoed: true }], 0)).toEqual([])
  })
})
