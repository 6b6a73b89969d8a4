import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { buildDataset, samplesFromChunks } from './build-dataset.ts'
import { chunkSamples, samplesPerChunk } from './chunks.ts'
import { cidOf } from './cid.ts'
import { checkManifest, datasetId, decodeManifest, decodeSignedManifest, manifestSigningBytes } from './manifest.ts'
import { merkleProof, merkleRoot, verifyMerkleProof } from './merkle.ts'
import { decodeShard } from './shard-block.ts'
import { FASHION_MNIST_SHAPE, type SampleSet } from './samples.ts'

const shape = { height: 3, width: 2, classes: ['a', 'b', 'c'] }
const sampleSet = (count: number, seed: number): SampleSet => ({
  shape,
  count,
  pixels: Uint8Array.from({ length: count * 6 }, (_, i) => (i * 31 + seed) & 0xff),
  labels: Uint8Array.from({ length: count }, (_, i) => (i + seed) % 3),
  sources: Array.from({ length: count }, (_, i) => ({ file: 'f', row: i + 1 })),
})
const leaves = async (n: number, salt: number) => Promise.all(Array.from({ length: n }, async (_, i) => ({ cid: (await cidOf(Uint8Array.of(i, salt))).toString(), samples: i + 1 })))

describe('chunking', () => {
  it('fits a Fashion-MNIST chunk in one block', () => {
    expect(samplesPerChunk(FASHION_MNIST_SHAPE)).toBe(1024)
    expect(samplesPerChunk({ height: 512, width: 512 })).toBe(3)
  })

  it('splits into fixed-size chunks that decode back to exactly the samples, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 17 }), fc.integer({ min: 0, max: 255 }), async (count, per, seed) => {
        const set = sampleSet(count, seed)
        const chunks = await chunkSamples(set, per)
        expect(chunks.length).toBe(Math.ceil(count / per))
        expect(chunks.slice(0, -1).every((c) => c.samples === per)).toBe(true)
        const decoded = chunks.map((c) => decodeShard(c.bytes))
        expect(Buffer.concat(decoded.map((d) => d.pixels)).equals(Buffer.from(set.pixels))).toBe(true)
        expect(Buffer.concat(decoded.map((d) => d.labels)).equals(Buffer.from(set.labels))).toBe(true)
        for (const c of chunks) expect(c.cid).toBe((await cidOf(c.bytes)).toString())
      }),
      { numRuns: 60 },
    )
  })
})

describe('Merkle roots', () => {
  it('proves every leaf, and any change to a leaf, its count or the order changes the root', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.nat(), fc.nat(), async (n, pick, salt) => {
        const ls = await leaves(n, salt & 0xff)
        const root = await merkleRoot(ls)
        const i = pick % n
        expect(await verifyMerkleProof(ls[i]!, await merkleProof(ls, i), root)).toBe(true)
        expect(await verifyMerkleProof({ ...ls[i]!, samples: ls[i]!.samples + 1 }, await merkleProof(ls, i), root)).toBe(false)
        const changed = ls.map((l, j) => (j === i ? { ...l, samples: l.samples + 1 } : l))
        expect(await merkleRoot(changed)).not.toBe(root)
        if (n > 1) expect(await merkleRoot([...ls.slice(1), ls[0]!])).not.toBe(root)
        expect(await merkleRoot(ls)).toBe(root)
      }),
      { numRuns: 60 },
    )
  })

  it('does not let an inner node pose as a leaf', async () => {
    const ls = await leaves(4, 9)
    const root = await merkleRoot(ls)
    expect(await merkleRoot(ls.slice(0, 2))).not.toBe(root)
    await expect(merkleRoot([])).rejects.toThrow('needs at least one leaf')
  })
})

describe('manifests', () => {
  it('builds, round-trips through JSON and checks out; the id changes with any field', async () => {
    const { manifest, chunks } = await buildDataset(sampleSet(25, 1), { name: ' Mine ', licence: 'CC0-1.0', description: 'd' }, 'peer-x', 5)
    expect(manifest).toMatchObject({ name: 'Mine', samples: 25, classCounts: [8, 9, 8], owner: 'peer-x' })
    expect(chunks).toHaveLength(1)
    const back = decodeManifest(JSON.parse(JSON.stringify(manifest)))
    await checkManifest(back)
    expect(await datasetId(back)).toBe(await datasetId(manifest))
    expect(await datasetId({ ...manifest, licence: 'MIT' })).not.toBe(await datasetId(manifest))
    expect(new TextDecoder().decode(manifestSigningBytes(manifest))).toMatch(/^tesserae dataset manifest v1\n\{"format"/)
    expect(decodeShard(chunks[0]!.bytes).count).toBe(25)
  })

  it('gives back exactly the saved samples for a new version, and refuses missing or altered chunks', async () => {
    const original = sampleSet(2500, 4)
    const { manifest, chunks } = await buildDataset({ ...original, shape: FASHION_MNIST_SHAPE, pixels: new Uint8Array(2500 * 784).map((_, i) => i % 251), labels: original.labels }, { name: 'Big', licence: 'MIT', description: '' }, 'p', 1)
    expect(chunks.map((c) => c.samples)).toEqual([1024, 1024, 452])
    const back = samplesFromChunks(manifest, chunks.map((c) => c.bytes))
    expect(back.count).toBe(2500)
    expect(back.labels).toEqual(original.labels)
    expect(back.sources[1024]).toEqual({ file: 'Big (chunk 2)', row: 1 })
    expect(() => samplesFromChunks(manifest, chunks.slice(1).map((c) => c.bytes))).toThrow('"Big" has 3 chunks but 2 were found in storage')
    expect(() => samplesFromChunks(manifest, [chunks[2]!.bytes, chunks[1]!.bytes, chunks[0]!.bytes])).toThrow(/chunk 0 of "Big" holds 452 samples/)
  })

  it('rejects hostile or inconsistent manifests with a reason', async () => {
    const { manifest } = await buildDataset(sampleSet(10, 2), { name: 'x', licence: 'MIT', description: '' }, 'p', 1)
    const json = JSON.parse(JSON.stringify(manifest))
    expect(() => decodeManifest({ ...json, format: 'v0' })).toThrow(/unknown format/)
    expect(() => decodeManifest({ ...json, chunks: [] })).toThrow(/"chunks" must list 1 to 512 chunks/)
    expect(() => decodeManifest({ ...json, chunks: [{ cid: 'nope', samples: 1 }] })).toThrow(/not a valid sha2-256 CID/)
    expect(() => decodeManifest({ ...json, classCounts: [1] })).toThrow(/must list 3 counts/)
    expect(() => decodeManifest({ ...json, merkleRoot: '0x12' })).toThrow(/merkleRoot/)
    await expect(checkManifest({ ...manifest, samples: 11, classCounts: [4, 4, 3] })).rejects.toThrow('its chunks hold 10 samples but it declares 11')
    await expect(checkManifest({ ...manifest, classCounts: [10, 1, 0] })).rejects.toThrow('its class counts add up to 11, not 10')
    await expect(checkManifest({ ...manifest, merkleRoot: `0x${'0'.repeat(64)}` })).rejects.toThrow('its Merkle root does not match its chunks')
    expect(() => decodeSignedManifest({ manifest: json, signature: 'XYZ' })).toThrow(/lowercase hex/)
  })
})
