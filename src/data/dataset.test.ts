import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { buildDataset, samplesFromChunks } from './build-dataset.ts'
import { chunkSamples, MAX_SAMPLES_PER_CHUNK, samplesPerChunk } from './chunks.ts'
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
    // Hex on one end is not enough: the whole signature must be lowercase hex, of whole bytes.
    for (const signature of ['zz00', '00zz', '0a1', '']) expect(() => decodeSignedManifest({ manifest: json, signature }), signature).toThrow('signed dataset manifest: "signature" must be lowercase hex')
    expect(decodeSignedManifest({ manifest: json, signature: '00ff' }).signature).toBe('00ff')
    // Two classes is the least a classifier can have: taken; one is refused.
    expect(decodeManifest({ ...json, classes: ['a', 'b'], classCounts: [5, 5] }).classes).toEqual(['a', 'b'])
    expect(() => decodeManifest({ ...json, classes: ['a'], classCounts: [10] })).toThrow('dataset manifest: needs at least 2 classes')
  })
})

describe('manifest limits', async () => {
  const { manifest } = await buildDataset(sampleSet(10, 2), { name: 'x', licence: 'MIT', description: '' }, 'p', 1)
  const json = JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>
  const decode = (patch: object) => decodeManifest({ ...json, ...patch })

  it('bounds classes between 2 and 256, each name at most 64 characters', () => {
    expect(() => decode({ classes: ['only'], classCounts: [10] })).toThrow('dataset manifest: needs at least 2 classes')
    const many = Array.from({ length: 256 }, (_, i) => `c${i}`)
    expect(decode({ classes: many, classCounts: many.map(() => 0) }).classes).toHaveLength(256)
    expect(() => decode({ classes: [...many, 'x'], classCounts: [...many.map(() => 0), 0] })).toThrow('"classes" has more than 256 entries')
    expect(decode({ classes: ['a'.repeat(64), 'b', 'c'] }).classes[0]).toHaveLength(64)
    expect(() => decode({ classes: ['a'.repeat(65), 'b', 'c'] })).toThrow('"classes[0]" is longer than 64')
  })

  it('bounds chunks between 1 and 512, each holding 1 to the chunk limit of samples', async () => {
    const chunk = (json.chunks as Array<{ cid: string; samples: number }>)[0]!
    const distinct = await Promise.all(Array.from({ length: 513 }, async (_, i) => ({ cid: (await cidOf(Uint8Array.of(i & 0xff, i >> 8))).toString(), samples: 1 })))
    expect(decode({ chunks: distinct.slice(0, 512) }).chunks).toHaveLength(512)
    expect(() => decode({ chunks: distinct })).toThrow('"chunks" must list 1 to 512 chunks')
    expect(() => decode({ chunks: 'all' })).toThrow('"chunks" must list 1 to 512 chunks')
    expect(() => decode({ chunks: [{ ...chunk, samples: 0 }] })).toThrow('dataset manifest chunks[0]: "samples" must be between 1 and')
    expect(decode({ chunks: [{ ...chunk, samples: MAX_SAMPLES_PER_CHUNK }] }).chunks[0]!.samples).toBe(MAX_SAMPLES_PER_CHUNK)
    expect(() => decode({ chunks: [{ ...chunk, samples: MAX_SAMPLES_PER_CHUNK + 1 }] })).toThrow(`"samples" must be between 1 and ${MAX_SAMPLES_PER_CHUNK}`)
    expect(() => decode({ chunks: [{ ...chunk, cid: 'b'.repeat(129) }] })).toThrow('"cid" is longer than 128')
    expect(() => decode({ chunks: ['cid'] })).toThrow('dataset manifest chunks[0]: expected an object')
  })

  it('takes a Merkle root of exactly 0x and 64 lowercase hex digits', () => {
    const root = json.merkleRoot as string
    for (const bad of [root.toUpperCase().replace('0X', '0x'), root.slice(2), `${root}0`, root.slice(0, -1), `0x${'g'.repeat(64)}`]) expect(() => decode({ merkleRoot: bad }), bad).toThrow(/merkleRoot/)
    expect(decode({ merkleRoot: root }).merkleRoot).toBe(root)
  })

  it('bounds every field: text lengths, image sides 1 to 1024, counts non-negative whole numbers', () => {
    expect(decode({ name: 'n'.repeat(120) }).name).toHaveLength(120)
    expect(() => decode({ name: 'n'.repeat(121) })).toThrow('"name" is longer than 120')
    expect(() => decode({ licence: 'l'.repeat(65) })).toThrow('"licence" is longer than 64')
    expect(decode({ description: 'd'.repeat(2000) }).description).toHaveLength(2000)
    expect(() => decode({ description: 'd'.repeat(2001) })).toThrow('"description" is longer than 2000')
    for (const side of ['height', 'width']) {
      expect(decode({ [side]: 1024 })[side as 'height']).toBe(1024)
      expect(() => decode({ [side]: 1025 })).toThrow(`"${side}" must be between 1 and 1024`)
      expect(() => decode({ [side]: 0 })).toThrow(`"${side}" must be between 1 and 1024`)
    }
    expect(() => decode({ samples: 0 })).toThrow('"samples" must be between 1 and')
    expect(() => decode({ classCounts: [5, -1, 6] })).toThrow('"classCounts[1]" must be a non-negative integer')
    expect(() => decode({ classCounts: [5, 0.5, 6] })).toThrow('"classCounts[1]" must be a non-negative integer')
    expect(() => decode({ classCounts: [5, '1', 6] })).toThrow('"classCounts[1]" must be a non-negative integer')
    expect(() => decode({ classCounts: [3, 3, 3, 1] })).toThrow('"classCounts" must list 3 counts, one per class')
    expect(() => decode({ owner: 'o'.repeat(129) })).toThrow('"owner" is longer than 128')
    expect(() => decode({ createdAtMs: -1 })).toThrow('"createdAtMs" must be between 0')
    expect(() => decodeManifest('manifest')).toThrow('dataset manifest: expected an object')
  })

  it('checks its own numbers: a name, no chunk twice', async () => {
    await expect(checkManifest({ ...manifest, name: '   ' })).rejects.toThrow('has no name')
    const [only] = manifest.chunks
    const doubled = { ...manifest, chunks: [only!, { ...only!, samples: 0 }] }
    await expect(checkManifest(doubled)).rejects.toThrow('lists the same chunk twice')
  })

  it('takes a signature only as lowercase hex of whole bytes, at most 256 digits', () => {
    expect(decodeSignedManifest({ manifest: json, signature: 'ab'.repeat(128) }).signature).toHaveLength(256)
    expect(() => decodeSignedManifest({ manifest: json, signature: 'ab'.repeat(128) + 'ab' })).toThrow('"signature" is longer than 256')
    for (const bad of ['abc', '', 'AB', 'zz']) expect(() => decodeSignedManifest({ manifest: json, signature: bad }), bad).toThrow('"signature" must be lowercase hex')
    expect(() => decodeSignedManifest({ manifest: { ...json, format: 'x' }, signature: 'ab' })).toThrow('unknown format "x"')
  })
})
