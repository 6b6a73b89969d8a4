// From reviewed samples to what gets stored and shared: fixed-size chunks, their Merkle root and an
// (unsigned) manifest. The receiving side's checks live with the fetch (roles/dataset-chunks.ts).
import { DataFormatError } from './errors.ts'
import { chunkSamples, type Chunk } from './chunks.ts'
import { MANIFEST_FORMAT, type DatasetManifest } from './manifest.ts'
import { merkleRoot } from './merkle.ts'
import { classCounts, type SampleSet } from './samples.ts'
import { concatShards, decodeShard } from './shard-block.ts'
import { manifestShape } from './manifest.ts'

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

/** The samples of a saved dataset back from its chunks (in manifest order), to review and save as a new version. */
export function samplesFromChunks(manifest: DatasetManifest, chunks: Uint8Array[]): SampleSet {
  if (chunks.length !== manifest.chunks.length) throw new DataFormatError(`"${manifest.name}"`, `has ${manifest.chunks.length} chunks but ${chunks.length} were found in storage`)
  const shards = chunks.map((bytes, i) => {
    const shard = decodeShard(bytes, `chunk ${i} of "${manifest.name}"`)
    if (shard.count !== manifest.chunks[i]!.samples) throw new DataFormatError(`chunk ${i} of "${manifest.name}"`, `holds ${shard.count} samples, the manifest says ${manifest.chunks[i]!.samples}`)
    return shard
  })
  const all = concatShards(shards)
  const sources = manifest.chunks.flatMap((c, i) => Array.from({ length: c.samples }, (_, r) => ({ file: `${manifest.name} (chunk ${i + 1})`, row: r + 1 })))
  return { shape: manifestShape(manifest), count: all.count, pixels: all.pixels, labels: all.labels, sources }
}
