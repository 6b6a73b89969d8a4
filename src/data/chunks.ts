// A dataset is stored and shared as fixed-size chunks: each chunk is one data-shard block (shard-block.ts)
// of up to samplesPerChunk samples, small enough to be a single block on the exchange, and named by the
// sha2-256 CID of its bytes. Only the last chunk may be shorter.
import { cidOf } from './cid.ts'
import { asLabelledImages, type SampleSet, type SampleShape } from './samples.ts'
import type { LabelledImages } from './labelled-images.ts'
import { encodeShard, SHARD_HEADER_BYTES } from './shard-block.ts'
import { encodeBlock, samplesPerBlock, type TaskBlock } from './task-block.ts'
import type { TaskSpec } from './task.ts'

/** One block on the exchange (MAX_BLOCK_BYTES) holds a chunk. */
export const MAX_CHUNK_BYTES = 1 << 20
export const MAX_SAMPLES_PER_CHUNK = 1024

export interface Chunk {
  cid: string
  samples: number
  bytes: Uint8Array
}

export function samplesPerChunk(shape: Pick<SampleShape, 'height' | 'width'>): number {
  return Math.max(1, Math.min(MAX_SAMPLES_PER_CHUNK, Math.floor((MAX_CHUNK_BYTES - SHARD_HEADER_BYTES) / (shape.height * shape.width + 1))))
}

/** Chunks of `perChunk` samples in order, each encoded as a data-shard block and named by its CID. */
export async function chunkImages(images: LabelledImages, perChunk: number): Promise<Chunk[]> {
  if (images.height * images.width * perChunk + perChunk + SHARD_HEADER_BYTES > MAX_CHUNK_BYTES) throw new RangeError(`${perChunk} samples per chunk do not fit in one ${MAX_CHUNK_BYTES}-byte block`)
  const chunks: Chunk[] = []
  for (let start = 0; start < images.count; start += perChunk) {
    const samples = Math.min(perChunk, images.count - start)
    const bytes = encodeShard(images, start, samples)
    chunks.push({ cid: (await cidOf(bytes)).toString(), samples, bytes })
  }
  return chunks
}

/** A task's samples as chunks of at most `perChunk` (and at most what one block holds), each a TSB2 block. */
export async function chunkBlock(task: TaskSpec, block: TaskBlock, perChunk = samplesPerBlock(task)): Promise<Chunk[]> {
  const per = Math.min(perChunk, samplesPerBlock(task))
  if (!(Number.isInteger(per) && per >= 1)) throw new RangeError(`a chunk holds at least one sample, not ${perChunk}`)
  const chunks: Chunk[] = []
  for (let start = 0; start < block.count; start += per) {
    const samples = Math.min(per, block.count - start)
    const bytes = encodeBlock(task, block, start, samples)
    chunks.push({ cid: (await cidOf(bytes)).toString(), samples, bytes })
  }
  return chunks
}

export function chunkSamples(set: SampleSet, perChunk = samplesPerChunk(set.shape)): Promise<Chunk[]> {
  return chunkImages(asLabelledImages(set), perChunk)
}
