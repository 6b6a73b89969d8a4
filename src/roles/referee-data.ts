// The referee's view of a unit's training samples: its shards fetched over the block exchange (the
// coordinator holds the job's own shards and keeps accepted datasets' chunks), concatenated and batched the
// way volunteers batch them. Recently used units are cached, since a probe and a replay of the same unit
// follow each other.
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { concatBlocks } from '../data/task-block.ts'
import { taskBatch } from '../data/task-batch.ts'
import type { TaskSpec } from '../data/task.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import type { UnitData } from '../training/referee.ts'
import type { UnitAssignment } from '../training/unit.ts'
import { fetchTaskShard } from './dataset-chunks.ts'

const CACHED_UNITS = 8

export function refereeData(exchange: BlockExchange, task: () => TaskSpec): (unit: UnitAssignment) => Promise<UnitData> {
  const cache = new Map<string, Promise<UnitData>>()
  return (unit) => {
    const key = unit.shards.map((s) => s.cid).join(',')
    let data = cache.get(key)
    if (!data) {
      data = (async () => {
        const spec = task()
        const set = concatBlocks(spec, await Promise.all(unit.shards.map((s) => fetchTaskShard(exchange, s, spec, providersOf(s.owner)))))
        return { count: set.count, makeBatch: (indices: Uint32Array, salt: number) => taskBatch(spec, set, indices, undefined, salt) }
      })()
      data.catch(() => cache.delete(key))
      cache.set(key, data)
      while (cache.size > CACHED_UNITS) cache.delete(cache.keys().next().value!)
    }
    return data
  }
}

function providersOf(owner: string): PeerId[] {
  try {
    return [peerIdFromString(owner)]
  } catch {
    return []
  }
}
