import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { cidOf, parseCid } from './cid.ts'
import { leafHash, merkleProof, merkleRoot, type MerkleLeaf } from './merkle.ts'

// The tree as the module comment states it, computed with node:crypto rather than the module's own code:
// a leaf is sha256(0x00 ‖ CID bytes ‖ samples as big-endian uint32), a node sha256(0x01 ‖ left ‖ right), and
// an odd node at the end of a level moves up unchanged.
const sha = (...parts: Uint8Array[]) => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest())
function expectedLeaf(leaf: MerkleLeaf): Uint8Array {
  const count = Buffer.alloc(4)
  count.writeUInt32BE(leaf.samples)
  return sha(Uint8Array.of(0), parseCid(leaf.cid).bytes, count)
}
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`

describe('dataset Merkle tree', () => {
  it('matches the stated hashing: big-endian sample counts, prefixed leaves and nodes, odd nodes carried up', async () => {
    const leaves = await Promise.all([1, 2, 3].map(async (i) => ({ cid: (await cidOf(Uint8Array.of(i))).toString(), samples: 256 * i + 1 })))
    const [a, b, c] = leaves.map(expectedLeaf)
    expect(hex(await leafHash(leaves[0]!))).toBe(hex(a!))
    expect(await merkleRoot(leaves)).toBe(hex(sha(Uint8Array.of(1), sha(Uint8Array.of(1), a!, b!), c!)))
  })

  it('refuses a proof for a leaf that does not exist', async () => {
    const leaves = await Promise.all([1, 2, 3].map(async (i) => ({ cid: (await cidOf(Uint8Array.of(i))).toString(), samples: i })))
    for (const index of [-1, 3, 1.5, Number.NaN]) await expect(merkleProof(leaves, index)).rejects.toThrow(new RangeError(`leaf ${index} does not exist`))
    expect(await merkleProof(leaves, 2)).toHaveLength(1)
    expect(await merkleProof(leaves, 0)).toHaveLength(2)
  })
})
