import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Address } from 'viem'
import { advanceEpoch, emptyEpochBook, epochBookFromJson, epochBookToJson, released, walletTotal, type EpochBook } from './epochs.ts'

const W1: Address = '0x00000000000000000000000000000000000000A1'
const W2: Address = '0x00000000000000000000000000000000000000b2'

describe('advanceEpoch', () => {
  it('releases the pool over the job\'s rounds and splits each release by that epoch\'s work', () => {
    const input = { deposited: 1000n, jobRounds: 10, dataShareBps: 2000, dataSamples: new Map([['owner', 100]]) }
    let { book } = advanceEpoch(emptyEpochBook(), { ...input, roundsClosed: 1, volunteerFlops: new Map([['a', 30], ['b', 10]]), bindings: new Map([['a', W1]]) })
    // 100 released: 80 for compute split 3:1, 20 for data.
    expect(book.wallets.get(W1)).toBe(60n)
    expect(book.waiting.get('b')).toBe(20n)
    expect(book.waiting.get('owner')).toBe(20n)
    // Next epoch only b worked; b binds to W2 and gets both epochs' earnings; a's total does not move.
    ;({ book } = advanceEpoch(book, { ...input, roundsClosed: 2, volunteerFlops: new Map([['a', 30], ['b', 20]]), bindings: new Map([['a', W1], ['b', W2]]) }))
    expect(book.wallets.get(W1)).toBe(60n)
    // b: 20 waiting + all of the compute part of the second release (the data side had no new samples).
    expect(book.wallets.get(W2)).toBe(100n)
    expect(book.waiting.has('b')).toBe(false)
    expect(book.allocated).toBe(180n)
    // The data part of round 2 was not earned; round 3 releases it again with its own.
    ;({ book } = advanceEpoch(book, { ...input, roundsClosed: 3, volunteerFlops: new Map([['a', 30], ['b', 20]]), dataSamples: new Map([['owner', 150]]), bindings: new Map() }))
    expect(book.waiting.get('owner')).toBe(20n + 24n)
  })

  it('keeps an unbound peer\'s credit waiting, and changes nothing when nobody is bound', () => {
    const { book, changed } = advanceEpoch(emptyEpochBook(), { deposited: 500n, roundsClosed: 5, jobRounds: 0, dataShareBps: 0, volunteerFlops: new Map([['a', 1]]), dataSamples: new Map(), bindings: new Map() })
    expect(changed).toBe(false)
    expect(book.waiting.get('a')).toBe(25n) // 5 of the default 100-round horizon
    expect(book.wallets.size).toBe(0)
  })

  it('round-trips through JSON', () => {
    const { book } = advanceEpoch(emptyEpochBook(), { deposited: 10n ** 30n, roundsClosed: 3, jobRounds: 4, dataShareBps: 1234, volunteerFlops: new Map([['a', 1e12]]), dataSamples: new Map([['o', 7]]), bindings: new Map([['a', W2]]) })
    expect(epochBookFromJson(JSON.parse(JSON.stringify(epochBookToJson(book))))).toEqual(book)
    expect(() => epochBookFromJson({ ...epochBookToJson(book), allocated: '-1' })).toThrow(/whole number/)
  })

  it('never lets wallet totals shrink nor pay out more than has been released (property)', () => {
    const peers = ['p0', 'p1', 'p2', 'p3']
    const wallets: Address[] = [W1, W2, '0x00000000000000000000000000000000000000c3']
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.nat(20),
        fc.array(fc.record({ work: fc.array(fc.nat(1e9), { minLength: 4, maxLength: 4 }), samples: fc.array(fc.nat(1000), { minLength: 4, maxLength: 4 }), bound: fc.array(fc.option(fc.nat(2)), { minLength: 4, maxLength: 4 }), topUp: fc.bigInt({ min: 0n, max: 10n ** 22n }) }), { minLength: 1, maxLength: 12 }),
        (deposit, dataShareBps, jobRounds, epochs) => {
          let book: EpochBook = emptyEpochBook()
          let deposited = deposit
          const flops = peers.map(() => 0)
          const samples = peers.map(() => 0)
          epochs.forEach((e, round) => {
            deposited += e.topUp
            e.work.forEach((w, i) => (flops[i]! += w))
            e.samples.forEach((s, i) => (samples[i]! += s))
            const bindings = new Map(peers.flatMap((p, i) => (e.bound[i] === null || e.bound[i] === undefined ? [] : [[p, wallets[e.bound[i]!]!] as const])))
            const before = new Map(book.wallets)
            ;({ book } = advanceEpoch(book, { deposited, roundsClosed: round + 1, jobRounds, dataShareBps, volunteerFlops: new Map(peers.map((p, i) => [p, flops[i]!])), dataSamples: new Map(peers.map((p, i) => [p, samples[i]!])), bindings }))
            for (const [w, v] of before) expect(book.wallets.get(w)! >= v).toBe(true)
            const waiting = [...book.waiting.values()].reduce((a, b) => a + b, 0n)
            expect(walletTotal(book) + waiting).toBe(book.allocated)
            expect(book.allocated <= released(deposited, round + 1, jobRounds)).toBe(true)
            expect([...book.earnedByPeer.values()].reduce((a, b) => a + b, 0n)).toBe(book.allocated)
          })
        },
      ),
    )
  })
})
