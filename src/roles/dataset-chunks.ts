// Fetching a contributed dataset's chunks over the block exchange: each chunk is one block, verified against
// its CID by Bitswap (a tampered copy never matches, so the want stays open until an honest peer answers),
// then decoded and checked against what the dataset declared.
import type { PeerId } from '@libp2p/interface'
import { parseCid } from '../data/cid.ts'
import { DataFormatError } from '../data/errors.ts'
import type { LabelledImages } from '../data/labelled-images.ts'
import { decodeShard } from '../data/shard-block.ts'
import { decodeTaskShard } from '../data/task-shard.ts'
import type { TaskBlock } from '../data/task-block.ts'
import type { TaskSpec } from '../data/task.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import type { DatasetOffer } from '../training/datasets.ts'
import type { ShardRef } from '../training/job.ts'

export const CHUNK_TIMEOUT_MS = 60_000

/** One shard (a job's own or a dataset chunk) as a single block, preferring the listed providers. */
export async function fetchShard(exchange: BlockExchange, ref: Pick<ShardRef, 'cid' | 'samples'>, providers: PeerId[], timeoutMs = CHUNK_TIMEOUT_MS): Promise<LabelledImages> {
  const name = `shard ${ref.cid.slice(0, 16)}…`
  const shard = decodeShard(await exchange.get(parseCid(ref.cid), { providers, timeoutMs }), name)
  if (shard.count !== ref.samples) throw new DataFormatError(name, `holds ${shard.count} samples, but ${ref.samples} were announced`)
  return shard
}

/** One shard of a job as samples of its task (a TSB2 block, or a TSH1 shard for a grayscale image task). */
export async function fetchTaskShard(exchange: BlockExchange, ref: Pick<ShardRef, 'cid' | 'samples'>, task: TaskSpec, providers: PeerId[], timeoutMs = CHUNK_TIMEOUT_MS): Promise<TaskBlock> {
  const name = `shard ${ref.cid.slice(0, 16)}…`
  const block = decodeTaskShard(await exchange.get(parseCid(ref.cid), { providers, timeoutMs }), task, name)
  if (block.count !== ref.samples) throw new DataFormatError(name, `holds ${block.count} samples, but ${ref.samples} were announced`)
  return block
}

/** Fetches and checks every chunk of `dataset`; unless `keep`, chunks not held before are dropped again. */
export async function checkDatasetChunks(exchange: BlockExchange, dataset: DatasetOffer, providers: PeerId[], options: { keep: boolean }): Promise<void> {
  for (const [i, chunk] of dataset.chunks.entries()) {
    const cid = parseCid(chunk.cid)
    const held = await exchange.has(cid)
    const shard = await fetchShard(exchange, chunk, providers)
    if (shard.height !== dataset.height || shard.width !== dataset.width || shard.classes !== dataset.classes.length)
      throw new DataFormatError(`chunk ${i} of "${dataset.name}"`, `is ${shard.height}×${shard.width} with ${shard.classes} classes; the dataset declares ${dataset.height}×${dataset.width} with ${dataset.classes.length}`)
    if (!held && !options.keep) await exchange.blockstore.delete(cid)
  }
}
