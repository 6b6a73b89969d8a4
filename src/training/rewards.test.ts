import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { formatAmount, parseAmount, readRewardPool, rewardShares, type RewardPool } from './rewards.ts'

const pool = (amount: bigint, dataShareBps = 2000): RewardPool => ({ amount: amount.toString(), symbol: 'ETH', decimals: 18, dataShareBps })

describe('amounts', () => {
  it('parses and formats decimal amounts exactly', () => {
    expect(parseAmount('1.5', 18)).toBe(1_500_000_000_000_000_000n)
    expect(parseAmount('.25', 2)).toBe(25n)
    expect(parseAmount(' 12 ', 0)).toBe(12n)
    expect(formatAmount(1_500_000_000_000_000_000n, 18)).toBe('1.5')
    expect(formatAmount(1n, 18)).toBe('0')
    expect(formatAmount(123n, 0)).toBe('123')
    expect(() => parseAmount('1.234', 2)).toThrow(/at most 2 decimal places/)
    expect(() => parseAmount('-1', 18)).toThrow(/is not an amount/)
    expect(() => parseAmount('1e3', 18)).toThrow(/is not an amount/)
  })

  it('round-trips any amount with full precision', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 0, max: 24 }), (units, decimals) => {
      expect(parseAmount(formatAmount(units, decimals, decimals), decimals)).toBe(units)
    }))
  })

  it('names the amount and the text it could not read, cut to 30 characters', () => {
    expect(() => parseAmount('x'.repeat(40), 18)).toThrow(new RangeError(`"${'x'.repeat(30)}" is not an amount; write it like 12 or 0.5`))
    expect(parseAmount('1000', 0)).toBe(1000n)
    expect(parseAmount('0.000001', 6)).toBe(1n)
  })

  it('takes only whole base units of any size as a pool amount, and quotes a bad one cut to 20 characters', () => {
    for (const amount of ['0', '7', '1000', '123456789012345678901234567890']) expect(readRewardPool({ ...pool(0n), amount }).amount).toBe(amount)
    for (const amount of ['01', '-1', '1 ', '', '1e3']) expect(() => readRewardPool({ ...pool(0n), amount }), amount).toThrow(`reward pool: "amount" must be a whole number of base units, got "${amount}"`)
    expect(() => readRewardPool({ ...pool(0n), amount: '9'.repeat(30) + 'x' })).toThrow(`reward pool: "amount" must be a whole number of base units, got "${'9'.repeat(20)}"`)
  })

  it('takes a symbol of 1–12 letters, digits, ".", "$" or "-", with nothing before or after', () => {
    for (const symbol of ['E', 'USDC.e', 'A$-9', 'ABCDEFGHIJKL']) expect(readRewardPool({ ...pool(0n), symbol }).symbol).toBe(symbol)
    for (const symbol of ['', '<ETH', 'ETH>', 'E TH']) expect(() => readRewardPool({ ...pool(0n), symbol }), symbol).toThrow('reward pool: "symbol" must be 1–12 letters or digits')
  })

  it('keeps an owner and a token only as exact 0x-prefixed 20-byte addresses, and leaves them out when absent', () => {
    const address = '0x' + 'aB3'.repeat(13) + 'f'
    expect(readRewardPool({ ...pool(5n), owner: address, token: address.toLowerCase() })).toEqual({ ...pool(5n), owner: address, token: address.toLowerCase() })
    expect(readRewardPool(pool(5n))).not.toHaveProperty('owner')
    expect(readRewardPool({ ...pool(5n), owner: address })).not.toHaveProperty('token')
    for (const key of ['owner', 'token']) {
      for (const bad of ['1' + address.slice(1), address.slice(0, 41) + 'g', address.slice(0, 41), '0x' + 'g'.repeat(40), 'x' + address.slice(0, 41)]) {
        expect(() => readRewardPool({ ...pool(5n), [key]: bad }), `${key} ${bad}`).toThrow(`reward pool: "${key}" must be a 0x-prefixed 20-byte address`)
      }
    }
  })

  it('decodes a pool strictly', () => {
    expect(readRewardPool(pool(10n))).toEqual(pool(10n))
    expect(() => readRewardPool({ ...pool(10n), amount: '1.5' })).toThrow(/whole number/)
    expect(() => readRewardPool({ ...pool(10n), dataShareBps: 10_001 })).toThrow(/dataShareBps/)
    expect(() => readRewardPool({ ...pool(10n), symbol: '<script>' })).toThrow(/symbol/)
  })
})

describe('rewardShares', () => {
  it('splits by FLOPs and samples with the data share set aside', () => {
    const shares = rewardShares(pool(1000n, 2000), new Map([['a', 3e9], ['b', 1e9]]), new Map([['d', 500]]))
    expect(shares.get('a')).toBe(600n)
    expect(shares.get('b')).toBe(200n)
    expect(shares.get('d')).toBe(200n)
  })

  it('an account that is both volunteer and data owner gets both parts', () => {
    const shares = rewardShares(pool(100n, 5000), new Map([['a', 1]]), new Map([['a', 1]]))
    expect(shares.get('a')).toBe(100n)
  })

  it('never allocates more than the pool, and more work never earns less', () => {
    const work = fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.double({ min: 0, max: 1e15, noNaN: true }), { maxKeys: 20 })
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.integer({ min: 0, max: 10_000 }), work, work, (amount, bps, v, d) => {
      const shares = rewardShares(pool(amount, bps), new Map(Object.entries(v)), new Map(Object.entries(d)))
      const total = [...shares.values()].reduce((a, b) => a + b, 0n)
      expect(total <= amount).toBe(true)
      for (const s of shares.values()) expect(s > 0n).toBe(true)
      const [first] = Object.keys(v)
      if (first !== undefined) {
        const more = rewardShares(pool(amount, bps), new Map(Object.entries({ ...v, [first]: v[first]! * 2 + 1e6 })), new Map(Object.entries(d)))
        expect((more.get(first) ?? 0n) >= (shares.get(first) ?? 0n)).toBe(true)
      }
    }))
  })
})
