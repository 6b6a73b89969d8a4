// From reviewed samples to what gets stored and shared: fixed-size chunks, their Merkle root and an
// (unsigned) manifest; and the receiving side's check that a fetched chunk is the one the manifest names.
import { DataFormatError } from './errors.ts'
import { chunkSamples, type Chunk } from './chunks.ts'
import { MANIFEST_FORMAT, type DatasetManifest } from './manifest.ts'
import { merkleRoot } from './merkle.ts'
import { classCounts, type SampleSet } from './samples.ts'
import { decodeShard } from './shard-block.ts'
import type { LabelledImages } from './labelled-images.ts'

export interface DatasetInfo {
  name: string
  licence: string
  description: string
}

export async function buildDataset(samples: SampleSet, info: DatasetInfo, owner: string, now: number): Promise<{ manifest: DatasetManifest; chunks: Chunk[] }> {
  if (samples.count === 0) throw new DataFormatError(info.name || 'the dataset', 'has no samples')
  if (info.name.trim() === '') throw new DataFormatError('the dataset', 'needs a name')
  const chunks = await chunkSamples(samples)
  const manifest: DatasetManifest = {
    format: MANIFEST_FORMAT,
    name: info.name.trim().slice(0, 120),
    licence: info.licence.slice(0, 64),
    description: info.description.slice(0, 2000),
    height: samples.shape.height,
    width: samples.shape.width,
    classes: [...samples.shape.classes],
    chunks: chunks.map((c) => ({ cid: c.cid, samples: c.samples })),
    merkleRoot: await merkleRoot(chunks),
    samples: samples.count,
    classCounts: classCounts(samples),
    owner,
    createdAtMs: now,
  }
  return { manifest, chunks }
}

/** Decodes chunk `index` of `manifest` (already verified against its CID) and checks it matches the manifest. */
export function decodeChunk(bytes: Uint8Array, manifest: DatasetManifest, index: number): LabelledImages {
  const ref = manifest.chunks[index]
  if (!ref) throw new RangeError(`the manifest has no chunk ${index}`)
  const name = `chunk ${index} of "${manifest.name.slice(0, 40)}"`
  const shard = decodeShard(bytes, name)
  if (shard.count !== ref.samples) throw new DataFormatError(name, `holds ${shard.count} samples, the manifest says ${ref.samples}`)
  if (shard.height !== manifest.height || shard.width !== manifest.width || shard.classes !== manifest.classes.length)
    throw new DataFormatError(name, `is ${shard.height}×${shard.width} with ${shard.classes} classes, the manifest says ${manifest.height}×${manifest.width} with ${manifest.classes.length}`)
  return shard
}
