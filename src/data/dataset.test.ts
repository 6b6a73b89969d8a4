import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { chunkSamples, MAX_SAMPLES_PER_CHUNK, samplesPerChunk } from './chunks.ts'
import { cidOf } from './cid.ts'
import { canonicalManifest, checkManifest, datasetId, decodeManifest, decodeSignedManifest, manifestFormat, manifestSigningBytes, MANIFEST_FORMAT, MANIFEST_FORMAT_V2, type DatasetManifestV1 } from './manifest.ts'
import { merkleProof, merkleRoot, verifyMerkleProof } from './merkle.ts'
import { decodeShard } from './shard-block.ts'
import { FASHION_MNIST_SHAPE, type SampleSet } from './samples.ts'
import { buildDataset, buildTaskDataset, samplesFromChunks, taskSamplesFromChunks } from './build-dataset.ts'
import type { ImportFile } from './import-files.ts'
import { blockTask, sameFormat, type SampleFormat } from './sample-format.ts'
import { decodeBlock, makeBlock } from './task-block.ts'
import { importTaskFiles } from './task-import.ts'
import type { TaskSamples } from './task-sample-set.ts'
import { readNamedTable } from './tabular-read.ts'
import { inferTabularSchema } from './tabular-schema.ts'
import { characterVocab, readTextFile, type TextSchema } from './text.ts'
import { decodeTestPng } from './testing/png.ts'
import { readSharedFile } from './testing/shared-files.ts'

const shape = { height: 3, width: 2, classes: ['a', 'b', 'c'] }
const sampleSet = (count: number, seed: number): SampleSet => ({
  shape,
  count,
  pixels: Uint8Array.from({ length: count * 6 }, (_, i) => (i * 31 + seed) & 0xff),
  labels: Uint8Array.from({ length: count }, (_, i) => (i + seed) % 3),
  sources: Array.from({ length: count }, (_, i) => ({ file: 'f', row: i + 1 })),
})
/** A format-1 manifest decoded (the tests patch format-1 fields such as height and classes). */
const decodeV1 = (value: unknown): DatasetManifestV1 => {
  const m = decodeManifest(value)
  if (m.format !== MANIFEST_FORMAT) throw new Error(`decoded a ${m.format} manifest`)
  return m
}
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
    expect(decodeV1({ ...json, classes: ['a', 'b'], classCounts: [5, 5] }).classes).toEqual(['a', 'b'])
    expect(() => decodeManifest({ ...json, classes: ['a'], classCounts: [10] })).toThrow('dataset manifest: needs at least 2 classes')
  })
})

describe('manifest limits', async () => {
  const { manifest } = await buildDataset(sampleSet(10, 2), { name: 'x', licence: 'MIT', description: '' }, 'p', 1)
  const json = JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>
  const decode = (patch: object) => decodeV1({ ...json, ...patch })

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

describe('format-2 manifests: samples of any format in TSB2 chunks', () => {
  const decodeFile = decodeTestPng
  const file = (path: string, bytes: Uint8Array): ImportFile => ({ path, size: bytes.length, read: async () => bytes })
  const wine = async () => {
    const bytes = await readSharedFile('tabular/wine.csv')
    const schema = inferTabularSchema(readNamedTable({ name: 'wine.csv', bytes }), { label: 'cultivar' })
    return (await importTaskFiles([file('wine.csv', bytes)], { kind: 'tabular', schema }, 'crop', { decode: decodeFile })).samples
  }

  it('keeps a format-1 manifest\'s canonical bytes and id exactly as they were, whatever its key order', async () => {
    const v1: DatasetManifestV1 = { format: 'tesserae-dataset/1', name: 'Coats', licence: 'CC0-1.0', description: 'my coats', height: 28, width: 28, classes: ['coat', 'shirt'], chunks: [{ cid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku', samples: 3 }], merkleRoot: `0x${'ab'.repeat(32)}`, samples: 3, classCounts: [2, 1], owner: '12D3KooWowner', createdAtMs: 1700000000000 }
    const pinned = '{"format":"tesserae-dataset/1","name":"Coats","licence":"CC0-1.0","description":"my coats","height":28,"width":28,"classes":["coat","shirt"],"chunks":[{"cid":"bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku","samples":3}],"merkleRoot":"0xabababababababababababababababababababababababababababababababab","samples":3,"classCounts":[2,1],"owner":"12D3KooWowner","createdAtMs":1700000000000}'
    const reordered = decodeManifest(Object.fromEntries(Object.entries(v1).reverse()))
    for (const m of [v1, reordered]) {
      expect(new TextDecoder().decode(canonicalManifest(m))).toBe(pinned)
      expect(await datasetId(m)).toBe('bafkreifs4la2qjkuav55b4wodoi3z7etuammo35y3hbazm42kpfnblzwwy')
    }
    expect(manifestFormat(v1)).toEqual({ kind: 'image', height: 28, width: 28, channels: 1, classes: ['coat', 'shirt'] })
  })

  it('Wine: builds, round-trips through JSON, checks out, and gives back exactly its samples; the id follows the format', async () => {
    const samples = await wine()
    const { manifest, chunks } = await buildTaskDataset(samples, { name: ' Wine ', licence: 'CC-BY-4.0', description: 'UCI wine' }, 'peer-w', 9)
    expect(manifest).toMatchObject({ format: MANIFEST_FORMAT_V2, name: 'Wine', samples: 178, classCounts: [59, 71, 48], owner: 'peer-w', createdAtMs: 9 })
    expect(sameFormat(manifest.sample, samples.format)).toBe(true)
    expect(chunks.map((c) => c.samples)).toEqual([178])
    expect(decodeBlock(chunks[0]!.bytes, blockTask(manifest.sample)).count).toBe(178)
    expect(new TextDecoder().decode(canonicalManifest(manifest))).toMatch(/^\{"format":"tesserae-dataset\/2","name":"Wine","licence":"CC-BY-4.0","description":"UCI wine","sample":\{"kind":"tabular","schema":\{"kind":"tabular","features":\[\{"name":"alcohol","kind":"numeric"\},/)
    const back = decodeManifest(JSON.parse(JSON.stringify(manifest)))
    if (back.format !== MANIFEST_FORMAT_V2) throw new Error(`decoded a ${back.format} manifest`)
    await checkManifest(back)
    expect(back).toEqual(manifest)
    expect(await datasetId(back)).toBe(await datasetId(manifest))
    // A peer's key order does not change the id; a format that differs does.
    const json = JSON.parse(JSON.stringify(manifest)) as { sample: { schema: Record<string, unknown> } }
    json.sample.schema = Object.fromEntries(Object.entries(json.sample.schema).reverse())
    expect(await datasetId(decodeManifest(json))).toBe(await datasetId(manifest))
    if (manifest.sample.kind !== 'tabular') throw new Error('a tabular format')
    const renamed = { ...manifest, sample: { ...manifest.sample, schema: { ...manifest.sample.schema, label: 'grape' } } }
    expect(await datasetId(renamed)).not.toBe(await datasetId(manifest))
    // Every field is signed: other class counts are another dataset.
    expect(await datasetId({ ...manifest, classCounts: [58, 72, 48] })).not.toBe(await datasetId(manifest))
    expect(new TextDecoder().decode(canonicalManifest(manifest))).toContain('"classCounts":[59,71,48],"owner":"peer-w","createdAtMs":9}')
    expect(manifestFormat(manifest)).toBe(manifest.sample)
    const again = taskSamplesFromChunks(back, chunks.map((c) => c.bytes))
    expect([again.block.x, again.block.y]).toEqual([samples.block.x, samples.block.y])
    expect(again.sources[177]).toEqual({ file: 'Wine (chunk 1)', row: 178 })
  })

  it('The Devil\'s Dictionary: text has no classes, so no class counts; its chunks come back only whole and in order', async () => {
    const bytes = await readSharedFile('text/devils-dictionary.txt')
    const schema: TextSchema = { kind: 'text', tokens: 'characters', vocab: characterVocab(readTextFile({ name: 'd.txt', bytes }), 96), context: 64 }
    const { samples } = await importTaskFiles([file('d.txt', bytes)], { kind: 'text', schema }, 'crop', { decode: decodeFile })
    const { manifest, chunks } = await buildTaskDataset(samples, { name: 'Devil', licence: 'CC0-1.0', description: '' }, 'p', 1)
    expect(manifest.classCounts).toEqual([])
    expect(chunks.slice(0, -1).every((c) => c.samples === 1024)).toBe(true)
    expect(chunks.reduce((n, c) => n + c.samples, 0)).toBe(samples.block.count)
    await checkManifest(decodeManifest(JSON.parse(JSON.stringify(manifest))))
    const json = JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>
    expect(() => decodeManifest({ ...json, classCounts: [manifest.samples] })).toThrow('dataset manifest: "classCounts" must be empty: these samples have no classes')
    await expect(checkManifest({ ...manifest, classCounts: [manifest.samples] })).rejects.toThrow('lists 1 class counts, but its samples have no classes')
    const all = chunks.map((c) => c.bytes)
    expect(taskSamplesFromChunks(manifest, all).block.x).toEqual(samples.block.x)
    expect(() => taskSamplesFromChunks(manifest, all.slice(1))).toThrow(`"Devil" has ${chunks.length} chunks but ${chunks.length - 1} were found in storage`)
    expect(() => taskSamplesFromChunks(manifest, [...all].reverse())).toThrow(/^chunk 0 of "Devil" holds \d+ samples, the manifest says 1024/)
    const wineChunk = (await buildTaskDataset(await wine(), { name: 'W', licence: 'MIT', description: '' }, 'p', 1)).chunks[0]!.bytes
    expect(() => taskSamplesFromChunks(manifest, [wineChunk, ...all.slice(1)])).toThrow('chunk 0 of "Devil" holds tabular samples, not this job\'s text samples')
    const shard = (await buildDataset(sampleSet(3, 1), { name: 'old', licence: 'MIT', description: '' }, 'p', 1)).chunks[0]!.bytes
    expect(() => taskSamplesFromChunks(manifest, [shard, ...all.slice(1)])).toThrow('chunk 0 of "Devil" wrong magic number (not a Tesserae sample block)')
  })

  it('colour pictures: one count per class; a chunk declaring more than one block holds is refused', async () => {
    const format: SampleFormat = { kind: 'image', height: 32, width: 32, channels: 3, classes: ['a', 'b', 'c'] }
    const labels = Uint8Array.from({ length: 400 }, (_, i) => (i % 5 === 0 ? 2 : i % 2))
    const samples: TaskSamples = { format, block: makeBlock(blockTask(format), Uint8Array.from({ length: 400 * 3072 }, (_, i) => (i * 7) & 0xff), labels), sources: [] }
    const { manifest, chunks } = await buildTaskDataset(samples, { name: 'Colours', licence: 'MIT', description: '' }, 'p', 1)
    expect(chunks.map((c) => c.samples)).toEqual([341, 59])
    expect(manifest.classCounts).toEqual([160, 160, 80])
    await checkManifest(manifest)
    const [first, second] = manifest.chunks as [{ cid: string; samples: number }, { cid: string; samples: number }]
    await expect(checkManifest({ ...manifest, chunks: [{ ...first, samples: 342 }, { ...second, samples: 58 }] })).rejects.toThrow('chunk 0 declares 342 samples, more than the 341 one block of its samples holds')
    await expect(checkManifest({ ...manifest, classCounts: [160, 160] })).rejects.toThrow('lists 2 class counts for its 3 classes')
    await expect(checkManifest({ ...manifest, classCounts: [160, 160, 81] })).rejects.toThrow('its class counts add up to 401, not 400')
    await expect(buildTaskDataset({ ...samples, block: makeBlock(blockTask(format), new Uint8Array(0), new Uint8Array(0)) }, { name: 'None', licence: 'MIT', description: '' }, 'p', 1)).rejects.toThrow('None has no samples')
    await expect(buildTaskDataset(samples, { name: '  ', licence: 'MIT', description: '' }, 'p', 1)).rejects.toThrow('the dataset needs a name')
  })

  it('decodes a format-2 manifest strictly: its sample format, and class counts that match it', async () => {
    const { manifest } = await buildTaskDataset(await wine(), { name: 'Wine', licence: 'MIT', description: '' }, 'p', 1)
    const json = JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>
    expect(() => decodeManifest({ ...json, format: 'tesserae-dataset/3' })).toThrow('dataset manifest: unknown format "tesserae-dataset/3"; expected "tesserae-dataset/1" or "tesserae-dataset/2"')
    expect(() => decodeManifest({ ...json, sample: undefined })).toThrow('sample format: expected an object')
    expect(() => decodeManifest({ ...json, sample: { kind: 'image', height: 8, width: 8, channels: 2, classes: ['a', 'b'] } })).toThrow('sample format: "channels" must be 1 (grayscale) or 3 (RGB)')
    expect(() => decodeManifest({ ...json, classCounts: [178] })).toThrow('dataset manifest: "classCounts" must list 3 counts, one per class')
    expect(() => decodeManifest({ ...json, chunks: [] })).toThrow('"chunks" must list 1 to 512 chunks')
    expect(() => decodeManifest({ ...json, merkleRoot: '0x1' })).toThrow(/merkleRoot/)
    // Format-1 fields mean nothing here and are not part of the signed bytes.
    const extra = decodeManifest({ ...json, height: 28 })
    expect(canonicalManifest(extra)).toEqual(canonicalManifest(manifest))
  })
})
