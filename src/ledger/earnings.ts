// What a wallet has earned in one job, from the chain and the epoch trees only: one computation that the
// Volunteer and Ledger pages both show, so they agree to the wei. Credit counts once a root holding it is posted
// on chain; it is claimable once that root is final (its challenge period over, not vetoed), pending before.
// Nothing here is an estimate from an announced pool: an unescrowed job has no earnings, only recorded work.
import type { Claim } from './epoch-tree.ts'

/** One posted epoch as it stands on chain, and this wallet's leaf in its tree. */
export interface EpochStanding {
  epoch: number
  vetoed: boolean
  /** When the root's challenge period ends (unix seconds). */
  finalAt: number
  /** This wallet's leaf (null: the tree has none for it). */
  leaf: Claim | null
  /** Whether this wallet already claimed this epoch's leaf. */
  claimed: boolean
}

export interface Earnings {
  /** Final, unclaimed leaves: what a claim pays now. */
  claimable: bigint
  /** The leaves a claim sends (claimMany), oldest first. */
  claimableEpochs: Claim[]
  /** Posted but still in their challenge period: claimable from `nextFinalAt` unless vetoed. */
  pending: bigint
  nextFinalAt: number | null
  /** Already paid to the wallet. */
  claimed: bigint
  /** The wallet's running total in the latest standing root (what governance weighs its votes by once final). */
  cumulative: bigint
}

export function summariseEarnings(epochs: readonly EpochStanding[], nowSeconds: number): Earnings {
  const out: Earnings = { claimable: 0n, claimableEpochs: [], pending: 0n, nextFinalAt: null, claimed: 0n, cumulative: 0n }
  for (const e of [...epochs].sort((a, b) => a.epoch - b.epoch)) {
    if (e.vetoed || !e.leaf) continue
    out.cumulative = e.leaf.cumulative
    if (e.leaf.amount === 0n) continue
    if (e.claimed) out.claimed += e.leaf.amount
    else if (nowSeconds >= e.finalAt) {
      out.claimable += e.leaf.amount
      out.claimableEpochs.push(e.leaf)
    } else {
      out.pending += e.leaf.amount
      out.nextFinalAt = out.nextFinalAt === null ? e.finalAt : Math.min(out.nextFinalAt, e.finalAt)
    }
  }
  return out
}
