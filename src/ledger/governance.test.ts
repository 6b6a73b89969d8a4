import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { durationInWords, fixed18ToNumber, percent, formatFixed18, parseFixed18, proposalInWords, proposalStatus, quorumNeeded, vetoableEpochs, type ProposalTally } from './governance.ts'

const E18 = 10n ** 18n
const open = (over: Partial<ProposalTally> = {}): ProposalTally => ({ snapshotTotal: 1000n, votingEnds: 1300, forVotes: 0n, againstVotes: 0n, executed: false, passed: false, ...over })

describe('quorumNeeded', () => {
  it('rounds the quorum share of the snapshot up, as the governor\'s mulDiv(…, Ceil) does', () => {
    expect(quorumNeeded(1000n, 2000)).toBe(200n)
    expect(quorumNeeded(1001n, 2000)).toBe(201n)
    expect(quorumNeeded(1n, 2000)).toBe(1n)
    expect(quorumNeeded(0n, 2000)).toBe(0n)
    expect(quorumNeeded(7n, 10_000)).toBe(7n)
  })

  it('never needs less than the exact share, nor a whole unit more', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 255n) }), fc.integer({ min: 1, max: 10_000 }), (total, bps) => {
      const needed = quorumNeeded(total, bps)
      expect(needed * 10_000n).toBeGreaterThanOrEqual(total * BigInt(bps))
      expect((needed - 1n) * 10_000n).toBeLessThan(total * BigInt(bps))
    }))
  })
})

describe('proposalStatus', () => {
  it('is open with no votes, and cannot be executed before voting ends', () => {
    const s = proposalStatus(open(), 1000, 2000)
    expect(s).toMatchObject({ phase: 'open', votingOpen: true, canExecute: false, secondsLeft: 300, quorumNeeded: 200n, quorumReached: false, castBps: 0 })
    expect(s.words).toBe('voting open, 5 min left')
  })

  it('may be executed early only with more than half of the snapshot voting for it', () => {
    expect(proposalStatus(open({ forVotes: 500n }), 1000, 2000)).toMatchObject({ phase: 'open', canExecute: false, earlyMajority: false })
    const decided = proposalStatus(open({ forVotes: 501n }), 1000, 2000)
    expect(decided).toMatchObject({ phase: 'decided', canExecute: true, earlyMajority: true, votingOpen: true })
    expect(decided.words).toMatch(/anyone may execute it now/)
    // An odd total: half rounds down in the governor, so 501 of 1001 is a majority.
    expect(proposalStatus(open({ snapshotTotal: 1001n, forVotes: 501n }), 1000, 2000).earlyMajority).toBe(true)
  })

  it('after voting ends, passes with quorum and more for than against, and says why it failed otherwise', () => {
    expect(proposalStatus(open({ forVotes: 150n, againstVotes: 50n }), 1300, 2000)).toMatchObject({ phase: 'ended-passing', canExecute: true, votingOpen: false, quorumReached: true, castBps: 2000 })
    const short = proposalStatus(open({ forVotes: 150n, againstVotes: 49n }), 1400, 2000)
    expect(short).toMatchObject({ phase: 'ended-failing', canExecute: true })
    expect(short.words).toBe('voting ended and it failed (quorum not reached: 19.9 % of the snapshot\'s credit voted, 20 % needed): executing records the outcome')
    expect(proposalStatus(open({ forVotes: 100n, againstVotes: 100n }), 1400, 2000).words).toMatch(/as much credit or more voted against/)
  })

  it('reports an executed proposal as it was recorded, with nothing left to do', () => {
    expect(proposalStatus(open({ forVotes: 600n, executed: true, passed: true }), 1000, 2000)).toMatchObject({ phase: 'executed-passed', canExecute: false, votingOpen: false })
    expect(proposalStatus(open({ executed: true }), 2000, 2000)).toMatchObject({ phase: 'executed-failed', canExecute: false, words: expect.stringMatching(/^failed \(quorum not reached/) })
  })
})

describe('18-decimal values', () => {
  it('parses decimals and exponents exactly, and refuses what the chain cannot hold', () => {
    expect(parseFixed18('0.0005')).toEqual({ value: 5n * 10n ** 14n })
    expect(parseFixed18('5e-4')).toEqual({ value: 5n * 10n ** 14n })
    expect(parseFixed18(' 12 ')).toEqual({ value: 12n * E18 })
    expect(parseFixed18('.5')).toEqual({ value: E18 / 2n })
    expect(parseFixed18('1.5E3')).toEqual({ value: 1500n * E18 })
    expect(parseFixed18('0.000000000000000001')).toEqual({ value: 1n })
    expect(parseFixed18('')).toEqual({ error: 'required' })
    expect(parseFixed18('-1')).toEqual({ error: expect.stringMatching(/is not a number/) })
    expect(parseFixed18('1,5')).toEqual({ error: expect.stringMatching(/is not a number/) })
    expect(parseFixed18('.')).toEqual({ error: expect.stringMatching(/is not a number/) })
    expect(parseFixed18('1e-19')).toEqual({ error: 'more precise than 18 decimal places' })
    expect(parseFixed18('1e999')).toEqual({ error: 'too large' })
  })

  it('formats back every digit, and converts to the number the coordinator applies', () => {
    expect(formatFixed18(5n * 10n ** 14n)).toBe('0.0005')
    expect(formatFixed18(7n * E18)).toBe('7')
    expect(fixed18ToNumber(9n * 10n ** 17n)).toBe(0.9)
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), (value) => {
      expect(parseFixed18(formatFixed18(value))).toEqual({ value })
    }))
  })
})

describe('proposalInWords', () => {
  const names = (id: string) => (id === 'bafy-data' ? 'Fashion slice' : undefined)
  it('names datasets by what the job calls them, values as decimals and vetoes by epoch', () => {
    expect(proposalInWords('exclude-dataset', 'bafy-data', 0n, names)).toBe('exclude dataset "Fashion slice" from training')
    expect(proposalInWords('include-dataset', 'bafy-unknown-dataset-id', 0n, names)).toBe('include dataset bafy-unknown-dat… (not among this job\'s offered datasets as far as this tab has heard) in training')
    expect(proposalInWords('set-hyper-parameter', 'innerLr', 5n * 10n ** 14n, names)).toBe('set innerLr to 0.0005')
    expect(proposalInWords('end-job', 'accuracy is good enough', 0n, names)).toBe('end the job (reason: accuracy is good enough)')
    expect(proposalInWords('veto-root', 'bafy-evidence', 3n, names)).toBe('veto epoch 3\'s root (evidence: bafy-evidence)')
  })
})

describe('vetoableEpochs', () => {
  it('lists posted roots still in their challenge period, with the time a veto has left', () => {
    const epochs = [{ epoch: 1, finalAt: 100, vetoed: false }, { epoch: 3, finalAt: 160, vetoed: false }, { epoch: 2, finalAt: 130, vetoed: true }, { epoch: 4, finalAt: 120, vetoed: false }]
    expect(vetoableEpochs(epochs, 110)).toEqual([{ epoch: 3, secondsLeft: 50 }, { epoch: 4, secondsLeft: 10 }])
    // Final the moment the challenge period ends, as the escrow's isFinal says.
    expect(vetoableEpochs(epochs, 160)).toEqual([])
  })
})

describe('durationInWords', () => {
  it('says spans the way people do', () => {
    expect(durationInWords(0)).toBe('0 s')
    expect(durationInWords(44.2)).toBe('45 s')
    expect(durationInWords(59.2)).toBe('1 min')
    expect(durationInWords(250)).toBe('4 min 10 s')
    expect(durationInWords(3 * 3600 + 60)).toBe('3 h 1 min')
    expect(durationInWords(3 * 86_400)).toBe('3 d')
  })
})

describe('percent', () => {
  it('rounds down, so a share just short of the quorum never reads as reaching it', () => {
    expect(percent(2000)).toBe('20 %')
    expect(percent(1999)).toBe('19.9 %')
    expect(percent(1995)).toBe('19.9 %')
    expect(percent(5)).toBe('0.0 %')
  })
})
