// Fetching a contributed dataset's chunks over the block exchange: each chunk is one block, verified against
// its CID by Bitswap (a tampered copy never matches, so the want stays open until an honest peer answers),
// then decoded and checked against what the dataset declared.
import type { PeerId } from '@libp2p/interface'
import { parseCid } from '../data/cid.ts'
import { DataFormatError } from '../data/errors.ts'
import type { LabelledImages } from '../data/labelled-images.ts'
import { decodeShard } from '../data/shard-block.ts'
import { decodeTaskShard } from '../data/task-shard.ts'
import { concatBlocks, type TaskBlock } from '../data/task-block.ts'
import { blockTask } from '../data/sample-format.ts'
import type { TaskSpec } from '../data/task.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import { offerFormat, type DatasetOffer } from '../training/datasets.ts'
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

/**
 * Fetches and checks every chunk of `dataset` as samples of its format (decoded value by value, counts as
 * announced); unless `keep`, chunks not held before are dropped again. Returns the samples, in chunk order.
 */
export async function checkDatasetChunks(exchange: BlockExchange, dataset: DatasetOffer, providers: PeerId[], options: { keep: boolean }): Promise<TaskBlock> {
  const task = blockTask(offerFormat(dataset))
  const blocks: TaskBlock[] = []
  for (const [i, chunk] of dataset.chunks.entries()) {
    const cid = parseCid(chunk.cid)
    const held = await exchange.has(cid)
    try {
      blocks.push(await fetchTaskShard(exchange, chunk, task, providers))
    } catch (error) {
      // Named as the dataset's chunk, with the decoder's finding (which named the bare shard).
      if (error instanceof DataFormatError) throw new DataFormatError(`chunk ${i} of "${dataset.name}"`, error.message.slice(error.fileName.length + 1))
      throw error
    }
    if (!held && !options.keep) await exchange.blockstore.delete(cid)
  }
  return concatBlocks(task, blocks)
}
