// What a wallet has earned, from the chain's epochs only: each leaf counted once, in exactly one of claimed,
// claimable (final: its challenge period over) or pending; vetoed epochs and empty leaves count for nothing.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { summariseEarnings, type EpochStanding } from './earnings.ts'

const leaf = (epoch: number, amount: bigint, cumulative: bigint) => ({ epoch, amount, cumulative, proof: [`0x${epoch.toString(16).padStart(64, '0')}` as const] })
const standing = (epoch: number, amount: bigint, cumulative: bigint, patch: Partial<EpochStanding> = {}): EpochStanding => ({ epoch, vetoed: false, finalAt: 1000 + epoch, leaf: leaf(epoch, amount, cumulative), claimed: false, ...patch })

describe('earnings from the chain', () => {
  it('is claimable from the second its root is final, pending the second before', () => {
    const epochs = [standing(1, 5n, 5n, { finalAt: 1000 })]
    expect(summariseEarnings(epochs, 999)).toEqual({ claimable: 0n, claimableEpochs: [], pending: 5n, nextFinalAt: 1000, claimed: 0n, cumulative: 5n })
    expect(summariseEarnings(epochs, 1000)).toEqual({ claimable: 5n, claimableEpochs: [leaf(1, 5n, 5n)], pending: 0n, nextFinalAt: null, claimed: 0n, cumulative: 5n })
  })

  it('counts each leaf once: claimed, claimable or pending, and lists claimable leaves oldest first', () => {
    // Out of epoch order: the running total is the latest epoch's, and claims go oldest first.
    const epochs = [standing(5, 1n, 31n, { finalAt: 2000 }), standing(3, 7n, 22n, { finalAt: 600 }), standing(1, 8n, 8n, { claimed: true, finalAt: 100 }), standing(2, 7n, 15n, { finalAt: 500 }), standing(4, 8n, 30n, { finalAt: 3000 })]
    const e = summariseEarnings(epochs, 1000)
    expect(e).toMatchObject({ claimed: 8n, claimable: 14n, pending: 9n, nextFinalAt: 2000, cumulative: 31n })
    expect(e.claimableEpochs.map((c) => c.epoch)).toEqual([2, 3])
  })

  it('leaves out vetoed epochs and epochs without a leaf for the wallet, and keeps the running total of the last leaf', () => {
    const e = summariseEarnings([standing(1, 4n, 4n), standing(2, 9n, 13n, { vetoed: true }), { epoch: 3, vetoed: false, finalAt: 0, leaf: null, claimed: false }], 10_000)
    expect(e).toEqual({ claimable: 4n, claimableEpochs: [leaf(1, 4n, 4n)], pending: 0n, nextFinalAt: null, claimed: 0n, cumulative: 4n })
  })

  it('pays nothing for a leaf that only carries a running total, but keeps that total', () => {
    const e = summariseEarnings([standing(1, 6n, 6n, { claimed: true }), standing(2, 0n, 6n)], 10_000)
    expect(e).toEqual({ claimable: 0n, claimableEpochs: [], pending: 0n, nextFinalAt: null, claimed: 6n, cumulative: 6n })
  })

  it('names the soonest of several pending epochs as the next to become final', () => {
    const e = summariseEarnings([standing(1, 1n, 1n, { finalAt: 50 }), standing(2, 1n, 2n, { finalAt: 40 }), standing(3, 1n, 3n, { finalAt: 60 })], 10)
    expect(e).toMatchObject({ pending: 3n, nextFinalAt: 40 })
  })

  it('does not wait on a pending leaf that pays nothing', () => {
    const e = summariseEarnings([standing(1, 3n, 3n, { finalAt: 50 }), standing(2, 0n, 3n, { finalAt: 90 })], 10)
    expect(e).toEqual({ claimable: 0n, claimableEpochs: [], pending: 3n, nextFinalAt: 50, claimed: 0n, cumulative: 3n })
  })

  it('splits a wallet\'s posted credit into claimed, claimable and pending with nothing counted twice (property)', () => {
    const epoch = fc.record({ amount: fc.bigInt({ min: 0n, max: 10n ** 20n }), vetoed: fc.boolean(), claimed: fc.boolean(), hasLeaf: fc.boolean(), finalAt: fc.nat(2000) })
    fc.assert(fc.property(fc.array(epoch, { maxLength: 12 }), fc.nat(2000), (drawn, now) => {
      // Cumulative totals grow by each epoch's amount, as the coordinator's roots do.
      let running = 0n
      const epochs = drawn.map((d, i): EpochStanding => {
        running += d.amount
        return { epoch: i + 1, vetoed: d.vetoed, finalAt: d.finalAt, claimed: d.claimed, leaf: d.hasLeaf ? leaf(i + 1, d.amount, running) : null }
      })
      const e = summariseEarnings([...epochs].reverse(), now)
      const counted = epochs.filter((x) => !x.vetoed && x.leaf)
      expect(e.claimed + e.claimable + e.pending).toBe(counted.reduce((sum, x) => sum + x.leaf!.amount, 0n))
      expect(e.claimable).toBe(e.claimableEpochs.reduce((sum, c) => sum + c.amount, 0n))
      expect(e.claimableEpochs.map((c) => c.epoch)).toEqual(counted.filter((x) => !x.claimed && x.finalAt <= now && x.leaf!.amount > 0n).map((x) => x.epoch))
      expect(e.claimed + e.claimable + e.pending <= running).toBe(true)
      expect(e.cumulative).toBe(counted.at(-1)?.leaf!.cumulative ?? 0n)
      const pendingAt = counted.filter((x) => !x.claimed && x.finalAt > now && x.leaf!.amount > 0n).map((x) => x.finalAt)
      expect(e.nextFinalAt).toBe(pendingAt.length === 0 ? null : Math.min(...pendingAt))
    }))
  })
})
