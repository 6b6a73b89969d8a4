// Comparing a recomputed epoch with the chain and the published tree, without a chain: an honest epoch gives no
// finding; a doctored one names every differing leaf in wallet order (an extra leaf, a missing one, a changed
// amount or running total), then a reservation that differs, and a root that differs when nothing else does.
// The whole audit against anvil is src/roles/job-audit.test.ts.
import { describe, expect, it } from 'vitest'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { getAddress, type Address, type Hex } from 'viem'
import { compareEpoch, postedLeaves, type ChainEpoch, type LeafValue, type RecomputedEpoch } from './audit.ts'
import { LEAF_ENCODING, type EpochDocument } from './epoch-tree.ts'
import { emptyEpochBook } from './epochs.ts'

const A = getAddress('0x00000000000000000000000000000000000000aa')
const B = getAddress('0x00000000000000000000000000000000000000bb')
const C = getAddress('0x00000000000000000000000000000000000000cc')

function tree(leaves: Array<[Address, bigint, bigint]>) {
  const t = StandardMerkleTree.of(leaves.map(([w, a, c]): [string, string, string] => [w.toLowerCase(), a.toString(), c.toString()]), LEAF_ENCODING)
  const amount = leaves.reduce((s, [, a]) => s + a, 0n)
  const cumulative = leaves.reduce((s, [, , c]) => s + c, 0n)
  const doc: EpochDocument = { job: 'j', chainId: 31337, escrow: A, epoch: 2, root: t.root as Hex, amount, cumulative, logCid: 'log', tree: t.dump(), peers: [] }
  const recomputed: RecomputedEpoch = { book: emptyEpochBook(), leaves: new Map(leaves.map(([w, a, c]) => [w, { amount: a, cumulative: c }])), root: t.root as Hex, amount, cumulative }
  const chain: ChainEpoch = { epoch: 2, root: t.root as Hex, amount, cumulative, postedAt: 1n, vetoed: false, treeCid: 'tree', logCid: 'log' }
  return { doc, recomputed, chain }
}

// The log's leaves out of wallet order, so the findings' order comes from sorting.
const honest = tree([[B, 3n, 3n], [A, 5n, 10n]])
const leafOf = (v: LeafValue) => v

describe('comparing an epoch with the chain', () => {
  it('reads a published tree\'s leaves by checksummed wallet', () => {
    expect(postedLeaves(honest.doc)).toEqual(new Map([[A, leafOf({ amount: 5n, cumulative: 10n })], [B, { amount: 3n, cumulative: 3n }]]))
  })

  it('finds nothing in an honest epoch, even without the published tree', () => {
    expect(compareEpoch(honest.recomputed, honest.chain, honest.doc)).toEqual([])
    expect(compareEpoch(honest.recomputed, honest.chain, null)).toEqual([])
  })

  it('names each doctored leaf in wallet order: a changed amount, a changed running total, an extra leaf', () => {
    const posted = tree([[C, 9n, 9n], [A, 6n, 10n], [B, 3n, 4n]])
    const findings = compareEpoch(honest.recomputed, posted.chain, posted.doc)
    expect(findings.map((f) => [f.code, f.wallet])).toEqual([['LEAF_MISMATCH', A], ['LEAF_MISMATCH', B], ['LEAF_MISMATCH', C], ['ROOT_MISMATCH', undefined]])
    expect(findings[0]).toMatchObject({ epoch: 2, expected: { amount: 5n, cumulative: 10n }, posted: { amount: 6n, cumulative: 10n } })
    expect(findings[0]!.message).toBe(`epoch 2: the posted tree pays ${A} 6 (running total 10), but the job log gives 5 (running total 10)`)
    expect(findings[1]).toMatchObject({ expected: { amount: 3n, cumulative: 3n }, posted: { amount: 3n, cumulative: 4n } })
    expect(findings[2]).toMatchObject({ expected: null, posted: { amount: 9n, cumulative: 9n } })
    expect(findings[2]!.message).toBe(`epoch 2: the posted tree pays ${C} 9 (running total 9), but the job log gives no leaf`)
    expect(findings[3]!.message).toBe('epoch 2: the chain reserves 18 (running total 23); the job log gives 8 (running total 13)')
  })

  it('names a leaf the posted tree left out', () => {
    const posted = tree([[A, 5n, 10n]])
    const findings = compareEpoch(honest.recomputed, posted.chain, posted.doc)
    expect(findings[0]).toMatchObject({ code: 'LEAF_MISMATCH', wallet: B, expected: { amount: 3n, cumulative: 3n }, posted: null })
    expect(findings[0]!.message).toContain(`pays ${B} no leaf, but the job log gives 3 (running total 3)`)
  })

  it('says the reservation differs when only the chain\'s amount or running total does', () => {
    for (const chain of [{ ...honest.chain, amount: 9n }, { ...honest.chain, cumulative: 14n }]) {
      const findings = compareEpoch(honest.recomputed, chain, honest.doc)
      expect(findings).toHaveLength(1)
      expect(findings[0]).toMatchObject({ code: 'ROOT_MISMATCH', epoch: 2 })
      expect(findings[0]!.message).toMatch(/^epoch 2: the chain reserves \d+ \(running total \d+\); the job log gives 8 \(running total 13\)$/)
    }
  })

  it('says the root differs when leaves and totals agree but the chain holds another root', () => {
    const chain = { ...honest.chain, root: `0x${'11'.repeat(32)}` as Hex }
    expect(compareEpoch(honest.recomputed, chain, honest.doc)).toEqual([
      { code: 'ROOT_MISMATCH', epoch: 2, message: `epoch 2: the chain's root ${chain.root} is not the root of the leaves the job log gives (${honest.recomputed.root})` },
    ])
    expect(compareEpoch({ ...honest.recomputed, root: null, leaves: new Map(), amount: 8n, cumulative: 13n }, chain, null)[0]!.message).toContain('(no leaves)')
  })
})
