// A dataset manifest: what the data is (name, licence, description, classes, shape), where it is (chunk CIDs
// with their sample counts), a Merkle root over the chunks, and who owns it. The owner signs the canonical
// bytes; the dataset's id is the CID of those bytes, so any change to any field is a different dataset.
// Manifests arrive from peers: decoded strictly, then checked for internal consistency.
import { DecodeError } from '../errors.ts'
import { asObject, readInteger, readString, readStringArray } from '../schema.ts'
import { parseCid, cidOf } from './cid.ts'
import { MAX_SAMPLES_PER_CHUNK } from './chunks.ts'
import { merkleRoot } from './merkle.ts'
import { MAX_CLASSES, type SampleShape } from './samples.ts'

export const MANIFEST_FORMAT = 'tesserae-dataset/1'
export const MAX_MANIFEST_CHUNKS = 512
const SIGNING_PREFIX = 'tesserae dataset manifest v1\n'

export const LICENCES = ['CC-BY-4.0', 'CC-BY-SA-4.0', 'CC0-1.0', 'MIT', 'ODbL-1.0', 'proprietary'] as const

export interface DatasetManifest {
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

export interface SignedManifest {
  manifest: DatasetManifest
  /** Lowercase hex Ed25519 signature over manifestSigningBytes(manifest). */
  signature: string
}

export const manifestShape = (m: DatasetManifest): SampleShape => ({ height: m.height, width: m.width, classes: m.classes })

/** Fixed key order, so the same manifest always has the same bytes. */
export function canonicalManifest(m: DatasetManifest): Uint8Array {
  const ordered: DatasetManifest = {
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
  if (!Array.isArray(list) || list.length !== length) throw new DecodeError(what, `"${key}" must list ${length} counts, one per class`)
  return list.map((v: unknown, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new DecodeError(what, `"${key}[${i}]" must be a non-negative integer`)
    return v
  })
}

/** Decodes the shape of a manifest; checkManifest then verifies that its numbers add up. */
export function decodeManifest(value: unknown): DatasetManifest {
  const what = 'dataset manifest'
  const obj = asObject(value, what)
  if (obj.format !== MANIFEST_FORMAT) throw new DecodeError(what, `unknown format ${JSON.stringify(obj.format)?.slice(0, 40)}; expected "${MANIFEST_FORMAT}"`)
  const classes = readStringArray(obj, 'classes', what, MAX_CLASSES, 64)
  if (classes.length < 2) throw new DecodeError(what, 'needs at least 2 classes')
  const chunkList = obj.chunks
  if (!Array.isArray(chunkList) || chunkList.length === 0 || chunkList.length > MAX_MANIFEST_CHUNKS) throw new DecodeError(what, `"chunks" must list 1 to ${MAX_MANIFEST_CHUNKS} chunks`)
  const chunks = chunkList.map((c: unknown, i) => {
    const chunk = asObject(c, `${what} chunks[${i}]`)
    const cid = readString(chunk, 'cid', `${what} chunks[${i}]`, 128)
    parseCid(cid)
    return { cid, samples: readInteger(chunk, 'samples', `${what} chunks[${i}]`, 1, MAX_SAMPLES_PER_CHUNK) }
  })
  const merkle = readString(obj, 'merkleRoot', what, 66)
  if (!/^0x[0-9a-f]{64}$/.test(merkle)) throw new DecodeError(what, '"merkleRoot" must be 0x and 64 lowercase hex digits')
  return {
    format: MANIFEST_FORMAT,
    name: readString(obj, 'name', what, 120),
    licence: readString(obj, 'licence', what, 64),
    description: readString(obj, 'description', what, 2000),
    height: readInteger(obj, 'height', what, 1, 1024),
    width: readInteger(obj, 'width', what, 1, 1024),
    classes,
    chunks,
    merkleRoot: merkle,
    samples: readInteger(obj, 'samples', what, 1, MAX_MANIFEST_CHUNKS * MAX_SAMPLES_PER_CHUNK),
    classCounts: readCounts(obj, 'classCounts', what, classes.length),
    owner: readString(obj, 'owner', what, 128),
    createdAtMs: readInteger(obj, 'createdAtMs', what),
  }
}

/** The manifest's own numbers agree: chunk samples and class counts sum to the total, the root matches. */
export async function checkManifest(m: DatasetManifest): Promise<void> {
  const what = `dataset manifest "${m.name.slice(0, 40)}"`
  if (m.name.trim() === '') throw new DecodeError(what, 'has no name')
  const chunkTotal = m.chunks.reduce((n, c) => n + c.samples, 0)
  if (chunkTotal !== m.samples) throw new DecodeError(what, `its chunks hold ${chunkTotal} samples but it declares ${m.samples}`)
  const classTotal = m.classCounts.reduce((n, c) => n + c, 0)
  if (classTotal !== m.samples) throw new DecodeError(what, `its class counts add up to ${classTotal}, not ${m.samples}`)
  if (new Set(m.chunks.map((c) => c.cid)).size !== m.chunks.length) throw new DecodeError(what, 'lists the same chunk twice')
  if ((await merkleRoot(m.chunks)) !== m.merkleRoot) throw new DecodeError(what, 'its Merkle root does not match its chunks')
}

export function decodeSignedManifest(value: unknown): SignedManifest {
  const obj = asObject(value, 'signed dataset manifest')
  const signature = readString(obj, 'signature', 'signed dataset manifest', 256)
  if (!/^[0-9a-f]+$/.test(signature) || signature.length % 2 !== 0) throw new DecodeError('signed dataset manifest', '"signature" must be lowercase hex')
  return { manifest: decodeManifest(obj.manifest), signature }
}
