// What a verdict costs a peer. A failed audit is proof of cheating: the peer is excluded at once and forfeits
// every unpaid credit it has in the job, and so does every other peer bound to the same wallet (one person's
// tabs are one identity for payment, so they are one for punishment too). Withholding audited checkpoints
// forfeits what is pending, exactly as much as the audit could have cost. Malformed submissions cost
// reputation; two in a row exclude the peer. Accepted work slowly restores reputation.
import type { CoordinatorState, PeerState } from './coordinator-state.ts'
import type { CreditsLedger } from './credits.ts'
import type { RejectionCode, Verdict } from './verdicts.ts'

export const REPUTATION = { start: 1, banBelow: 0.35, malformed: 0.5, withheld: 0.5, accepted: 0.05 }

export function newPeer(now: number): PeerState {
  return { accepted: 0, rejected: 0, reputation: REPUTATION.start, banned: false, auditsPassed: 0, auditsFailed: 0, lastSeenMs: now }
}

/** What each refusal costs: `forfeit` says which credit goes, `penalty` how much reputation. */
const COSTS: Partial<Record<RejectionCode, { penalty: number; forfeit: 'none' | 'pending' | 'all'; ban?: true }>> = {
  AUDIT_FAILED: { penalty: 1, forfeit: 'all', ban: true },
  CHECKPOINT_UNAVAILABLE: { penalty: REPUTATION.withheld, forfeit: 'pending' },
  BAD_SIGNATURE: { penalty: REPUTATION.malformed, forfeit: 'none' },
  MALFORMED_DELTA: { penalty: REPUTATION.malformed, forfeit: 'none' },
  WRONG_SHAPE: { penalty: REPUTATION.malformed, forfeit: 'none' },
  WRONG_SAMPLES: { penalty: REPUTATION.malformed, forfeit: 'none' },
  WRONG_CHECKPOINTS: { penalty: REPUTATION.malformed, forfeit: 'none' },
  NON_FINITE_LOSS: { penalty: REPUTATION.malformed, forfeit: 'none' },
}

export interface Punishment {
  /** Peers excluded by this verdict (the culprit and, after a failed audit, its wallet's other peers). */
  banned: string[]
  forfeitedFlops: number
}

/** What punishing needs of the coordinator's state (so the job log's replay can punish the same way). */
export type PunishState = Pick<CoordinatorState, 'peers' | 'bindings' | 'bannedWallets'> & { current: { round: number } }

/** Applies a rejection's cost to `peer` (and its wallet's other peers); returns who was excluded. */
export function punish(state: PunishState, ledger: CreditsLedger, peer: string, rejection: Verdict<RejectionCode>, unitId: string, now: number): Punishment {
  const cost = COSTS[rejection.code]
  const out: Punishment = { banned: [], forfeitedFlops: 0 }
  if (!cost) return out
  const record = state.peers[peer]!
  record.reputation = Math.max(0, record.reputation - cost.penalty)
  if (cost.forfeit !== 'none') out.forfeitedFlops += ledger.forfeit(peer, cost.forfeit === 'all')
  if (!cost.ban && record.reputation >= REPUTATION.banBelow) return out
  const wallet = cost.ban ? state.bindings[peer]?.wallet.toLowerCase() : undefined
  const culprits = [peer, ...(wallet === undefined ? [] : Object.entries(state.bindings).filter(([p, b]) => p !== peer && b.wallet.toLowerCase() === wallet).map(([p]) => p))]
  if (wallet !== undefined && !state.bannedWallets.includes(wallet)) state.bannedWallets.push(wallet)
  for (const p of culprits) {
    const r = (state.peers[p] ??= newPeer(now))
    if (p !== peer) out.forfeitedFlops += ledger.forfeit(p, true)
    else if (cost.forfeit !== 'all') out.forfeitedFlops += ledger.forfeit(p, false)
    if (r.banned) continue
    r.banned = true
    r.ban = { code: rejection.code, params: rejection.params, unitId, round: state.current.round, atMs: now }
    out.banned.push(p)
  }
  return out
}

export function reward(record: PeerState): void {
  record.accepted++
  record.reputation = Math.min(REPUTATION.start, record.reputation + REPUTATION.accepted)
}
