// A dataset manifest: what the data is (name, licence, description, and what a sample is), where it is (chunk
// CIDs with their sample counts), a Merkle root over the chunks, and who owns it. The owner signs the canonical
// bytes; the dataset's id is the CID of those bytes, so any change to any field is a different dataset.
// Manifests arrive from peers: decoded strictly, then checked for internal consistency. Format 1 holds
// grayscale images in TSH1 chunks; format 2 holds samples of any SampleFormat in TSB2 chunks (task-block.ts).
import { DecodeError } from '../errors.ts'
import { asObject, readInteger, readString, readStringArray, type JsonObject } from '../schema.ts'
import { parseCid, cidOf } from './cid.ts'
import { MAX_SAMPLES_PER_CHUNK } from './chunks.ts'
import { merkleRoot } from './merkle.ts'
import { MAX_CLASSES, type SampleShape } from './samples.ts'
import { blockTask, canonicalFormat, decodeSampleFormat, formatClasses, type SampleFormat } from './sample-format.ts'
import { samplesPerBlock } from './task-block.ts'

export const MANIFEST_FORMAT = 'tesserae-dataset/1'
export const MANIFEST_FORMAT_V2 = 'tesserae-dataset/2'
export const MAX_MANIFEST_CHUNKS = 512
/** Domain separation for the owner's signature; the format inside the bytes tells the versions apart. */
const SIGNING_PREFIX = 'tesserae dataset manifest v1\n'

export const LICENCES = ['CC-BY-4.0', 'CC-BY-SA-4.0', 'CC0-1.0', 'MIT', 'ODbL-1.0', 'proprietary'] as const

/** Format 1: grayscale images of height × width, chunks in TSH1 (shard-block.ts). */
export interface DatasetManifestV1 {
  format: typeof MANIFEST_FORMAT
  name: string
  licence: string
  description: string
  height: number
  width: number
  classes: string[]
  chunks: Array<{ cid: string; samples: number }>
  merkleRoot: string
  samples: number
  classCounts: number[]
  /** Peer id of the owner, whose key signs the manifest and who is credited for its samples. */
  owner: string
  createdAtMs: number
}

/** Format 2: samples of `sample`, chunks in TSB2 (task-block.ts). */
export interface DatasetManifestV2 {
  format: typeof MANIFEST_FORMAT_V2
  name: string
  licence: string
  description: string
  sample: SampleFormat
  chunks: Array<{ cid: string; samples: number }>
  merkleRoot: string
  samples: number
  /** One count per class of `sample` (formatClasses); empty for a format without classes. */
  classCounts: number[]
  owner: string
  createdAtMs: number
}

export type DatasetManifest = DatasetManifestV1 | DatasetManifestV2

export interface SignedManifest {
  manifest: DatasetManifest
  /** Lowercase hex Ed25519 signature over manifestSigningBytes(manifest). */
  signature: string
}

export const manifestShape = (m: DatasetManifestV1): SampleShape => ({ height: m.height, width: m.width, classes: m.classes })

/** What a sample of the dataset is: format 1's grayscale images, or format 2's own. */
export function manifestFormat(m: DatasetManifest): SampleFormat {
  return m.format === MANIFEST_FORMAT ? { kind: 'image', height: m.height, width: m.width, channels: 1, classes: [...m.classes] } : m.sample
}

/** Fixed key order, so the same manifest always has the same bytes (format 1's are those it always had). */
export function canonicalManifest(m: DatasetManifest): Uint8Array {
  if (m.format === MANIFEST_FORMAT_V2) {
    const ordered: DatasetManifestV2 = {
      format: m.format,
      name: m.name,
      licence: m.licence,
      description: m.description,
      sample: canonicalFormat(m.sample),
      chunks: m.chunks.map((c) => ({ cid: c.cid, samples: c.samples })),
      merkleRoot: m.merkleRoot,
      samples: m.samples,
      classCounts: [...m.classCounts],
      owner: m.owner,
      createdAtMs: m.createdAtMs,
    }
    return new TextEncoder().encode(JSON.stringify(ordered))
  }
  const ordered: DatasetManifestV1 = {
    format: m.format,
    name: m.name,
    licence: m.licence,
    description: m.description,
    height: m.height,
    width: m.width,
    classes: [...m.classes],
    chunks: m.chunks.map((c) => ({ cid: c.cid, samples: c.samples })),
    merkleRoot: m.merkleRoot,
    samples: m.samples,
    classCounts: [...m.classCounts],
    owner: m.owner,
    createdAtMs: m.createdAtMs,
  }
  return new TextEncoder().encode(JSON.stringify(ordered))
}

export function manifestSigningBytes(m: DatasetManifest): Uint8Array {
  const body = canonicalManifest(m)
  const prefix = new TextEncoder().encode(SIGNING_PREFIX)
  const out = new Uint8Array(prefix.length + body.length)
  out.set(prefix)
  out.set(body, prefix.length)
  return out
}

export async function datasetId(m: DatasetManifest): Promise<string> {
  return (await cidOf(canonicalManifest(m))).toString()
}

function readCounts(obj: Record<string, unknown>, key: string, what: string, length: number): number[] {
  const list = obj[key]
  if (!Array.isArray(list) || list.length !== length) throw new DecodeError(what, length === 0 ? `"${key}" must be empty: these samples have no classes` : `"${key}" must list ${length} counts, one per class`)
  return list.map((v: unknown, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new DecodeError(what, `"${key}[${i}]" must be a non-negative integer`)
    return v
  })
}

function readChunks(obj: JsonObject, what: string): DatasetManifest['chunks'] {
  const chunkList = obj.chunks
  if (!Array.isArray(chunkList) || chunkList.length === 0 || chunkList.length > MAX_MANIFEST_CHUNKS) throw new DecodeError(what, `"chunks" must list 1 to ${MAX_MANIFEST_CHUNKS} chunks`)
  return chunkList.map((c: unknown, i) => {
    const chunk = asObject(c, `${what} chunks[${i}]`)
    const cid = readString(chunk, 'cid', `${what} chunks[${i}]`, 128)
    parseCid(cid)
    return { cid, samples: readInteger(chunk, 'samples', `${what} chunks[${i}]`, 1, MAX_SAMPLES_PER_CHUNK) }
  })
}

function readMerkleRoot(obj: JsonObject, what: string): string {
  const merkle = readString(obj, 'merkleRoot', what, 66)
  if (!/^0x[0-9a-f]{64}$/.test(merkle)) throw new DecodeError(what, '"merkleRoot" must be 0x and 64 lowercase hex digits')
  return merkle
}

const readSamples = (obj: JsonObject, what: string) => readInteger(obj, 'samples', what, 1, MAX_MANIFEST_CHUNKS * MAX_SAMPLES_PER_CHUNK)
const readOwner = (obj: JsonObject, what: string) => readString(obj, 'owner', what, 128)
const readAbout = (obj: JsonObject, what: string) => ({ name: readString(obj, 'name', what, 120), licence: readString(obj, 'licence', what, 64), description: readString(obj, 'description', what, 2000) })

function decodeManifestV1(obj: JsonObject, what: string): DatasetManifestV1 {
  const classes = readStringArray(obj, 'classes', what, MAX_CLASSES, 64)
  if (classes.length < 2) throw new DecodeError(what, 'needs at least 2 classes')
  const chunks = readChunks(obj, what)
  const merkle = readMerkleRoot(obj, what)
  const about = readAbout(obj, what)
  return {
    format: MANIFEST_FORMAT,
    ...about,
    height: readInteger(obj, 'height', what, 1, 1024),
    width: readInteger(obj, 'width', what, 1, 1024),
    classes,
    chunks,
    merkleRoot: merkle,
    samples: readSamples(obj, what),
    classCounts: readCounts(obj, 'classCounts', what, classes.length),
    owner: readOwner(obj, what),
    createdAtMs: readInteger(obj, 'createdAtMs', what),
  }
}

function decodeManifestV2(obj: JsonObject, what: string): DatasetManifestV2 {
  const sample = decodeSampleFormat(obj.sample)
  const chunks = readChunks(obj, what)
  const merkle = readMerkleRoot(obj, what)
  const about = readAbout(obj, what)
  return {
    format: MANIFEST_FORMAT_V2,
    ...about,
    sample,
    chunks,
    merkleRoot: merkle,
    samples: readSamples(obj, what),
    classCounts: readCounts(obj, 'classCounts', what, formatClasses(sample)?.length ?? 0),
    owner: readOwner(obj, what),
    createdAtMs: readInteger(obj, 'createdAtMs', what),
  }
}

/** Decodes the shape of a manifest of either format; checkManifest then verifies that its numbers add up. */
export function decodeManifest(value: unknown): DatasetManifest {
  const what = 'dataset manifest'
  const obj = asObject(value, what)
  if (obj.format === MANIFEST_FORMAT) return decodeManifestV1(obj, what)
  if (obj.format === MANIFEST_FORMAT_V2) return decodeManifestV2(obj, what)
  throw new DecodeError(what, `unknown format ${JSON.stringify(obj.format)?.slice(0, 40)}; expected "${MANIFEST_FORMAT}" or "${MANIFEST_FORMAT_V2}"`)
}

/**
 * The manifest's own numbers agree: chunk samples sum to the total, as do the class counts (one per class of
 * the format, none for a format without classes), no chunk holds more than one block can, the root matches.
 */
export async function checkManifest(m: DatasetManifest): Promise<void> {
  const what = `dataset manifest "${m.name.slice(0, 40)}"`
  if (m.name.trim() === '') throw new DecodeError(what, 'has no name')
  const chunkTotal = m.chunks.reduce((n, c) => n + c.samples, 0)
  if (chunkTotal !== m.samples) throw new DecodeError(what, `its chunks hold ${chunkTotal} samples but it declares ${m.samples}`)
  const classes = formatClasses(manifestFormat(m))
  if (m.classCounts.length !== (classes?.length ?? 0)) throw new DecodeError(what, classes ? `lists ${m.classCounts.length} class counts for its ${classes.length} classes` : `lists ${m.classCounts.length} class counts, but its samples have no classes`)
  const classTotal = m.classCounts.reduce((n, c) => n + c, 0)
  if (classes && classTotal !== m.samples) throw new DecodeError(what, `its class counts add up to ${classTotal}, not ${m.samples}`)
  if (m.format === MANIFEST_FORMAT_V2) {
    const perBlock = samplesPerBlock(blockTask(m.sample))
    const over = m.chunks.findIndex((c) => c.samples > perBlock)
    if (over !== -1) throw new DecodeError(what, `chunk ${over} declares ${m.chunks[over]!.samples} samples, more than the ${perBlock} one block of its samples holds`)
  }
  if (new Set(m.chunks.map((c) => c.cid)).size !== m.chunks.length) throw new DecodeError(what, 'lists the same chunk twice')
  if ((await merkleRoot(m.chunks)) !== m.merkleRoot) throw new DecodeError(what, 'its Merkle root does not match its chunks')
}

export function decodeSignedManifest(value: unknown): SignedManifest {
  const obj = asObject(value, 'signed dataset manifest')
  const signature = readString(obj, 'signature', 'signed dataset manifest', 256)
  if (!/^[0-9a-f]+$/.test(signature) || signature.length % 2 !== 0) throw new DecodeError('signed dataset manifest', '"signature" must be lowercase hex')
  return { manifest: decodeManifest(obj.manifest), signature }
}
