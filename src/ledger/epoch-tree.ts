// An epoch's Merkle tree and the document the coordinator publishes on the block exchange: the full
// StandardMerkleTree (so anyone can derive any proof) plus what each peer earned, so a volunteer can check
// its own amount before it claims. Decoding rebuilds the tree and refuses anything that does not add up.
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { getAddress, isAddress, type Address, type Hex } from 'viem'
import { DecodeError } from '../errors.ts'
import { asObject, parseJsonLimited, readInteger, readString } from '../schema.ts'
import type { EpochBook } from './epochs.ts'
import { LedgerError } from './errors.ts'

export const LEAF_ENCODING = ['address', 'uint256']
/** 20,000 wallets' leaves and proofs stay under this; the block exchange carries it in chunks. */
export const MAX_EPOCH_DOCUMENT_BYTES = 8 << 20
const WHAT = 'epoch tree'

type TreeData = ReturnType<StandardMerkleTree<[string, string]>['dump']>

export interface EpochDocument {
  job: string
  chainId: number
  escrow: Address
  epoch: number
  root: Hex
  /** Sum of the tree's cumulative amounts (what the contract checks against the deposit). */
  total: bigint
  tree: TreeData
  /** Every peer's cumulative earnings, and the wallet they were paid into if it is bound. */
  peers: Array<{ peer: string; earned: bigint; waiting: bigint }>
}

export interface Claim {
  amount: bigint
  proof: Hex[]
}

export function buildEpochTree(book: EpochBook): { tree: StandardMerkleTree<[string, string]>; root: Hex; total: bigint } {
  const leaves = [...book.wallets].filter(([, amount]) => amount > 0n).sort(([a], [b]) => a.localeCompare(b)).map(([wallet, amount]): [string, string] => [wallet, amount.toString()])
  if (leaves.length === 0) throw new LedgerError('NOT_IN_TREE', 'no bound wallet has earned anything yet, so there is no tree to post')
  const tree = StandardMerkleTree.of(leaves, LEAF_ENCODING)
  return { tree, root: tree.root as Hex, total: leaves.reduce((sum, [, amount]) => sum + BigInt(amount), 0n) }
}

export function epochDocument(book: EpochBook, meta: { job: string; chainId: number; escrow: Address; epoch: number }): EpochDocument {
  const { tree, root, total } = buildEpochTree(book)
  const peers = [...book.earnedByPeer].map(([peer, earned]) => ({ peer, earned, waiting: book.waiting.get(peer) ?? 0n }))
  return { ...meta, root, total, tree: tree.dump(), peers }
}

export function encodeEpochDocument(doc: EpochDocument): Uint8Array {
  const json = JSON.stringify({ ...doc, format: 'tesserae-epoch-1', total: doc.total.toString(), peers: doc.peers.map((p) => ({ peer: p.peer, earned: p.earned.toString(), waiting: p.waiting.toString() })) })
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
  if (obj.format !== 'tesserae-epoch-1') throw new DecodeError(WHAT, `unknown format "${String(obj.format).slice(0, 40)}"`)
  const escrow = readString(obj, 'escrow', WHAT, 42)
  if (!isAddress(escrow, { strict: false })) throw new DecodeError(WHAT, '"escrow" is not an address')
  const data = asObject(obj.tree, `${WHAT} tree`) as unknown as TreeData
  if (data.format !== 'standard-v1' || JSON.stringify(data.leafEncoding) !== JSON.stringify(LEAF_ENCODING)) throw new DecodeError(WHAT, 'the tree must be a standard-v1 tree of (address, uint256) leaves')
  let tree: StandardMerkleTree<[string, string]>
  try {
    tree = StandardMerkleTree.load(data)
    tree.validate()
  } catch (error) {
    throw new DecodeError(WHAT, `the tree does not hash to itself: ${error instanceof Error ? error.message : String(error)}`)
  }
  let total = 0n
  const seen = new Set<string>()
  for (const [, [wallet, amount]] of tree.entries()) {
    if (!isAddress(String(wallet), { strict: false })) throw new DecodeError(WHAT, `leaf account "${String(wallet).slice(0, 44)}" is not an address`)
    const key = getAddress(String(wallet))
    if (seen.has(key)) throw new DecodeError(WHAT, `wallet ${key} has two leaves`)
    seen.add(key)
    total += whole(String(amount), 'a leaf amount')
  }
  const root = readString(obj, 'root', WHAT, 66)
  if (root !== tree.root) throw new DecodeError(WHAT, `the document names root ${root.slice(0, 12)}… but its tree hashes to ${tree.root.slice(0, 12)}…`)
  const claimedTotal = whole(readString(obj, 'total', WHAT, 80), '"total"')
  if (claimedTotal !== total) throw new DecodeError(WHAT, `"total" says ${claimedTotal} but the leaves add up to ${total}`)
  if (!Array.isArray(obj.peers) || obj.peers.length > 100_000) throw new DecodeError(WHAT, '"peers" must be a list of at most 100,000 entries')
  const peers = obj.peers.map((p: unknown) => {
    const e = asObject(p, `${WHAT} peer`)
    return { peer: readString(e, 'peer', WHAT, 128), earned: whole(readString(e, 'earned', WHAT, 80), 'earned'), waiting: whole(readString(e, 'waiting', WHAT, 80), 'waiting') }
  })
  return { job: readString(obj, 'job', WHAT, 128), chainId: readInteger(obj, 'chainId', WHAT, 1), escrow: getAddress(escrow), epoch: readInteger(obj, 'epoch', WHAT, 1), root: root as Hex, total, tree: data, peers }
}

/** `wallet`'s cumulative amount and proof in the tree, or null if it has no leaf. */
export function findClaim(doc: EpochDocument, wallet: Address): Claim | null {
  const tree = StandardMerkleTree.load(doc.tree)
  const key = getAddress(wallet)
  for (const [index, [account, amount]] of tree.entries()) {
    if (getAddress(String(account)) === key) return { amount: BigInt(String(amount)), proof: tree.getProof(index) as Hex[] }
  }
  return null
}
