// Epoch trees against fixed vectors and at their limits: the leaves and root must be what JobEscrow checks a
// claim against (keccak256(bytes.concat(keccak256(abi.encode(account, amount, cumulative))))), and a document
// from the block exchange is refused, with a sentence naming what is wrong, at every check it can fail.
import { describe, expect, it } from 'vitest'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { concat, keccak256, pad, toHex, type Address, type Hex } from 'viem'
import { DecodeError, TesseraeError } from '../errors.ts'
import { advanceEpoch, emptyEpochBook, type EpochBook } from './epochs.ts'
import { buildEpochTree, decodeEpochDocument, encodeEpochDocument, epochDocument, epochLeaves, findClaim, LEAF_ENCODING, MAX_EPOCH_DOCUMENT_BYTES, type EpochDocument } from './epoch-tree.ts'
import { LedgerError } from './errors.ts'

const W1: Address = '0x00000000000000000000000000000000000000A1'
const W2: Address = '0x00000000000000000000000000000000000000b2'
const ESCROW: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const META = { job: 'job-1', chainId: 31337, escrow: ESCROW, epoch: 1, logCid: 'bafy-log' }
const MAX_UINT256 = (2n ** 256n - 1n).toString()
// The root of the two leaves (W1, 600, 600) and (W2, 200, 200), from StandardMerkleTree.of and by hand below.
const ROOT_W1_600_W2_200: Hex = '0xba9f349a1b08df4d6e56d6fc8b1e705b42dec6d73b511a0192666ef71b52ef72'

/** The contract's leaf hash, computed without the Merkle tree library. */
const leafHash = (wallet: Address, amount: bigint, cumulative: bigint) => keccak256(keccak256(concat([pad(wallet), pad(toHex(amount)), pad(toHex(cumulative))])))

/** a:3, b:1, c:1 share a pool of 1000; a pays W1 and b pays W2, c has no wallet yet. */
function sampleBook(): EpochBook {
  return advanceEpoch(emptyEpochBook(), { deposited: 1000n, roundsClosed: 1, jobRounds: 1, dataShareBps: 0, volunteerFlops: new Map([['a', 3], ['b', 1], ['c', 1]]), dataSamples: new Map(), bindings: new Map([['a', W1], ['b', W2]]) }).book
}

const goodJson = (): Record<string, unknown> => JSON.parse(new TextDecoder().decode(encodeEpochDocument(epochDocument(sampleBook(), META))))
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

/** A document around a tree of arbitrary leaves, with its root and totals as stated by the tree itself. */
function withLeaves(leaves: Array<[string, string, string]>): Record<string, unknown> {
  const tree = StandardMerkleTree.of(leaves, ['address', 'uint256', 'uint256'])
  const sum = (i: 1 | 2) => leaves.reduce((s, l) => s + BigInt(l[i]), 0n).toString()
  return { ...goodJson(), tree: tree.dump(), root: tree.root, amount: sum(1), cumulative: sum(2) }
}

function refusal(value: unknown): string {
  try {
    decodeEpochDocument(bytes(value))
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError)
    return (error as Error).message
  }
  throw new Error('decoded')
}

describe('epoch leaves', () => {
  const A: Address = '0x1000000000000000000000000000000000000001'
  const B: Address = '0x2000000000000000000000000000000000000002'
  const C: Address = '0x3000000000000000000000000000000000000003'
  const Z: Address = '0x4000000000000000000000000000000000000004'
  const book: EpochBook = { ...emptyEpochBook(), wallets: new Map([[C, 5n], [A, 10n], [Z, 0n], [B, 7n]]), posted: new Map([[A, 4n]]) }

  it('pay each wallet with credit what it gained since the last root, in address order, with its total', () => {
    expect(epochLeaves(book)).toEqual([{ wallet: A, amount: 6n, cumulative: 10n }, { wallet: B, amount: 7n, cumulative: 7n }, { wallet: C, amount: 5n, cumulative: 5n }])
  })

  it('add up to what the epoch reserves and to the running total', () => {
    const { tree, root, amount, cumulative } = buildEpochTree(book)
    expect(amount).toBe(18n)
    expect(cumulative).toBe(22n)
    expect(root).toBe(StandardMerkleTree.of([[A, '6', '10'], [B, '7', '7'], [C, '5', '5']], ['address', 'uint256', 'uint256']).root)
    expect(tree.length).toBe(3)
  })

  it('are refused when no wallet has any credit, as a ledger error', () => {
    for (const empty of [emptyEpochBook(), { ...emptyEpochBook(), wallets: new Map([[Z, 0n]]) }]) {
      let thrown: unknown
      try {
        buildEpochTree(empty)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(LedgerError)
      expect(thrown).toBeInstanceOf(TesseraeError)
      expect(thrown).toMatchObject({ name: 'LedgerError', code: 'NOT_IN_TREE', message: 'no bound wallet has earned anything yet, so there is no tree to post' })
    }
  })
})

describe('epoch tree vectors', () => {
  it('encodes leaves as (address, uint256, uint256), as JobEscrow hashes them', () => {
    expect(LEAF_ENCODING).toEqual(['address', 'uint256', 'uint256'])
    const single: EpochBook = { ...emptyEpochBook(), wallets: new Map([[W1, 7n]]), posted: new Map([[W1, 2n]]) }
    // A one-leaf tree's root is the leaf itself.
    expect(buildEpochTree(single).root).toBe(leafHash(W1, 5n, 7n))
    expect(leafHash(W1, 5n, 7n)).toBe('0x5831eb766ebb2380eebbdb1496c2082cd92aac2534fa6b4870a80723c631bd97')
  })

  it('gives the sample book the known root, which hashing its two leaves by hand also gives', () => {
    const doc = epochDocument(sampleBook(), META)
    expect(doc.root).toBe(ROOT_W1_600_W2_200)
    const [low, high] = [leafHash(W1, 600n, 600n), leafHash(W2, 200n, 200n)].sort()
    expect(keccak256(concat([low!, high!]))).toBe(ROOT_W1_600_W2_200)
    // Each proof is the other leaf, and the contract's check passes with it.
    expect(findClaim(doc, W1)).toEqual({ epoch: 1, amount: 600n, cumulative: 600n, proof: [leafHash(W2, 200n, 200n)] })
    expect(findClaim(doc, W2.toLowerCase() as Address)).toEqual({ epoch: 1, amount: 200n, cumulative: 200n, proof: [leafHash(W1, 600n, 600n)] })
  })

  it('lists every peer\'s earnings, with nothing waiting for the ones paid into a wallet', () => {
    const doc = epochDocument(sampleBook(), META)
    expect(doc).toMatchObject({ ...META, amount: 800n, cumulative: 800n })
    expect(doc.peers).toEqual([{ peer: 'a', earned: 600n, waiting: 0n }, { peer: 'b', earned: 200n, waiting: 0n }, { peer: 'c', earned: 200n, waiting: 200n }])
  })
})

describe('encodeEpochDocument', () => {
  it('writes the tesserae-epoch-2 format with amounts as decimal strings', () => {
    const json = goodJson()
    expect(json).toMatchObject({ format: 'tesserae-epoch-2', amount: '800', cumulative: '800', root: ROOT_W1_600_W2_200, job: 'job-1', chainId: 31337, escrow: ESCROW, epoch: 1, logCid: 'bafy-log' })
    expect(json.peers).toEqual([{ peer: 'a', earned: '600', waiting: '0' }, { peer: 'b', earned: '200', waiting: '0' }, { peer: 'c', earned: '200', waiting: '200' }])
  })

  it('takes a document of exactly 8 MiB and refuses one byte more', () => {
    expect(MAX_EPOCH_DOCUMENT_BYTES).toBe(8 * 1024 * 1024)
    const base = epochDocument(sampleBook(), META)
    const padded = (extra: number): EpochDocument => ({ ...base, logCid: 'x'.repeat(MAX_EPOCH_DOCUMENT_BYTES - encodeEpochDocument(base).length + base.logCid.length + extra) })
    expect(encodeEpochDocument(padded(0)).length).toBe(MAX_EPOCH_DOCUMENT_BYTES)
    expect(() => encodeEpochDocument(padded(1))).toThrow(expect.objectContaining({ name: 'LedgerError', code: 'BAD_TREE', message: 'the epoch tree is 8388609 bytes, over 8388608' }))
  })
})

describe('decodeEpochDocument', () => {
  it('reads back what was encoded, checksumming the escrow address', () => {
    const doc = epochDocument(sampleBook(), META)
    expect(decodeEpochDocument(encodeEpochDocument(doc))).toEqual(doc)
    // A lower-case or wrongly cased escrow is still the same address.
    expect(decodeEpochDocument(bytes({ ...goodJson(), escrow: ESCROW.toLowerCase() })).escrow).toBe(ESCROW)
    expect(decodeEpochDocument(bytes({ ...goodJson(), escrow: '0x5FbDB2315678afecb367f032d93F642f64180aA3' })).escrow).toBe(ESCROW)
  })

  it('takes a document of exactly 8 MiB and refuses a longer one before parsing it', () => {
    const text = JSON.stringify(goodJson())
    expect(decodeEpochDocument(new TextEncoder().encode(text + ' '.repeat(MAX_EPOCH_DOCUMENT_BYTES - text.length))).root).toBe(ROOT_W1_600_W2_200)
    expect(() => decodeEpochDocument(new TextEncoder().encode(text + ' '.repeat(MAX_EPOCH_DOCUMENT_BYTES - text.length + 1)))).toThrow('epoch tree: message is 8388609 bytes, the limit is 8388608')
  })

  it('refuses an unknown format, naming at most 40 characters of it', () => {
    expect(refusal({ ...goodJson(), format: 'tesserae-epoch-1' })).toBe('epoch tree: unknown format "tesserae-epoch-1"')
    expect(refusal({ ...goodJson(), format: 'f'.repeat(50) })).toBe(`epoch tree: unknown format "${'f'.repeat(40)}"`)
    expect(refusal({ ...goodJson(), format: undefined })).toBe('epoch tree: unknown format "undefined"')
  })

  it('refuses an escrow that is not an address', () => {
    expect(refusal({ ...goodJson(), escrow: 'escrow' })).toBe('epoch tree: "escrow" is not an address')
    expect(refusal({ ...goodJson(), escrow: ESCROW.slice(0, 41) })).toBe('epoch tree: "escrow" is not an address')
    expect(refusal({ ...goodJson(), escrow: `${ESCROW}0` })).toBe('epoch tree: "escrow" is longer than 42 characters')
  })

  it('refuses a tree that is not a standard-v1 tree of (address, uint256, uint256) leaves', () => {
    const json = goodJson()
    const tree = json.tree as Record<string, unknown>
    const wrongShape = 'epoch tree: the tree must be a standard-v1 tree of (address, uint256, uint256) leaves'
    expect(refusal({ ...json, tree: { ...tree, format: 'simple-v1' } })).toBe(wrongShape)
    expect(refusal({ ...json, tree: { ...tree, leafEncoding: ['address', 'uint256'] } })).toBe(wrongShape)
    expect(refusal({ ...json, tree: { ...tree, leafEncoding: ['address', 'uint256', 'uint128'] } })).toBe(wrongShape)
    expect(refusal({ ...json, tree: null })).toBe('epoch tree tree: expected an object')
  })

  it('refuses a tree whose leaves do not hash to its nodes, with the library\'s reason', () => {
    const json = goodJson()
    const tree = structuredClone(json.tree) as { values: Array<{ value: string[] }> }
    tree.values[0]!.value[1] = '999999'
    expect(refusal({ ...json, tree })).toBe('epoch tree: the tree does not hash to itself: Merkle tree does not contain the expected value')
  })

  it('refuses a leaf account that is not a full address, even one the tree library pads', () => {
    expect(refusal(withLeaves([['0xa1', '1', '1']]))).toBe('epoch tree: leaf account "0xa1" is not an address')
  })

  it('accepts a leaf address in any case, as the contract only sees its bytes', () => {
    const doc = decodeEpochDocument(bytes(withLeaves([['0x5FbDB2315678afecb367f032d93F642f64180aA3', '1', '2']])))
    expect(findClaim(doc, ESCROW)).toMatchObject({ amount: 1n, cumulative: 2n })
  })

  it('refuses two leaves for one wallet, however their addresses are cased', () => {
    expect(refusal(withLeaves([[W1.toLowerCase(), '1', '1'], [W1, '2', '2']]))).toBe(`epoch tree: wallet ${W1} has two leaves`)
  })

  it('refuses leaf amounts that are not plain whole numbers, or that pay more than the wallet\'s total', () => {
    expect(refusal(withLeaves([[W1, '01', '1']]))).toBe('epoch tree: a leaf amount must be a whole number')
    expect(refusal(withLeaves([[W1, '1', '0x10']]))).toBe('epoch tree: a leaf cumulative amount must be a whole number')
    expect(refusal(withLeaves([[W1, '5', '4']]))).toBe(`epoch tree: wallet ${W1}'s leaf pays 5, more than its cumulative 4`)
    // All of it at once is fine, up to the largest uint256 (78 digits).
    const doc = decodeEpochDocument(bytes(withLeaves([[W1, MAX_UINT256, MAX_UINT256], [W2, '0', '3']])))
    expect(doc.amount).toBe(2n ** 256n - 1n)
    expect(doc.cumulative).toBe(2n ** 256n + 2n)
  })

  it('refuses a root other than the tree\'s, naming both', () => {
    expect(refusal({ ...goodJson(), root: `0x${'00'.repeat(32)}` })).toBe(`epoch tree: the document names root 0x0000000000… but its tree hashes to ${ROOT_W1_600_W2_200.slice(0, 12)}…`)
    expect(refusal({ ...goodJson(), root: `${ROOT_W1_600_W2_200}0` })).toBe('epoch tree: "root" is longer than 66 characters')
  })

  it('refuses stated totals that differ from the leaves\' or are not whole numbers', () => {
    expect(refusal({ ...goodJson(), amount: '799' })).toBe('epoch tree: "amount" says 799 but the leaves add up to 800')
    expect(refusal({ ...goodJson(), cumulative: '801' })).toBe('epoch tree: "cumulative" says 801 but the leaves add up to 800')
    expect(refusal({ ...goodJson(), amount: '0800' })).toBe('epoch tree: "amount" must be a whole number')
    expect(refusal({ ...goodJson(), cumulative: '-800' })).toBe('epoch tree: "cumulative" must be a whole number')
    // 78 digits is a number (just the wrong one); 79 is not a uint256 at all.
    expect(refusal({ ...goodJson(), amount: '1'.repeat(78) })).toBe(`epoch tree: "amount" says ${'1'.repeat(78)} but the leaves add up to 800`)
    expect(refusal({ ...goodJson(), amount: '1'.repeat(79) })).toBe('epoch tree: "amount" must be a whole number')
    expect(refusal({ ...goodJson(), amount: '1'.repeat(81) })).toBe('epoch tree: "amount" is longer than 80 characters')
  })

  it('takes up to 100,000 peers and refuses more, or anything but a list', () => {
    const peers = (n: number) => Array.from({ length: n }, (_, i) => ({ peer: `p${i}`, earned: '0', waiting: '0' }))
    expect(decodeEpochDocument(bytes({ ...goodJson(), peers: peers(100_000) })).peers).toHaveLength(100_000)
    expect(refusal({ ...goodJson(), peers: peers(100_001) })).toBe('epoch tree: "peers" must be a list of at most 100,000 entries')
    expect(refusal({ ...goodJson(), peers: { a: { peer: 'a', earned: '0', waiting: '0' } } })).toBe('epoch tree: "peers" must be a list of at most 100,000 entries')
  })

  it('refuses a peer entry with a long name or amounts that are not whole numbers', () => {
    const withPeer = (peer: Record<string, unknown>) => ({ ...goodJson(), peers: [{ peer: 'a', earned: '1', waiting: '0', ...peer }] })
    expect(decodeEpochDocument(bytes(withPeer({ peer: 'p'.repeat(128) }))).peers).toEqual([{ peer: 'p'.repeat(128), earned: 1n, waiting: 0n }])
    expect(refusal(withPeer({ peer: 'p'.repeat(129) }))).toBe('epoch tree: "peer" is longer than 128 characters')
    expect(refusal(withPeer({ earned: '-1' }))).toBe('epoch tree: earned must be a whole number')
    expect(refusal(withPeer({ earned: '1x' }))).toBe('epoch tree: earned must be a whole number')
    expect(refusal(withPeer({ waiting: '01' }))).toBe('epoch tree: waiting must be a whole number')
    expect(refusal(withPeer({ waiting: '' }))).toBe('epoch tree: waiting must be a whole number')
    expect(refusal({ ...goodJson(), peers: ['a'] })).toBe('epoch tree peer: expected an object')
  })

  it('refuses a job, log id or chain it cannot name', () => {
    expect(decodeEpochDocument(bytes({ ...goodJson(), job: 'j'.repeat(128), logCid: 'l'.repeat(128) }))).toMatchObject({ job: 'j'.repeat(128), logCid: 'l'.repeat(128) })
    expect(refusal({ ...goodJson(), job: 'j'.repeat(129) })).toBe('epoch tree: "job" is longer than 128 characters')
    expect(refusal({ ...goodJson(), logCid: 'l'.repeat(129) })).toBe('epoch tree: "logCid" is longer than 128 characters')
    expect(refusal({ ...goodJson(), chainId: 0 })).toBe('epoch tree: "chainId" must be between 1 and 9007199254740991')
    expect(refusal({ ...goodJson(), epoch: 0 })).toBe('epoch tree: "epoch" must be between 1 and 9007199254740991')
  })
})

describe('findClaim', () => {
  it('finds nobody in a tree that has no leaf for the wallet', () => {
    const doc = epochDocument(sampleBook(), META)
    expect(findClaim(doc, '0x00000000000000000000000000000000000000C3')).toBeNull()
  })
})
