// Comparing a recomputed epoch with the chain and the published tree, without a chain: an honest epoch gives no
// finding; a doctored one names every differing leaf in wallet order (an extra leaf, a missing one, a changed
// amount or running total), then a reservation that differs, and a root that differs when nothing else does.
// The whole audit against anvil is src/roles/job-audit.test.ts.
import { describe, expect, it } from 'vitest'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { getAddress, type Address, type Hex } from 'viem'
import { compareEpoch, postedLeaves, recomputeEpoch, type ChainEpoch, type LeafValue, type RecomputedEpoch } from './audit.ts'
import { LEAF_ENCODING, type EpochDocument } from './epoch-tree.ts'
import { emptyEpochBook } from './epochs.ts'
import type { EpochRecord, HolderRecord, RoundRecord } from '../training/job-log.ts'
import { testJob } from '../training/testing/job-fixture.ts'
import { verdict } from '../training/verdicts.ts'

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

describe('recomputing an epoch from the log', () => {
  const spec = testJob({ batchSize: 4, innerSteps: 10 })
  const passed = { reason: 'probation' as const, outcome: 'passed' as const, worstSegmentError: 0, segments: 3 }
  const holder = (peer: string, seq: number, patch: Partial<HolderRecord> = {}): HolderRecord => ({ peer, assignedAtMs: 0, status: 'accepted', submittedAtMs: 1, verdict: verdict('ACCEPTED'), audit: passed, decidedAtMs: 2, decidedSeq: seq, ...patch })
  const rounds = (holders: HolderRecord[]): RoundRecord[] => [{
    kind: 'round', job: spec.id, spec, round: 0, version: 0, paramsCid: 'p', nextParamsCid: 'q', startedAtMs: 0, closedAtMs: 9, flopsPerUnit: 100, auditCommitment: '', roundSecret: '',
    units: holders.map((h, i) => ({ id: `0.${i}`, seed: i, shards: [{ index: 0, ref: { cid: 'own', samples: 40, owner: 'alice' } }], outcome: 'accepted', holders: [h] })), datasets: [], report: {} as RoundRecord['report'], prev: null,
  }]
  const record = (epoch: number, roundsClosed: number, bindings: EpochRecord['bindings']): EpochRecord => ({
    kind: 'epoch', job: spec.id, epoch, chainId: 31337, escrow: A, escrowKey: '0x', roundHead: 'r', roundsClosed, ledgerSeq: 50, deposited: '1000', jobRounds: 4, dataShareBps: 0, nowSeconds: 100, bindings, book: null, prev: null,
  })
  const binding = (peer: string, expiry: number) => ({ peer, wallet: A, expiry, signature: '0x', boundAtMs: 0, seq: 0 })

  it('routes credit only through bindings still in force at the epoch, and makes no tree when no wallet has a leaf', () => {
    const log = rounds([holder('a', 1)])
    const bound = recomputeEpoch(emptyEpochBook(), record(1, 1, [binding('a', 101)]), log)
    expect(bound.leaves).toEqual(new Map([[A, { amount: 250n, cumulative: 250n }]]))
    expect(bound).toMatchObject({ amount: 250n, cumulative: 250n, root: expect.stringMatching(/^0x[0-9a-f]{64}$/) })
    const expired = recomputeEpoch(emptyEpochBook(), record(1, 1, [binding('a', 100)]), log)
    expect(expired).toMatchObject({ root: null, amount: 0n, cumulative: 0n, leaves: new Map() })
    expect(expired.book.waiting.get('a')).toBe(250n)
    expect(expired.book.epoch).toBe(1)
  })

  it('returns to the pool what waits for a peer whose audit failed, and only for a failed audit', () => {
    const first = recomputeEpoch(emptyEpochBook(), record(1, 1, []), rounds([holder('a', 1), holder('b', 2)]))
    expect(first.book.waiting).toEqual(new Map([['a', 125n], ['b', 125n]]))
    const cheat = (code: 'AUDIT_FAILED' | 'WRONG_SAMPLES') => rounds([holder('a', 1), holder('b', 2), holder('a', 3, { status: 'rejected', verdict: verdict(code), audit: undefined }), holder('a', 4, { status: 'rejected', verdict: verdict(code), audit: undefined })])
    expect(recomputeEpoch(first.book, record(2, 2, []), cheat('AUDIT_FAILED')).book.waiting.get('a')).toBeUndefined()
    expect(recomputeEpoch(first.book, record(2, 2, []), cheat('WRONG_SAMPLES')).book.waiting.get('a')).toBe(125n)
  })
})
