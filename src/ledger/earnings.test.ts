// What a wallet has earned, from the chain's epochs only: each leaf counted once, in exactly one of claimed,
// claimable (final: its challenge period over) or pending; vetoed epochs and empty leaves count for nothing.
import { describe, expect, it } from 'vitest'
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
})
