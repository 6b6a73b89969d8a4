// From reviewed samples to what gets stored and shared: fixed-size chunks, their Merkle root and an
// (unsigned) manifest. The receiving side's checks live with the fetch (roles/dataset-chunks.ts).
import { DataFormatError } from './errors.ts'
import { chunkSamples, type Chunk } from './chunks.ts'
import { MANIFEST_FORMAT, type DatasetManifest } from './manifest.ts'
import { merkleRoot } from './merkle.ts'
import { classCounts, type SampleSet } from './samples.ts'

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
