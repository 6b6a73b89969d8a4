// Turns a labelled image set into content-addressed shard blocks owned by `owner`, ready to name in a job.
// Each shard is one block, cut exactly as a contributed dataset's chunks are.
import { chunkBlock, chunkImages } from '../data/chunks.ts'
import type { TaskBlock } from '../data/task-block.ts'
import type { TaskSpec } from '../data/task.ts'
import type { LabelledImages } from '../data/labelled-images.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import type { ShardRef } from '../training/job.ts'

export async function publishShards(exchange: BlockExchange, set: LabelledImages, shardSize: number, owner: string): Promise<ShardRef[]> {
  const refs: ShardRef[] = []
  for (const chunk of await chunkImages(set, shardSize)) {
    await exchange.put(chunk.bytes)
    refs.push({ cid: chunk.cid, samples: chunk.samples, owner })
  }
  return refs
}

/** A task's samples as shard blocks (TSB2) owned by `owner`, at most `shardSize` samples each. */
export async function publishBlocks(exchange: BlockExchange, task: TaskSpec, block: TaskBlock, shardSize: number, owner: string): Promise<ShardRef[]> {
  const refs: ShardRef[] = []
  for (const chunk of await chunkBlock(task, block, shardSize)) {
    await exchange.put(chunk.bytes)
    refs.push({ cid: chunk.cid, samples: chunk.samples, owner })
  }
  return refs
}
