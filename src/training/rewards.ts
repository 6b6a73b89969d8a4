// A job's reward pool and how it divides: a fixed share goes to data contributors by samples that accepted
// work consumed, the rest to volunteers by verified FLOPs. Amounts are integers in the token's base units
// (wei for ETH) so that no account is ever owed a rounding error more than the pool holds.
import { DecodeError } from '../errors.ts'
import { asObject, readInteger, readString } from '../schema.ts'

export interface RewardPool {
  /** Total reward, in base units, as a decimal integer string (bigint-safe in JSON). */
  amount: string
  symbol: string
  decimals: number
  /** Share of the pool for data contributors, in basis points (0–10,000). */
  dataShareBps: number
  /** The escrow's owner: with the job's id it names the escrow on chain (absent while nothing is escrowed). */
  owner?: string
  /** The pool's ERC-20 token (absent: the chain's native currency). */
  token?: string
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/

const WHAT = 'reward pool'
export const MAX_DECIMALS = 36

export function readRewardPool(value: unknown): RewardPool {
  const obj = asObject(value, WHAT)
  const amount = readString(obj, 'amount', WHAT, 80)
  if (!/^(0|[1-9][0-9]*)$/.test(amount)) throw new DecodeError(WHAT, `"amount" must be a whole number of base units, got "${amount.slice(0, 20)}"`)
  const symbol = readString(obj, 'symbol', WHAT, 12)
  if (!/^[A-Za-z0-9.$-]{1,12}$/.test(symbol)) throw new DecodeError(WHAT, `"symbol" must be 1–12 letters or digits`)
  const pool: RewardPool = { amount, symbol, decimals: readInteger(obj, 'decimals', WHAT, 0, MAX_DECIMALS), dataShareBps: readInteger(obj, 'dataShareBps', WHAT, 0, 10_000) }
  for (const key of ['owner', 'token'] as const) {
    if (obj[key] === undefined) continue
    const address = readString(obj, key, WHAT, 42)
    if (!ADDRESS.test(address)) throw new DecodeError(WHAT, `"${key}" must be a 0x-prefixed 20-byte address`)
    pool[key] = address
  }
  return pool
}

/** "1.5" with 18 decimals → 1500000000000000000n. Throws a sentence a form can show. */
export function parseAmount(text: string, decimals: number): bigint {
  const t = text.trim()
  const match = /^([0-9]+)(?:\.([0-9]*))?$/.exec(t) ?? /^()\.([0-9]+)$/.exec(t)
  if (!match) throw new RangeError(`"${text.slice(0, 30)}" is not an amount; write it like 12 or 0.5`)
  const [, whole = '', fraction = ''] = match
  if (fraction.length > decimals) throw new RangeError(`at most ${decimals} decimal places`)
  return BigInt((whole || '0') + fraction.padEnd(decimals, '0'))
}

export function formatAmount(units: bigint, decimals: number, maxFraction = 6): string {
  const base = 10n ** BigInt(decimals)
  const whole = units / base
  const fraction = decimals === 0 ? '' : (units % base).toString().padStart(decimals, '0').slice(0, maxFraction).replace(/0+$/, '')
  return fraction ? `${whole}.${fraction}` : whole.toString()
}

/** Real-valued work (FLOPs are float64 sums) as an integer weight, exact up to 2^53. */
const weight = (x: number) => BigInt(Math.max(0, Math.floor(x)))

function divide(pool: bigint, weights: ReadonlyMap<string, number>, into: Map<string, bigint>): void {
  let total = 0n
  for (const w of weights.values()) total += weight(w)
  if (total === 0n) return
  for (const [id, w] of weights) {
    const share = (pool * weight(w)) / total
    if (share > 0n) into.set(id, (into.get(id) ?? 0n) + share)
  }
}

/**
 * Each account's share of the pool for the work recorded so far. Shares are floored, so their sum never
 * exceeds the pool; a side with no work yet leaves its part unallocated until someone earns it.
 */
export function rewardShares(pool: RewardPool, volunteers: ReadonlyMap<string, number>, dataOwners: ReadonlyMap<string, number>): Map<string, bigint> {
  return splitReward(BigInt(pool.amount), pool.dataShareBps, volunteers, dataOwners)
}

/** rewardShares for a bare amount: how an epoch's release is divided among that epoch's work. */
export function splitReward(amount: bigint, dataShareBps: number, volunteers: ReadonlyMap<string, number>, dataOwners: ReadonlyMap<string, number>): Map<string, bigint> {
  const dataPart = (amount * BigInt(dataShareBps)) / 10_000n
  const shares = new Map<string, bigint>()
  divide(amount - dataPart, volunteers, shares)
  divide(dataPart, dataOwners, shares)
  return shares
}
