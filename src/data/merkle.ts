// The dataset's Merkle root: a binary sha2-256 tree over its chunks, so one 32-byte value commits to every
// chunk and its sample count, and a single chunk can later be proven part of a dataset (settlement uses
// this). Leaves and inner nodes are hashed with different prefixes so a node can never pose as a leaf; an
// odd node at the end of a level moves up unchanged.
import { parseCid } from './cid.ts'
import { fromHex, toHex } from '../hex.ts'
import { concatBytes } from '../bytes.ts'

export interface MerkleLeaf {
  cid: string
  samples: number
}

export interface ProofStep {
  sibling: string
  /** The sibling sits to the left of the running hash. */
  left: boolean
}

async function sha256(parts: Uint8Array[]): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concatBytes(parts) as Uint8Array<ArrayBuffer>))
}

export async function leafHash(leaf: MerkleLeaf): Promise<Uint8Array> {
  const count = new Uint8Array(4)
  new DataView(count.buffer).setUint32(0, leaf.samples, false)
  return sha256([Uint8Array.of(0), parseCid(leaf.cid).bytes, count])
}

const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256([Uint8Array.of(1), left, right])

async function levels(leaves: readonly MerkleLeaf[]): Promise<Uint8Array[][]> {
  if (leaves.length === 0) throw new RangeError('a Merkle tree needs at least one leaf')
  const out = [await Promise.all(leaves.map(leafHash))]
  while (out[out.length - 1]!.length > 1) {
    const level = out[out.length - 1]!
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? await nodeHash(level[i]!, level[i + 1]!) : level[i]!)
    out.push(next)
  }
  return out
}

/** 0x-prefixed hex of the root. */
export async function merkleRoot(leaves: readonly MerkleLeaf[]): Promise<string> {
  const all = await levels(leaves)
  return `0x${toHex(all[all.length - 1]![0]!)}`
}

export async function merkleProof(leaves: readonly MerkleLeaf[], index: number): Promise<ProofStep[]> {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`leaf ${index} does not exist`)
  const all = await levels(leaves)
  const proof: ProofStep[] = []
  let i = index
  for (const level of all.slice(0, -1)) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1
    if (sibling < level.length) proof.push({ sibling: `0x${toHex(level[sibling]!)}`, left: sibling < i })
    i = Math.floor(i / 2)
  }
  return proof
}

export async function verifyMerkleProof(leaf: MerkleLeaf, proof: readonly ProofStep[], root: string): Promise<boolean> {
  let hash = await leafHash(leaf)
  for (const step of proof) {
    const sibling = fromHex(step.sibling.slice(2))
    hash = step.left ? await nodeHash(sibling, hash) : await nodeHash(hash, sibling)
  }
  return `0x${toHex(hash)}` === root
}
