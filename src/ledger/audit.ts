// Recomputing a job's epoch roots from its job log, and comparing them with what the chain holds: the pure half
// of an audit (src/roles/job-audit.ts fetches the records and checks the signatures). Each standing epoch's book
// is the previous one advanced once, by the same rules the coordinator runs (advanceEpoch), with the credits a
// replay of the round records gives (replayLedger) at the epoch's ledger position; its leaves hash to the root
// the chain must hold. Where they differ, the first differing leaf is named.
//
// Boundary: ledger imports training's job-log replays (whole-model rounds and staged rounds) here, and only here. The audit has to run exactly the
// coordinator's crediting rules, so it reuses them instead of restating them.
import { getAddress, type Address, type Hex } from 'viem'
import { replayLedger, type EpochRecord, type RoundRecord } from '../training/job-log.ts'
import { replayStageLedger, type StageRoundRecord } from '../training/stage-log.ts'
import { bindingActive } from './binding.ts'
import { buildEpochTree, epochLeaves, type EpochDocument } from './epoch-tree.ts'
import { advanceEpoch, markPosted, type EpochBook } from './epochs.ts'

export type AuditCode =
  | 'LOG_UNAVAILABLE'
  | 'BAD_LOG_SIGNATURE'
  | 'BAD_RECORD'
  | 'WRONG_COORDINATOR'
  | 'BROKEN_CHAIN'
  | 'ROUND_ORDER'
  | 'RECORD_MISMATCH'
  | 'BAD_SECRET'
  | 'BAD_RESULT_SIGNATURE'
  | 'BAD_COMMITMENT'
  | 'AUDIT_SKIPPED'
  | 'BAD_STEPS'
  | 'BAD_STAGE_WORK'
  | 'BAD_MANIFEST'
  | 'BAD_BINDING'
  | 'TREE_UNAVAILABLE'
  | 'TREE_MISMATCH'
  | 'BAD_DEPLOYMENT'
  | 'ROOT_MISMATCH'
  | 'LEAF_MISMATCH'

export interface LeafValue {
  amount: bigint
  cumulative: bigint
}

export interface Finding {
  code: AuditCode
  message: string
  epoch?: number
  round?: number
  /** For LEAF_MISMATCH: the wallet, what the log says its leaf must be and what the posted tree says (null: no leaf). */
  wallet?: Address
  expected?: LeafValue | null
  posted?: LeafValue | null
}

/** What the chain holds for one epoch. */
export interface ChainEpoch {
  epoch: number
  root: Hex
  amount: bigint
  cumulative: bigint
  postedAt: bigint
  vetoed: boolean
  treeCid: string
  logCid: string
}

export interface RecomputedEpoch {
  /** The book after this epoch (posted): the next epoch starts from it. */
  book: EpochBook
  leaves: Map<Address, LeafValue>
  root: Hex | null
  amount: bigint
  cumulative: bigint
}

/** The credits and the peers that forfeit what waits for them, as of an epoch, from the job's round records. */
function creditsAt(record: EpochRecord, rounds: ReadonlyArray<RoundRecord | StageRoundRecord>) {
  const staged = rounds.filter((r): r is StageRoundRecord => r.kind === 'stage-round')
  if (staged.length > 0) {
    // A staged job's epoch counts every round closed before it; every exclusion there is a failed audit.
    const { ledger, banned } = replayStageLedger(staged, record.ledgerSeq)
    return { ledger, forfeited: new Set(banned.keys()) }
  }
  const { ledger, banned } = replayLedger(rounds.filter((r): r is RoundRecord => r.kind === 'round'), record.bindings, record.ledgerSeq)
  return { ledger, forfeited: new Set([...banned].flatMap(([peer, code]) => (code === 'AUDIT_FAILED' ? [peer] : []))) }
}

/** One step of the coordinator's settlement, from the log alone. */
export function recomputeEpoch(previous: EpochBook, record: EpochRecord, rounds: ReadonlyArray<RoundRecord | StageRoundRecord>): RecomputedEpoch {
  const { ledger, forfeited } = creditsAt(record, rounds)
  const bindings = new Map<string, Address>()
  // Every binding the coordinator held when it closed the epoch routes credit while it has not expired, as in
  // the settlement host (a binding made during the round counts from this epoch on).
  for (const b of record.bindings) {
    if (bindingActive({ job: record.job, peer: b.peer, wallet: b.wallet as Address, expiry: b.expiry }, record.nowSeconds)) bindings.set(b.peer, getAddress(b.wallet))
  }
  const { book } = advanceEpoch(previous, {
    deposited: BigInt(record.deposited),
    roundsClosed: record.roundsClosed,
    jobRounds: record.jobRounds,
    dataShareBps: record.dataShareBps,
    volunteerFlops: new Map([...ledger.allVolunteers()].map(([peer, c]) => [peer, c.flops])),
    dataSamples: new Map([...ledger.allDataOwners()].map(([owner, c]) => [owner, c.samples])),
    bindings,
    forfeited,
  })
  const leaves = new Map(epochLeaves(book).map((l) => [l.wallet, { amount: l.amount, cumulative: l.cumulative }]))
  const tree = leaves.size > 0 ? buildEpochTree(book) : null
  return { book: markPosted(book, record.epoch), leaves, root: tree?.root ?? null, amount: tree?.amount ?? 0n, cumulative: tree?.cumulative ?? 0n }
}


/** The wallet → leaf map of a published tree. */
export function postedLeaves(doc: EpochDocument): Map<Address, LeafValue> {
  const out = new Map<Address, LeafValue>()
  for (const entry of doc.tree.values) {
    const [wallet, amount, cumulative] = entry.value as [string, string, string]
    out.set(getAddress(wallet), { amount: BigInt(amount), cumulative: BigInt(cumulative) })
  }
  return out
}

const sameLeaf = (a: LeafValue | undefined, b: LeafValue | undefined) => a?.amount === b?.amount && a?.cumulative === b?.cumulative

/**
 * Compares a recomputed epoch with the chain and the published tree. An honest epoch gives no finding; a
 * doctored one gives the first differing leaf (in wallet order), or says the root or totals differ.
 */
export function compareEpoch(expected: RecomputedEpoch, chain: ChainEpoch, posted: EpochDocument | null): Finding[] {
  const epoch = chain.epoch
  if (expected.root === chain.root && expected.amount === chain.amount && expected.cumulative === chain.cumulative) return []
  const findings: Finding[] = []
  if (posted) {
    const leaves = postedLeaves(posted)
    const wallets = [...new Set([...expected.leaves.keys(), ...leaves.keys()])].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))
    for (const wallet of wallets) {
      const want = expected.leaves.get(wallet)
      const got = leaves.get(wallet)
      if (sameLeaf(want, got)) continue
      const describe = (v: LeafValue | undefined) => (v ? `${v.amount} (running total ${v.cumulative})` : 'no leaf')
      findings.push({
        code: 'LEAF_MISMATCH', epoch, wallet, expected: want ?? null, posted: got ?? null,
        message: `epoch ${epoch}: the posted tree pays ${wallet} ${describe(got)}, but the job log gives ${describe(want)}`,
      })
    }
  }
  if (expected.amount !== chain.amount || expected.cumulative !== chain.cumulative) {
    findings.push({ code: 'ROOT_MISMATCH', epoch, message: `epoch ${epoch}: the chain reserves ${chain.amount} (running total ${chain.cumulative}); the job log gives ${expected.amount} (running total ${expected.cumulative})` })
  }
  if (findings.length === 0) findings.push({ code: 'ROOT_MISMATCH', epoch, message: `epoch ${epoch}: the chain's root ${chain.root} is not the root of the leaves the job log gives (${expected.root ?? 'no leaves'})` })
  return findings
}
