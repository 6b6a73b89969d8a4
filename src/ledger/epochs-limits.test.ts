// The epoch book at its edges: the release schedule at and past its horizon, forfeits, an epoch with nothing
// new to release, wallets that grow over several epochs, and a saved book that does not decode. Every amount
// here is worked out by hand, so a changed operator or a dropped check shows as a wrong number.
import { describe, expect, it } from 'vitest'
import type { Address } from 'viem'
import { DecodeError } from '../errors.ts'
import { advanceEpoch, DEFAULT_HORIZON_ROUNDS, emptyEpochBook, epochBookFromJson, epochBookToJson, markPosted, released, unposted, walletTotal, type EpochBook, type EpochInput } from './epochs.ts'

// Checksummed as getAddress writes them, so they equal the book's keys.
const W1: Address = '0x00000000000000000000000000000000000000A1'
const W2: Address = '0x00000000000000000000000000000000000000b2'

const input = (over: Partial<EpochInput>): EpochInput => ({ deposited: 1000n, roundsClosed: 1, jobRounds: 10, dataShareBps: 0, volunteerFlops: new Map(), dataSamples: new Map(), bindings: new Map(), ...over })

describe('released', () => {
  it('releases the pool linearly over the job\'s rounds, none before the first and all of it from the last on', () => {
    expect(released(1000n, 0, 10)).toBe(0n)
    expect(released(1000n, 1, 10)).toBe(100n)
    expect(released(1000n, 9, 10)).toBe(900n)
    expect(released(1000n, 10, 10)).toBe(1000n)
    // Rounds past the job's count never release more than was deposited.
    expect(released(1000n, 11, 10)).toBe(1000n)
    // A negative count (a corrupt log) releases nothing rather than taking back.
    expect(released(1000n, -1, 10)).toBe(0n)
  })

  it('floors each release, so what is released never exceeds the deposit', () => {
    expect(released(10n, 1, 3)).toBe(3n)
    expect(released(10n, 2, 3)).toBe(6n)
    expect(released(10n, 3, 3)).toBe(10n)
  })

  it('spreads an open-ended job\'s pool over the default horizon of 100 rounds', () => {
    expect(DEFAULT_HORIZON_ROUNDS).toBe(100)
    expect(released(1000n, 3, 0)).toBe(30n)
    expect(released(1000n, 100, 0)).toBe(1000n)
    expect(released(1000n, 150, 0)).toBe(1000n)
    // A job of one round releases everything at once, not over the default horizon.
    expect(released(1000n, 1, 1)).toBe(1000n)
  })
})

describe('advanceEpoch at its edges', () => {
  it('returns what a forfeited peer was waiting for to the pool, and leaves what was paid into a wallet alone', () => {
    // Epoch 1: 100 released, a (bound) and b (unbound) did equal work.
    const first = advanceEpoch(emptyEpochBook(), input({ volunteerFlops: new Map([['a', 1], ['b', 1]]), bindings: new Map([['a', W1]]) })).book
    expect(first.wallets.get(W1)).toBe(50n)
    expect(first.waiting.get('b')).toBe(50n)
    // Both are caught cheating, and so is a peer the book never heard of; no new round closed.
    const { book, changed } = advanceEpoch(first, input({ volunteerFlops: new Map([['a', 1], ['b', 1]]), bindings: new Map([['a', W1]]), forfeited: new Set(['b', 'a', 'ghost']) }))
    expect(book.waiting.has('b')).toBe(false)
    expect(book.allocated).toBe(50n)
    expect(book.earnedByPeer.get('b')).toBe(0n)
    // a's 50 were already in its wallet: a forfeit cannot take them back.
    expect(book.wallets.get(W1)).toBe(50n)
    expect(book.earnedByPeer.get('a')).toBe(50n)
    expect(book.earnedByPeer.has('ghost')).toBe(false)
    expect(changed).toBe(true)
    // The next epoch's new work is paid from the returned 50 (nothing new was released).
    const third = advanceEpoch(book, input({ volunteerFlops: new Map([['a', 1], ['b', 1], ['c', 1]]) })).book
    expect(third.waiting.get('c')).toBe(50n)
    expect(third.allocated).toBe(100n)
    // The caller's book is never changed in place.
    expect(first.waiting.get('b')).toBe(50n)
    expect(first.allocated).toBe(100n)
  })

  it('does not count work as paid in an epoch that released nothing new, so a later release pays it', () => {
    const first = advanceEpoch(emptyEpochBook(), input({ volunteerFlops: new Map([['a', 1]]) })).book
    expect(first.waiting.get('a')).toBe(100n)
    expect(first.paidFlops.get('a')).toBe(1)
    // Same round count: nothing is available, so a's and b's new work waits for the next release.
    const idle = advanceEpoch(first, input({ volunteerFlops: new Map([['a', 3], ['b', 1]]), dataSamples: new Map([['o', 5]]) }))
    expect(idle.changed).toBe(false)
    expect(idle.book.allocated).toBe(100n)
    expect(idle.book.paidFlops).toEqual(new Map([['a', 1]]))
    expect(idle.book.paidSamples.size).toBe(0)
    // Round 2 releases 100 more, split 2:1 by the work since epoch 1 (floored: 66 + 33).
    const next = advanceEpoch(idle.book, input({ roundsClosed: 2, volunteerFlops: new Map([['a', 3], ['b', 1]]) })).book
    expect(next.waiting).toEqual(new Map([['a', 166n], ['b', 33n]]))
    expect(next.earnedByPeer).toEqual(new Map([['a', 166n], ['b', 33n]]))
    expect(next.allocated).toBe(199n)
    expect(next.paidFlops).toEqual(new Map([['a', 3], ['b', 1]]))
  })

  it('pays nothing for a work total that went down (a ledger restored from an older checkpoint): credit is never negative', () => {
    let { book } = advanceEpoch(emptyEpochBook(), input({ roundsClosed: 1, volunteerFlops: new Map([['a', 30]]) }))
    expect(book.waiting.get('a')).toBe(100n)
    // a's total now reads 20, below the 30 already paid; b did 30 new. All of the release is b's.
    ;({ book } = advanceEpoch(book, input({ roundsClosed: 2, volunteerFlops: new Map([['a', 20], ['b', 30]]) })))
    expect(book.waiting.get('a')).toBe(100n)
    expect(book.waiting.get('b')).toBe(100n)
    expect(book.allocated).toBe(200n)
  })

  it('adds each epoch to a wallet\'s running total, one wallet however its address is cased', () => {
    const lower = W1.toLowerCase() as Address
    const first = advanceEpoch(emptyEpochBook(), input({ volunteerFlops: new Map([['a', 1], ['b', 3]]), bindings: new Map([['a', lower], ['b', W1]]) })).book
    expect(first.wallets).toEqual(new Map([[W1, 100n]]))
    const second = advanceEpoch(first, input({ roundsClosed: 2, volunteerFlops: new Map([['a', 2], ['b', 3]]), bindings: new Map([['a', W1], ['b', W1]]) }))
    expect(second.book.wallets).toEqual(new Map([[W1, 200n]]))
    expect(second.book.earnedByPeer).toEqual(new Map([['a', 125n], ['b', 75n]]))
    expect(second.book.waiting.size).toBe(0)
    expect(second.changed).toBe(true)
  })

  it('pays data owners their share of each release by the samples consumed since the last epoch', () => {
    const first = advanceEpoch(emptyEpochBook(), input({ dataShareBps: 2500, volunteerFlops: new Map([['v', 1]]), dataSamples: new Map([['o1', 30], ['o2', 10]]) })).book
    expect(first.waiting).toEqual(new Map([['v', 75n], ['o1', 18n], ['o2', 6n]]))
    expect(first.paidSamples).toEqual(new Map([['o1', 30], ['o2', 10]]))
    // Round 2 splits 101 (its 100 and the 1 round 1's floors left): 25 for data, all to o2, the only owner
    // whose samples grew, and 76 for compute.
    const second = advanceEpoch(first, input({ roundsClosed: 2, dataShareBps: 2500, volunteerFlops: new Map([['v', 2]]), dataSamples: new Map([['o1', 30], ['o2', 20]]) })).book
    expect(second.waiting).toEqual(new Map([['v', 151n], ['o1', 18n], ['o2', 31n]]))
    expect(second.allocated).toBe(200n)
  })

  it('leaves a zero waiting entry where it is, and posts nothing for it', () => {
    const book: EpochBook = { ...emptyEpochBook(), waiting: new Map([['z', 0n]]) }
    const { book: next, changed } = advanceEpoch(book, input({ deposited: 0n, bindings: new Map([['z', W2]]) }))
    expect(next.wallets.size).toBe(0)
    expect(next.waiting.get('z')).toBe(0n)
    expect(changed).toBe(false)
  })

  it('has nothing to post once a root holds every wallet\'s total', () => {
    const first = advanceEpoch(emptyEpochBook(), input({ volunteerFlops: new Map([['a', 1]]), bindings: new Map([['a', W1]]) })).book
    const again = advanceEpoch(markPosted(first, 1), input({ volunteerFlops: new Map([['a', 1]]), bindings: new Map([['a', W1]]) }))
    expect(again.changed).toBe(false)
    expect(again.book.epoch).toBe(1)
  })
})

describe('what the next root reserves', () => {
  const book: EpochBook = { ...emptyEpochBook(), wallets: new Map([[W1, 100n], [W2, 30n]]), posted: new Map([[W1, 60n]]) }

  it('is what each wallet gained since the last posted root, summed', () => {
    expect(unposted(book)).toBe(70n)
    expect(walletTotal(book)).toBe(130n)
    expect(walletTotal(emptyEpochBook())).toBe(0n)
    expect(unposted(emptyEpochBook())).toBe(0n)
  })

  it('is nothing once the root is posted, which records the epoch and leaves the old book as it was', () => {
    const posted = markPosted(book, 4)
    expect(posted.epoch).toBe(4)
    expect(posted.posted).toEqual(new Map([[W1, 100n], [W2, 30n]]))
    expect(posted.wallets).toEqual(book.wallets)
    expect(unposted(posted)).toBe(0n)
    expect(book.posted).toEqual(new Map([[W1, 60n]]))
  })

  it('starts empty', () => {
    expect(emptyEpochBook()).toEqual({ epoch: 0, allocated: 0n, paidFlops: new Map(), paidSamples: new Map(), waiting: new Map(), wallets: new Map(), posted: new Map(), earnedByPeer: new Map() })
  })
})

describe('epoch book JSON', () => {
  const book: EpochBook = {
    epoch: 2,
    allocated: 135n,
    paidFlops: new Map([['a', 1.5]]),
    paidSamples: new Map([['o', 7]]),
    waiting: new Map([['b', 5n]]),
    wallets: new Map([[W1, 100n], [W2, 30n]]),
    posted: new Map([[W1, 60n]]),
    earnedByPeer: new Map([['a', 130n], ['b', 5n]]),
  }
  const json = (): Record<string, unknown> => ({ ...epochBookToJson(book) })
  const decodeError = (value: unknown) => {
    try {
      epochBookFromJson(value)
    } catch (error) {
      expect(error).toBeInstanceOf(DecodeError)
      return (error as DecodeError).message
    }
    throw new Error('decoded')
  }

  it('writes amounts as decimal strings and work as numbers, and reads back the same book', () => {
    expect(epochBookToJson(book)).toEqual({ epoch: 2, allocated: '135', paidFlops: { a: 1.5 }, paidSamples: { o: 7 }, waiting: { b: '5' }, wallets: { [W1]: '100', [W2]: '30' }, posted: { [W1]: '60' }, earnedByPeer: { a: '130', b: '5' } })
    expect(epochBookFromJson(JSON.parse(JSON.stringify(epochBookToJson(book))))).toEqual(book)
  })

  it('reads a book saved before per-epoch reservations as fully posted', () => {
    const legacy = json()
    delete legacy.posted
    expect(epochBookFromJson(legacy).posted).toEqual(new Map([[W1, 100n], [W2, 30n]]))
  })

  it('checksums wallet addresses, so a hand-edited book still names the same wallets', () => {
    const decoded = epochBookFromJson({ ...json(), wallets: { [W1.toLowerCase()]: '100' }, posted: { [W1.toLowerCase()]: '60' } })
    expect(decoded.wallets).toEqual(new Map([[W1, 100n]]))
    expect(decoded.posted).toEqual(new Map([[W1, 60n]]))
  })

  it('accepts whole numbers up to 80 digits', () => {
    for (const text of ['0', '9', '10', '100', '9'.repeat(80)]) expect(epochBookFromJson({ ...json(), allocated: text }).allocated).toBe(BigInt(text))
  })

  it('refuses an amount that is not a plain whole number, naming the field', () => {
    for (const text of ['-1', '01', '00', '1.5', '1e3', '0x10', ' 1', '1 ', '1x', 'x1', '']) expect(decodeError({ ...json(), allocated: text }), text).toBe('epoch book: "allocated" must be a whole number')
    expect(decodeError({ ...json(), allocated: '9'.repeat(81) })).toBe('epoch book: "allocated" is longer than 80 characters')
    expect(decodeError({ ...json(), allocated: 5 })).toBe('epoch book: "allocated" must be a string')
    expect(decodeError({ ...json(), waiting: { b: '-5' } })).toBe('epoch book: "b" must be a whole number')
    expect(decodeError({ ...json(), earnedByPeer: { a: '1.0' } })).toBe('epoch book: "a" must be a whole number')
    expect(decodeError({ ...json(), posted: { [W1]: '01' } })).toBe(`epoch book: "${W1}" must be a whole number`)
  })

  it('refuses negative work, a negative or fractional epoch, and missing tables', () => {
    expect(decodeError({ ...json(), paidFlops: { a: -1 } })).toBe('epoch book: "a" must be between 0 and Infinity')
    expect(decodeError({ ...json(), paidSamples: { o: '7' } })).toBe('epoch book: "o" must be a finite number')
    expect(decodeError({ ...json(), epoch: -1 })).toBe('epoch book: "epoch" must be between 0 and 9007199254740991')
    expect(decodeError({ ...json(), epoch: 1.5 })).toBe('epoch book: "epoch" must be an integer')
    expect(decodeError({ ...json(), wallets: undefined })).toBe('epoch book: expected an object')
    expect(decodeError({ ...json(), posted: null })).toBe('epoch book: expected an object')
    expect(decodeError([])).toBe('epoch book: expected an object')
  })
})
