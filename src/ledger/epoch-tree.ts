// An epoch's Merkle tree and the document the coordinator publishes on the block exchange: the full
// StandardMerkleTree of (wallet, amount this epoch pays, cumulative amount) leaves, so anyone can derive any
// proof, plus what each peer earned, so a volunteer can check its own amount before it claims, and the job
// log it was computed from. Decoding rebuilds the tree and refuses anything that does not add up.
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { getAddress, isAddress, type Address, type Hex } from 'viem'
import { DecodeError } from '../errors.ts'
import { asObject, parseJsonLimited, readInteger, readString } from '../schema.ts'
import type { EpochBook } from './epochs.ts'
import { LedgerError } from './errors.ts'

export const LEAF_ENCODING = ['address', 'uint256', 'uint256']
/** 20,000 wallets' leaves and proofs stay under this; the block exchange carries it in chunks. */
export const MAX_EPOCH_DOCUMENT_BYTES = 8 << 20
const WHAT = 'epoch tree'

type Leaf = [string, string, string]
type TreeData = ReturnType<StandardMerkleTree<Leaf>['dump']>

export interface EpochDocument {
  job: string
  chainId: number
  escrow: Address
  epoch: number
  root: Hex
  /** Sum of the leaves' amounts: what the epoch reserves out of the pool. */
  amount: bigint
  /** Sum of the leaves' cumulative amounts: everything reserved up to this epoch. */
  cumulative: bigint
  /** The content id of the job log's epoch record this tree was computed from. */
  logCid: string
  tree: TreeData
  /** Every peer's cumulative earnings, and the wallet they were paid into if it is bound. */
  peers: Array<{ peer: string; earned: bigint; waiting: bigint }>
}

export interface Claim {
  epoch: number
  /** What this epoch pays the wallet. */
  amount: bigint
  /** The wallet's cumulative amount (governance weighs votes by it). */
  cumulative: bigint
  proof: Hex[]
}

/** The leaves a book's next root is made of: every wallet with credit, what it gained since the last root, and its total. */
export function epochLeaves(book: EpochBook): Array<{ wallet: Address; amount: bigint; cumulative: bigint }> {
  return [...book.wallets]
    .filter(([, cumulative]) => cumulative > 0n)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([wallet, cumulative]) => ({ wallet, amount: cumulative - (book.posted.get(wallet) ?? 0n), cumulative }))
}

export function buildEpochTree(book: EpochBook): { tree: StandardMerkleTree<Leaf>; root: Hex; amount: bigint; cumulative: bigint } {
  const leaves = epochLeaves(book)
  if (leaves.length === 0) throw new LedgerError('NOT_IN_TREE', 'no bound wallet has earned anything yet, so there is no tree to post')
  const tree = StandardMerkleTree.of(leaves.map((l): Leaf => [l.wallet, l.amount.toString(), l.cumulative.toString()]), LEAF_ENCODING)
  return { tree, root: tree.root as Hex, amount: leaves.reduce((sum, l) => sum + l.amount, 0n), cumulative: leaves.reduce((sum, l) => sum + l.cumulative, 0n) }
}

export function epochDocument(book: EpochBook, meta: { job: string; chainId: number; escrow: Address; epoch: number; logCid: string }): EpochDocument {
  const { tree, root, amount, cumulative } = buildEpochTree(book)
  const peers = [...book.earnedByPeer].map(([peer, earned]) => ({ peer, earned, waiting: book.waiting.get(peer) ?? 0n }))
  return { ...meta, root, amount, cumulative, tree: tree.dump(), peers }
}

export function encodeEpochDocument(doc: EpochDocument): Uint8Array {
  const json = JSON.stringify({ ...doc, format: 'tesserae-epoch-2', amount: doc.amount.toString(), cumulative: doc.cumulative.toString(), peers: doc.peers.map((p) => ({ peer: p.peer, earned: p.earned.toString(), waiting: p.waiting.toString() })) })
  const bytes = new TextEncoder().encode(json)
  if (bytes.length > MAX_EPOCH_DOCUMENT_BYTES) throw new LedgerError('BAD_TREE', `the epoch tree is ${bytes.length} bytes, over ${MAX_EPOCH_DOCUMENT_BYTES}`)
  return bytes
}

const whole = (text: string, field: string) => {
  if (!/^(0|[1-9][0-9]{0,77})$/.test(text)) throw new DecodeError(WHAT, `${field} must be a whole number`)
  return BigInt(text)
}

export function decodeEpochDocument(bytes: Uint8Array): EpochDocument {
  const obj = asObject(parseJsonLimited(new TextDecoder().decode(bytes), MAX_EPOCH_DOCUMENT_BYTES, WHAT), WHAT)
  if (obj.format !== 'tesserae-epoch-2') throw new DecodeError(WHAT, `unknown format "${String(obj.format).slice(0, 40)}"`)
  const escrow = readString(obj, 'escrow', WHAT, 42)
  if (!isAddress(escrow, { strict: false })) throw new DecodeError(WHAT, '"escrow" is not an address')
  const data = asObject(obj.tree, `${WHAT} tree`) as unknown as TreeData
  if (data.format !== 'standard-v1' || JSON.stringify(data.leafEncoding) !== JSON.stringify(LEAF_ENCODING)) throw new DecodeError(WHAT, 'the tree must be a standard-v1 tree of (address, uint256, uint256) leaves')
  let tree: StandardMerkleTree<Leaf>
  try {
    tree = StandardMerkleTree.load(data)
    tree.validate()
  } catch (error) {
    throw new DecodeError(WHAT, `the tree does not hash to itself: ${error instanceof Error ? error.message : String(error)}`)
  }
  let amount = 0n
  let cumulative = 0n
  const seen = new Set<string>()
  for (const [, [wallet, leafAmount, leafCumulative]] of tree.entries()) {
    if (!isAddress(String(wallet), { strict: false })) throw new DecodeError(WHAT, `leaf account "${String(wallet).slice(0, 44)}" is not an address`)
    const key = getAddress(String(wallet))
    if (seen.has(key)) throw new DecodeError(WHAT, `wallet ${key} has two leaves`)
    seen.add(key)
    const a = whole(String(leafAmount), 'a leaf amount')
    const c = whole(String(leafCumulative), 'a leaf cumulative amount')
    if (a > c) throw new DecodeError(WHAT, `wallet ${key}'s leaf pays ${a}, more than its cumulative ${c}`)
    amount += a
    cumulative += c
  }
  const root = readString(obj, 'root', WHAT, 66)
  if (root !== tree.root) throw new DecodeError(WHAT, `the document names root ${root.slice(0, 12)}… but its tree hashes to ${tree.root.slice(0, 12)}…`)
  for (const [field, sum] of [['amount', amount], ['cumulative', cumulative]] as const) {
    const stated = whole(readString(obj, field, WHAT, 80), `"${field}"`)
    if (stated !== sum) throw new DecodeError(WHAT, `"${field}" says ${stated} but the leaves add up to ${sum}`)
  }
  if (!Array.isArray(obj.peers) || obj.peers.length > 100_000) throw new DecodeError(WHAT, '"peers" must be a list of at most 100,000 entries')
  const peers = obj.peers.map((p: unknown) => {
    const e = asObject(p, `${WHAT} peer`)
    return { peer: readString(e, 'peer', WHAT, 128), earned: whole(readString(e, 'earned', WHAT, 80), 'earned'), waiting: whole(readString(e, 'waiting', WHAT, 80), 'waiting') }
  })
  return { job: readString(obj, 'job', WHAT, 128), chainId: readInteger(obj, 'chainId', WHAT, 1), escrow: getAddress(escrow), epoch: readInteger(obj, 'epoch', WHAT, 1), root: root as Hex, amount, cumulative, logCid: readString(obj, 'logCid', WHAT, 128), tree: data, peers }
}

/** `wallet`'s leaf in the tree (what the epoch pays it, its cumulative amount) and its proof, or null. */
export function findClaim(doc: EpochDocument, wallet: Address): Claim | null {
  const tree = StandardMerkleTree.load(doc.tree)
  const key = getAddress(wallet)
  for (const [index, [account, amount, cumulative]] of tree.entries()) {
    if (getAddress(String(account)) === key) return { epoch: doc.epoch, amount: BigInt(String(amount)), cumulative: BigInt(String(cumulative)), proof: tree.getProof(index) as Hex[] }
  }
  return null
}
