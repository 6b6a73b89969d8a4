// Governance as a voter reads it: what a proposal asks, in words; how far its vote got (the quorum of its
// snapshot's credit, the majority, early execution); and what anyone can do with it now. The rules mirror
// JobGovernor's exactly, so the page offers a vote or an execution only when the contract would take it.
import { formatUnits } from 'viem'
import type { DecisionKind } from './escrow.ts'

/** Basis points in a whole (JobGovernor.quorumBps counts in them). */
export const BPS = 10_000n
/** Governed values are 18-decimal fixed-point numbers on chain (JobGovernor.Proposal.value). */
export const FIXED_DECIMALS = 18
const MAX_UINT256 = (1n << 256n) - 1n

/** A proposal's vote as the governor stores it (JobGovernor.Proposal, times in unix seconds). */
export interface ProposalTally {
  snapshotTotal: bigint
  votingEnds: number
  forVotes: bigint
  againstVotes: bigint
  executed: boolean
  passed: boolean
}

export type ProposalPhase = 'open' | 'decided' | 'ended-passing' | 'ended-failing' | 'executed-passed' | 'executed-failed'

export interface ProposalStatus {
  phase: ProposalPhase
  /** Credit that must vote (either way) for the proposal to pass: the quorum share of its snapshot, rounded up. */
  quorumNeeded: bigint
  quorumReached: boolean
  /** Votes cast as a share of the snapshot's credit, in basis points. */
  castBps: number
  /** More than half of the snapshot's credit voted for it: it may be executed before voting ends. */
  earlyMajority: boolean
  votingOpen: boolean
  canExecute: boolean
  secondsLeft: number
  words: string
}

/** ceil(total × bps / 10,000), as the governor's Math.mulDiv(…, Ceil) computes it. */
export function quorumNeeded(snapshotTotal: bigint, quorumBps: number): bigint {
  return (snapshotTotal * BigInt(quorumBps) + BPS - 1n) / BPS
}

/** Basis points as a percentage, rounded down so a share short of a threshold never reads as reaching it: 2000 → "20 %", 1999 → "19.9 %". */
export const percent = (bps: number) => `${bps % 100 === 0 ? bps / 100 : (Math.floor(bps / 10) / 10).toFixed(1)} %`

/** A span of seconds the way a person says it: "45 s", "4 min 10 s", "2 h 5 min", "3 d 4 h". */
export function durationInWords(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`
  if (s < 86_400) return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`
  return `${Math.floor(s / 86_400)} d${Math.floor((s % 86_400) / 3600) ? ` ${Math.floor((s % 86_400) / 3600)} h` : ''}`
}

/** Where a proposal stands at `nowSeconds`, by JobGovernor's rules (vote, execute, quorumReached). */
export function proposalStatus(p: ProposalTally, nowSeconds: number, quorumBps: number): ProposalStatus {
  const needed = quorumNeeded(p.snapshotTotal, quorumBps)
  const cast = p.forVotes + p.againstVotes
  const reached = cast >= needed
  const castBps = p.snapshotTotal === 0n ? 0 : Number((cast * BPS) / p.snapshotTotal)
  const early = p.forVotes > p.snapshotTotal / 2n
  const secondsLeft = Math.max(0, p.votingEnds - nowSeconds)
  const votingOpen = !p.executed && secondsLeft > 0
  const passes = reached && p.forVotes > p.againstVotes
  const why = !reached ? `quorum not reached: ${percent(castBps)} of the snapshot's credit voted, ${percent(quorumBps)} needed` : 'as much credit or more voted against'
  const base = { quorumNeeded: needed, quorumReached: reached, castBps, earlyMajority: early, votingOpen, secondsLeft }
  if (p.executed) {
    return p.passed
      ? { ...base, phase: 'executed-passed', canExecute: false, words: 'passed and executed: the coordinator follows it from its next round' }
      : { ...base, phase: 'executed-failed', canExecute: false, words: `failed (${why})` }
  }
  if (votingOpen) {
    return early
      ? { ...base, phase: 'decided', canExecute: true, words: `more than half of the snapshot's credit voted for it: anyone may execute it now (voting stays open ${durationInWords(secondsLeft)} more)` }
      : { ...base, phase: 'open', canExecute: false, words: `voting open, ${durationInWords(secondsLeft)} left` }
  }
  return passes
    ? { ...base, phase: 'ended-passing', canExecute: true, words: 'voting ended and it passed: anyone may execute it' }
    : { ...base, phase: 'ended-failing', canExecute: true, words: `voting ended and it failed (${why}): executing records the outcome` }
}

/** Parses a decimal ("0.0005", "5e-4", "12") into 18-decimal fixed point; a sentence when it cannot. */
export function parseFixed18(text: string): { value: bigint } | { error: string } {
  const t = text.trim()
  const match = /^([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]{1,3}))?$/.exec(t)
  if (t === '' || !match || (match[1] === '' && (match[2] ?? '') === '')) return { error: t === '' ? 'required' : `"${t.slice(0, 24)}" is not a number; write it like 0.0005 or 5e-4` }
  const [, whole = '', fraction = '', exponent = '0'] = match
  const digits = whole + fraction
  const shift = Number(exponent) - fraction.length + FIXED_DECIMALS
  let value: bigint
  if (shift >= 0) value = BigInt(digits) * 10n ** BigInt(shift)
  else {
    const scale = 10n ** BigInt(-shift)
    if (BigInt(digits) % scale !== 0n) return { error: `more precise than ${FIXED_DECIMALS} decimal places` }
    value = BigInt(digits) / scale
  }
  if (value > MAX_UINT256) return { error: 'too large' }
  return { value }
}

/** 18-decimal fixed point back to a plain decimal, every digit kept ("0.0005"). */
export const formatFixed18 = (value: bigint): string => formatUnits(value, FIXED_DECIMALS)

/** The same value as a JavaScript number (what a job spec holds), as the coordinator converts it. */
export const fixed18ToNumber = (value: bigint): number => Number(formatUnits(value, FIXED_DECIMALS))

/** Names a voter knows the job's datasets by (the coordinator's metrics), by dataset id. */
export type DatasetNames = (id: string) => string | undefined

/** What a proposal asks for, in words ("exclude dataset "Fashion slice" from training"). */
export function proposalInWords(kind: DecisionKind, subject: string, value: bigint, datasetName: DatasetNames): string {
  const dataset = () => {
    const name = datasetName(subject)
    return name === undefined ? `dataset ${subject.slice(0, 16)}… (not among this job's offered datasets as far as this tab has heard)` : `dataset "${name}"`
  }
  switch (kind) {
    case 'include-dataset':
      return `include ${dataset()} in training`
    case 'exclude-dataset':
      return `exclude ${dataset()} from training`
    case 'set-hyper-parameter':
      return `set ${subject} to ${formatFixed18(value)}`
    case 'end-job':
      return `end the job (reason: ${subject})`
    case 'veto-root':
      return `veto epoch ${value}'s root (evidence: ${subject})`
  }
}

/** A posted epoch's standing against the challenge period (its root, final at `finalAt` unless vetoed). */
export interface PostedEpoch {
  epoch: number
  finalAt: number
  vetoed: boolean
}

/**
 * Epochs a veto proposal may name now: posted, not vetoed, still in their challenge period (JobGovernor's
 * _vetoable). `secondsLeft` is how long the vote has to pass and be executed, which for a voting period
 * longer than that means by an early majority.
 */
export function vetoableEpochs(epochs: readonly PostedEpoch[], nowSeconds: number): Array<{ epoch: number; secondsLeft: number }> {
  return epochs.filter((e) => !e.vetoed && nowSeconds < e.finalAt).map((e) => ({ epoch: e.epoch, secondsLeft: e.finalAt - nowSeconds })).sort((a, b) => a.epoch - b.epoch)
}
