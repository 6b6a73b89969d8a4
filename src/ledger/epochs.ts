// Turning the coordinator's credits ledger into per-epoch payouts. The pool is released over the job's rounds
// (a fixed horizon for open-ended jobs), each epoch's release is split among that epoch's verified work, and
// what a peer earns waits under its peer id until a wallet is bound to it. Wallet totals only ever grow; each
// posted root pays what a wallet's total grew by since the last posted root (`posted`), so every epoch's
// amounts are reserved separately on chain and a later root can never take back an earlier one's.
import { getAddress, type Address } from 'viem'
import { DecodeError } from '../errors.ts'
import { splitReward } from '../training/rewards.ts'
import { asObject, readInteger, readNumber, readString } from '../schema.ts'

/** Open-ended jobs (rounds = 0) release their pool evenly over this many rounds. */
export const DEFAULT_HORIZON_ROUNDS = 100

export interface EpochBook {
  /** Last epoch posted on chain (0: none yet). */
  epoch: number
  /** Sum of everything allocated to peers so far, bound or not (base units). */
  allocated: bigint
  /** Work already paid for: per volunteer FLOPs and per data owner samples at the last allocation. */
  paidFlops: Map<string, number>
  paidSamples: Map<string, number>
  /** Allocated to a peer with no active binding yet: waits here, not lost. */
  waiting: Map<string, bigint>
  /** Cumulative amount per wallet. */
  wallets: Map<Address, bigint>
  /** Each wallet's cumulative amount in the last root posted: a new root's leaf pays the difference. */
  posted: Map<Address, bigint>
  /** Total each peer has earned (waiting or paid into a wallet), for peers to check their own amount. */
  earnedByPeer: Map<string, bigint>
}

export interface EpochInput {
  /** Base units deposited in the escrow (grows with top-ups). */
  deposited: bigint
  roundsClosed: number
  /** The job's round count, or 0 for open-ended. */
  jobRounds: number
  dataShareBps: number
  /** Cumulative verified FLOPs per volunteer and consumed samples per data owner (the credits ledger). */
  volunteerFlops: ReadonlyMap<string, number>
  dataSamples: ReadonlyMap<string, number>
  /** Wallet of every peer whose binding is active now. */
  bindings: ReadonlyMap<string, Address>
  /** Peers caught cheating: what waits for them goes back to the pool (what a posted root paid stays paid). */
  forfeited?: ReadonlySet<string>
}

export const emptyEpochBook = (): EpochBook => ({ epoch: 0, allocated: 0n, paidFlops: new Map(), paidSamples: new Map(), waiting: new Map(), wallets: new Map(), posted: new Map(), earnedByPeer: new Map() })

/** How much of the pool may be paid out once `roundsClosed` rounds are done. */
export function released(deposited: bigint, roundsClosed: number, jobRounds: number): bigint {
  const horizon = jobRounds > 0 ? jobRounds : DEFAULT_HORIZON_ROUNDS
  return (deposited * BigInt(Math.min(Math.max(roundsClosed, 0), horizon))) / BigInt(horizon)
}

function increments(now: ReadonlyMap<string, number>, paid: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>()
  for (const [id, total] of now) {
    const delta = total - (paid.get(id) ?? 0)
    if (delta > 0) out.set(id, delta)
  }
  return out
}

/**
 * The next epoch's book: allocates what has been released and not yet allocated to the work done since the
 * last epoch, then moves waiting amounts of bound peers into their wallets. `changed` says whether any wallet
 * total moved, i.e. whether a new root is worth posting.
 */
export function advanceEpoch(book: EpochBook, input: EpochInput): { book: EpochBook; changed: boolean } {
  const next: EpochBook = {
    epoch: book.epoch,
    allocated: book.allocated,
    paidFlops: new Map(book.paidFlops),
    paidSamples: new Map(book.paidSamples),
    waiting: new Map(book.waiting),
    wallets: new Map(book.wallets),
    posted: new Map(book.posted),
    earnedByPeer: new Map(book.earnedByPeer),
  }
  for (const peer of input.forfeited ?? []) {
    const amount = next.waiting.get(peer) ?? 0n
    if (amount === 0n) continue
    next.waiting.delete(peer)
    next.allocated -= amount
    next.earnedByPeer.set(peer, (next.earnedByPeer.get(peer) ?? 0n) - amount)
  }
  const available = released(input.deposited, input.roundsClosed, input.jobRounds) - next.allocated
  const flops = increments(input.volunteerFlops, book.paidFlops)
  const samples = increments(input.dataSamples, book.paidSamples)
  if (available > 0n) {
    // A side without new work leaves its part of `available` unallocated: the next epoch's release carries it.
    const shares = splitReward(available, input.dataShareBps, flops, samples)
    for (const [peer, amount] of shares) {
      next.waiting.set(peer, (next.waiting.get(peer) ?? 0n) + amount)
      next.earnedByPeer.set(peer, (next.earnedByPeer.get(peer) ?? 0n) + amount)
      next.allocated += amount
    }
    // Work since the last epoch has now had its split of the release, whatever the floors left it.
    for (const [id, total] of input.volunteerFlops) next.paidFlops.set(id, total)
    for (const [id, total] of input.dataSamples) next.paidSamples.set(id, total)
  }
  for (const [peer, amount] of next.waiting) {
    const wallet = input.bindings.get(peer)
    if (wallet === undefined || amount === 0n) continue
    const key = getAddress(wallet)
    next.wallets.set(key, (next.wallets.get(key) ?? 0n) + amount)
    next.waiting.delete(peer)
  }
  return { book: next, changed: unposted(next) > 0n }
}

/** What wallets gained since the last posted root: the next root's reservation. */
export function unposted(book: EpochBook): bigint {
  let sum = 0n
  for (const [wallet, amount] of book.wallets) sum += amount - (book.posted.get(wallet) ?? 0n)
  return sum
}

export const walletTotal = (book: EpochBook) => [...book.wallets.values()].reduce((a, b) => a + b, 0n)

/** The book after its root was posted: every wallet's posted amount is its cumulative now. */
export const markPosted = (book: EpochBook, epoch: number): EpochBook => ({ ...book, epoch, posted: new Map(book.wallets) })

export interface EpochBookJson {
  epoch: number
  allocated: string
  paidFlops: Record<string, number>
  paidSamples: Record<string, number>
  waiting: Record<string, string>
  wallets: Record<string, string>
  posted: Record<string, string>
  earnedByPeer: Record<string, string>
}

const big = (m: Map<string, bigint>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toString()]))

export function epochBookToJson(book: EpochBook): EpochBookJson {
  return { epoch: book.epoch, allocated: book.allocated.toString(), paidFlops: Object.fromEntries(book.paidFlops), paidSamples: Object.fromEntries(book.paidSamples), waiting: big(book.waiting), wallets: big(book.wallets), posted: big(book.posted), earnedByPeer: big(book.earnedByPeer) }
}

const WHAT = 'epoch book'
const readBig = (obj: Record<string, unknown>, key: string) => {
  const text = readString(obj, key, WHAT, 80)
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new DecodeError(WHAT, `"${key}" must be a whole number`)
  return BigInt(text)
}

export function epochBookFromJson(value: unknown): EpochBook {
  const obj = asObject(value, WHAT)
  const numbers = (key: string) => {
    const map = asObject(obj[key], WHAT)
    return new Map(Object.keys(map).map((id) => [id, readNumber(map, id, WHAT, 0)]))
  }
  const bigs = (key: string) => {
    const map = asObject(obj[key], WHAT)
    return new Map(Object.keys(map).map((id) => [id, readBig(map, id)]))
  }
  const addressed = (key: string) => new Map([...bigs(key)].map(([wallet, amount]) => [getAddress(wallet), amount]))
  // Books written before per-epoch reservations had no "posted": every wallet was paid in full by its root.
  const wallets = addressed('wallets')
  const posted = obj.posted === undefined ? new Map(wallets) : addressed('posted')
  return { epoch: readInteger(obj, 'epoch', WHAT), allocated: readBig(obj, 'allocated'), paidFlops: numbers('paidFlops'), paidSamples: numbers('paidSamples'), waiting: bigs('waiting'), wallets, posted, earnedByPeer: bigs('earnedByPeer') }
}
