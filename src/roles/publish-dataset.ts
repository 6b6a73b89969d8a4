// Turns a labelled image set into content-addressed shard blocks owned by `owner`, ready to name in a job.
// Each shard is one block, in the same format as a contributed dataset's chunks.
import { encodeShard } from '../data/shard-block.ts'
import type { LabelledImages } from '../data/labelled-images.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import type { ShardRef } from '../training/job.ts'

export async function publishShards(exchange: BlockExchange, set: LabelledImages, shardSize: number, owner: string): Promise<ShardRef[]> {
  const refs: ShardRef[] = []
  for (let start = 0; start < set.count; start += shardSize) {
    const count = Math.min(shardSize, set.count - start)
    refs.push({ cid: (await exchange.put(encodeShard(set, start, count))).toString(), samples: count, owner })
  }
  return refs
}
