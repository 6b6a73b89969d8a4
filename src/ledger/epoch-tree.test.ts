import { describe, expect, it } from 'vitest'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import type { Address } from 'viem'
import { advanceEpoch, emptyEpochBook } from './epochs.ts'
import { decodeEpochDocument, encodeEpochDocument, epochDocument, findClaim, LEAF_ENCODING } from './epoch-tree.ts'

const W1: Address = '0x00000000000000000000000000000000000000A1'
const W2: Address = '0x00000000000000000000000000000000000000B2'
const ESCROW: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'

function sampleDocument() {
  const { book } = advanceEpoch(emptyEpochBook(), { deposited: 1000n, roundsClosed: 1, jobRounds: 1, dataShareBps: 0, volunteerFlops: new Map([['a', 3], ['b', 1], ['c', 1]]), dataSamples: new Map(), bindings: new Map([['a', W1], ['b', W2]]) })
  return epochDocument(book, { job: 'job-1', chainId: 31337, escrow: ESCROW, epoch: 1 })
}

describe('epoch documents', () => {
  it('round-trip, and give each wallet a proof of its cumulative amount that verifies against the root', () => {
    const doc = decodeEpochDocument(encodeEpochDocument(sampleDocument()))
    expect(doc.total).toBe(800n)
    expect(doc.peers.find((p) => p.peer === 'c')).toEqual({ peer: 'c', earned: 200n, waiting: 200n })
    const claim = findClaim(doc, W1)!
    expect(claim.amount).toBe(600n)
    expect(StandardMerkleTree.verify(doc.root, LEAF_ENCODING, [W1, '600'], claim.proof)).toBe(true)
    expect(findClaim(doc, '0x00000000000000000000000000000000000000C3')).toBeNull()
  })

  it('refuses a document whose tree, root or total was tampered with', () => {
    const good = JSON.parse(new TextDecoder().decode(encodeEpochDocument(sampleDocument())))
    const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v))
    const inflated = structuredClone(good)
    inflated.tree.values[0].value[1] = '999999'
    expect(() => decodeEpochDocument(bytes(inflated))).toThrow(/does not hash to itself/)
    expect(() => decodeEpochDocument(bytes({ ...good, root: '0x' + '00'.repeat(32) }))).toThrow(/hashes to/)
    expect(() => decodeEpochDocument(bytes({ ...good, total: '1' }))).toThrow(/add up/)
    expect(() => decodeEpochDocument(bytes({ ...good, format: 'other' }))).toThrow(/unknown format/)
    expect(() => decodeEpochDocument(new TextEncoder().encode('{'))).toThrow(/not valid JSON/)
  })
})
