// Data availability as a property of the swarm: who holds each contributed chunk. The coordinator pins every
// accepted chunk itself, volunteers pin the chunks they fetch and say so with each work request, and a peer
// whose connection closes stops counting at once. A chunk is planned into a unit only while at least one live
// provider is known; when the last one goes, the open units on it move to other data immediately; and
// under-replicated chunks are handed to volunteers to copy until the job's replication target is met.
import type { CoordinatorState, RoundState, UnitState } from './coordinator-state.ts'
import type { JobSpec, ShardRef } from './job.ts'
import { pickShards } from './datasets.ts'

/** Copies of each contributed chunk the swarm aims for when a job does not say (owner, coordinator, one more). */
export const DEFAULT_REPLICATION = 3
/** Providers remembered per chunk: enough to find a copy, bounded so a peer cannot grow the checkpoint. */
export const MAX_PROVIDERS_PER_CHUNK = 32
/** Chunks one volunteer is asked to copy per assignment (each is at most a 1 MiB block). */
export const REPLICATE_PER_UNIT = 2

export const replicationTarget = (job: JobSpec) => job.replication ?? DEFAULT_REPLICATION

/** Live providers by chunk CID (contributed datasets' chunks only: the job's own shards are the coordinator's). */
export type ProviderBook = Record<string, string[]>

/** Adds `peer` as a provider of each of `cids` it holds; returns whether anything changed. */
export function addProvider(book: ProviderBook, peer: string, cids: Iterable<string>): boolean {
  let changed = false
  for (const cid of cids) {
    const list = (book[cid] ??= [])
    if (list.includes(peer) || list.length >= MAX_PROVIDERS_PER_CHUNK) continue
    list.push(peer)
    changed = true
  }
  return changed
}

/** `peer` is gone (or said it no longer holds `cids`): the chunks it alone held are returned. */
export function dropProvider(book: ProviderBook, peer: string, cids?: Iterable<string>): string[] {
  const orphaned: string[] = []
  for (const cid of cids ?? Object.keys(book)) {
    const list = book[cid]
    if (!list?.includes(peer)) continue
    book[cid] = list.filter((p) => p !== peer)
    if (book[cid].length === 0) orphaned.push(cid)
  }
  return orphaned
}

export const copiesOf = (book: Readonly<ProviderBook>, cid: string) => book[cid]?.length ?? 0

/** How many copies of a dataset the swarm holds: the fewest of any of its chunks. */
export function datasetCopies(book: Readonly<ProviderBook>, chunks: ReadonlyArray<{ cid: string }>): number {
  return chunks.length === 0 ? 0 : Math.min(...chunks.map((c) => copiesOf(book, c.cid)))
}

/** A pool shard may be planned: the job's own always (the coordinator holds them), a contributed chunk while someone serves it. */
export function reachable(book: Readonly<ProviderBook>, shard: ShardRef): boolean {
  return shard.dataset === undefined || copiesOf(book, shard.cid) > 0
}

/** Pool indices of the shards that may be planned now: the job's own, then accepted, reachable datasets' chunks. */
export function activeShards(job: JobSpec, state: CoordinatorState): number[] {
  const accepted = new Set(state.datasets.filter((d) => d.status === 'accepted').map((d) => d.id))
  const book = state.providers ?? {}
  const own = job.train.length
  return [...job.train.keys(), ...state.pool.flatMap((s, i) => (s.dataset && accepted.has(s.dataset) && reachable(book, s) ? [own + i] : []))]
}

/** Units whose data was fetched already (being verified, or accepted) keep it; any other open unit may move. */
const movable = (unit: UnitState) => unit.outcome === 'open' && !unit.holders.some((h) => h.status === 'verifying' || h.status === 'accepted')

/** Replaces the shards of `unit` that `drop` says to with the least used active ones, and releases its holders. */
function moveShards(job: JobSpec, state: CoordinatorState, unit: UnitState, drop: (index: number) => boolean): void {
  const active = activeShards(job, state).filter((i) => !drop(i))
  unit.shards = unit.shards.map((s) => {
    if (!drop(s)) return s
    const [pick] = pickShards(active, state.shardUse, 1)
    state.shardUse[pick!] = (state.shardUse[pick!] ?? 0) + 1
    return pick!
  })
  for (const h of unit.holders) if (h.status === 'assigned') h.status = 'released'
}

/**
 * Moves every still-open unit of `round` that trains on a shard nobody serves onto other data, releasing whoever
 * was fetching it (that volunteer asks again and gets the unit with its new shards). Returns the ids moved.
 */
export function reassignUnreachable(job: JobSpec, state: CoordinatorState, round: RoundState): string[] {
  const own = job.train.length
  const book = state.providers ?? {}
  const unusable = (index: number) => index >= own && !reachable(book, state.pool[index - own]!)
  const moved = round.units.filter((u) => movable(u) && u.shards.some(unusable))
  for (const unit of moved) moveShards(job, state, unit, unusable)
  return moved.map((u) => u.id)
}

/** Moves `unit` off chunk `cid` (its holder could not fetch it from anyone); false when it cannot move. */
export function moveUnitOff(job: JobSpec, state: CoordinatorState, unit: UnitState, cid: string): boolean {
  const own = job.train.length
  const isCid = (index: number) => index >= own && state.pool[index - own]!.cid === cid
  if (!movable(unit) || !unit.shards.some(isCid)) return false
  moveShards(job, state, unit, isCid)
  return true
}

/**
 * Chunks of accepted datasets below the replication target that `peer` does not hold yet, fewest copies first:
 * what a volunteer is asked to fetch and pin alongside its unit.
 */
export function chunksToReplicate(job: JobSpec, state: CoordinatorState, peer: string, limit = REPLICATE_PER_UNIT): ShardRef[] {
  const accepted = new Set(state.datasets.filter((d) => d.status === 'accepted').map((d) => d.id))
  const book = state.providers ?? {}
  const target = replicationTarget(job)
  return state.pool
    .filter((s) => s.dataset !== undefined && accepted.has(s.dataset) && copiesOf(book, s.cid) > 0 && copiesOf(book, s.cid) < target && !book[s.cid]!.includes(peer))
    .sort((a, b) => copiesOf(book, a.cid) - copiesOf(book, b.cid))
    .slice(0, limit)
}
