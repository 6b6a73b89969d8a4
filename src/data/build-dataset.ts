// From reviewed samples to what gets stored and shared: fixed-size chunks, their Merkle root and an
// (unsigned) manifest, and back again to edit a saved dataset. Grayscale SampleSets make format-1 manifests of
// TSH1 chunks; TaskSamples of any format make format-2 manifests of TSB2 chunks. The receiving side's checks
// live with the fetch (roles/dataset-chunks.ts).
import { DataFormatError } from './errors.ts'
import { chunkBlock, chunkSamples, type Chunk } from './chunks.ts'
import { MANIFEST_FORMAT, MANIFEST_FORMAT_V2, MAX_MANIFEST_CHUNKS, manifestShape, type DatasetManifestV1, type DatasetManifestV2 } from './manifest.ts'
import { merkleRoot } from './merkle.ts'
import { blockTask, canonicalFormat, describeFormat } from './sample-format.ts'
import { classCounts, type SampleSet, type SampleSource } from './samples.ts'
import { concatShards, decodeShard } from './shard-block.ts'
import { concatBlocks, decodeBlock } from './task-block.ts'
import { taskClassCounts, type TaskSamples } from './task-sample-set.ts'

export interface DatasetInfo {
  name: string
  licence: string
  description: string
}

/** The name, licence and description as a manifest holds them; a dataset needs samples and a name. */
function about(info: DatasetInfo, count: number): Pick<DatasetManifestV1, 'name' | 'licence' | 'description'> {
  if (count === 0) throw new DataFormatError(info.name || 'the dataset', 'has no samples')
  if (info.name.trim() === '') throw new DataFormatError('the dataset', 'needs a name')
  return { name: info.name.trim().slice(0, 120), licence: info.licence.slice(0, 64), description: info.description.slice(0, 2000) }
}

export async function buildDataset(samples: SampleSet, info: DatasetInfo, owner: string, now: number): Promise<{ manifest: DatasetManifestV1; chunks: Chunk[] }> {
  const { name, licence, description } = about(info, samples.count)
  const chunks = await chunkSamples(samples)
  const manifest: DatasetManifestV1 = {
    format: MANIFEST_FORMAT,
    name,
    licence,
    description,
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

/** A format-2 dataset: the samples as TSB2 chunks of as many as one block holds. */
export async function buildTaskDataset(samples: TaskSamples, info: DatasetInfo, owner: string, now: number): Promise<{ manifest: DatasetManifestV2; chunks: Chunk[] }> {
  const { name, licence, description } = about(info, samples.block.count)
  const chunks = await chunkBlock(blockTask(samples.format), samples.block)
  if (chunks.length > MAX_MANIFEST_CHUNKS) throw new DataFormatError(`"${name}"`, `needs ${chunks.length} chunks for its ${samples.block.count} samples of ${describeFormat(samples.format)}, over the ${MAX_MANIFEST_CHUNKS} one dataset may list; save it as smaller datasets`)
  const manifest: DatasetManifestV2 = {
    format: MANIFEST_FORMAT_V2,
    name,
    licence,
    description,
    sample: canonicalFormat(samples.format),
    chunks: chunks.map((c) => ({ cid: c.cid, samples: c.samples })),
    merkleRoot: await merkleRoot(chunks),
    samples: samples.block.count,
    classCounts: taskClassCounts(samples),
    owner,
    createdAtMs: now,
  }
  return { manifest, chunks }
}

function checkChunkCount(manifest: { name: string; chunks: unknown[] }, chunks: readonly Uint8Array[]): void {
  if (chunks.length !== manifest.chunks.length) throw new DataFormatError(`"${manifest.name}"`, `has ${manifest.chunks.length} chunks but ${chunks.length} were found in storage`)
}

function checkSamples(manifest: { name: string; chunks: Array<{ samples: number }> }, i: number, count: number): void {
  if (count !== manifest.chunks[i]!.samples) throw new DataFormatError(`chunk ${i} of "${manifest.name}"`, `holds ${count} samples, the manifest says ${manifest.chunks[i]!.samples}`)
}

/** Where each sample of a saved dataset came from: its chunk and place in it. */
const chunkSources = (manifest: { name: string; chunks: Array<{ samples: number }> }): SampleSource[] =>
  manifest.chunks.flatMap((c, i) => Array.from({ length: c.samples }, (_, r) => ({ file: `${manifest.name} (chunk ${i + 1})`, row: r + 1 })))

/** The samples of a saved dataset back from its chunks (in manifest order), to review and save as a new version. */
export function samplesFromChunks(manifest: DatasetManifestV1, chunks: Uint8Array[]): SampleSet {
  checkChunkCount(manifest, chunks)
  const shards = chunks.map((bytes, i) => {
    const shard = decodeShard(bytes, `chunk ${i} of "${manifest.name}"`)
    checkSamples(manifest, i, shard.count)
    return shard
  })
  const all = concatShards(shards)
  return { shape: manifestShape(manifest), count: all.count, pixels: all.pixels, labels: all.labels, sources: chunkSources(manifest) }
}

/** The same for a format-2 dataset: every chunk is decoded (and checked value by value) against its format. */
export function taskSamplesFromChunks(manifest: DatasetManifestV2, chunks: Uint8Array[]): TaskSamples {
  checkChunkCount(manifest, chunks)
  const task = blockTask(manifest.sample)
  const blocks = chunks.map((bytes, i) => {
    const block = decodeBlock(bytes, task, `chunk ${i} of "${manifest.name}"`)
    checkSamples(manifest, i, block.count)
    return block
  })
  return { format: manifest.sample, block: concatBlocks(task, blocks), sources: chunkSources(manifest) }
}
