import { describe, expect, it } from 'vitest'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import type { Address } from 'viem'
import { advanceEpoch, emptyEpochBook, markPosted } from './epochs.ts'
import { decodeEpochDocument, encodeEpochDocument, epochDocument, findClaim, LEAF_ENCODING } from './epoch-tree.ts'

const W1: Address = '0x00000000000000000000000000000000000000A1'
const W2: Address = '0x00000000000000000000000000000000000000B2'
const ESCROW: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'

function sampleDocument() {
  const { book } = advanceEpoch(emptyEpochBook(), { deposited: 1000n, roundsClosed: 1, jobRounds: 1, dataShareBps: 0, volunteerFlops: new Map([['a', 3], ['b', 1], ['c', 1]]), dataSamples: new Map(), bindings: new Map([['a', W1], ['b', W2]]) })
  return epochDocument(book, { job: 'job-1', chainId: 31337, escrow: ESCROW, epoch: 1, logCid: 'bafy-log' })
}

describe('epoch documents', () => {
  it('round-trip, and give each wallet a proof of what the epoch pays it and its total, against the root', () => {
    const doc = decodeEpochDocument(encodeEpochDocument(sampleDocument()))
    expect(doc).toMatchObject({ amount: 800n, cumulative: 800n, logCid: 'bafy-log', epoch: 1 })
    expect(doc.peers.find((p) => p.peer === 'c')).toEqual({ peer: 'c', earned: 200n, waiting: 200n })
    const claim = findClaim(doc, W1)!
    expect(claim).toMatchObject({ epoch: 1, amount: 600n, cumulative: 600n })
    expect(StandardMerkleTree.verify(doc.root, LEAF_ENCODING, [W1, '600', '600'], claim.proof)).toBe(true)
    expect(StandardMerkleTree.verify(doc.root, LEAF_ENCODING, [W1, '601', '600'], claim.proof)).toBe(false)
    expect(findClaim(doc, '0x00000000000000000000000000000000000000C3')).toBeNull()
  })

  it('pays in a later epoch only what the wallet gained since the last root, with its running total', () => {
    const first = advanceEpoch(emptyEpochBook(), { deposited: 1000n, roundsClosed: 1, jobRounds: 2, dataShareBps: 0, volunteerFlops: new Map([['a', 1]]), dataSamples: new Map(), bindings: new Map([['a', W1]]) })
    const posted = markPosted(first.book, 1)
    const second = advanceEpoch(posted, { deposited: 1000n, roundsClosed: 2, jobRounds: 2, dataShareBps: 0, volunteerFlops: new Map([['a', 1], ['b', 1]]), dataSamples: new Map(), bindings: new Map([['a', W1], ['b', W2]]) })
    const doc = epochDocument(second.book, { job: 'job-1', chainId: 31337, escrow: ESCROW, epoch: 2, logCid: 'bafy-log-2' })
    expect(findClaim(doc, W1)).toMatchObject({ amount: 0n, cumulative: 500n })
    expect(findClaim(doc, W2)).toMatchObject({ amount: 500n, cumulative: 500n })
    expect(doc).toMatchObject({ amount: 500n, cumulative: 1000n })
  })

  it('refuses a document whose tree, root or total was tampered with', () => {
    const good = JSON.parse(new TextDecoder().decode(encodeEpochDocument(sampleDocument())))
    const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v))
    const inflated = structuredClone(good)
    inflated.tree.values[0].value[1] = '999999'
    expect(() => decodeEpochDocument(bytes(inflated))).toThrow(/does not hash to itself/)
    expect(() => decodeEpochDocument(bytes({ ...good, root: '0x' + '00'.repeat(32) }))).toThrow(/hashes to/)
    expect(() => decodeEpochDocument(bytes({ ...good, amount: '1' }))).toThrow(/add up/)
    expect(() => decodeEpochDocument(bytes({ ...good, cumulative: '1' }))).toThrow(/add up/)
    expect(() => decodeEpochDocument(bytes({ ...good, format: 'other' }))).toThrow(/unknown format/)
    expect(() => decodeEpochDocument(new TextEncoder().encode('{'))).toThrow(/not valid JSON/)
  })
})
