import { describe, expect, it } from 'vitest'
import { testJob } from './testing/job-fixture.ts'
import { Harness, runRounds } from './testing/coordinator-harness.ts'
import { addProvider, chunksToReplicate, datasetCopies, dropProvider, type ProviderBook } from './availability.ts'
import type { DatasetOffer } from './datasets.ts'

// One own shard only, so contributed chunks (least used first) are planned into the first units.
const job = (overrides = {}) => testJob({ auditRate: 0, innerSteps: 4, unitsPerRound: 4, train: [{ cid: 'own-0', samples: 64, owner: 'alice' }], ...overrides })
const chunks = ['chunk-a', 'chunk-b', 'chunk-c']
const offer: DatasetOffer = {
  id: 'ds-1', name: 'carol\'s', licence: 'CC0-1.0', owner: 'carol', height: 28, width: 28, classes: job().classes,
  chunks: chunks.map((cid) => ({ cid, samples: 64 })), merkleRoot: 'root', samples: 192,
}

async function withDataset(overrides = {}): Promise<Harness> {
  const h = new Harness(job(overrides))
  await h.open()
  await h.coordinator.offerDataset(offer)
  await h.coordinator.decideDataset('ds-1', true, '')
  return h
}

const cidsOf = (h: Harness, shards: number[]) => shards.map((s) => h.coordinator.shardAt(s).cid)
const plannedCids = (h: Harness) => h.coordinator.view.current.units.flatMap((u) => cidsOf(h, u.shards))

describe('provider book', () => {
  it('counts a dataset\'s copies by its least-held chunk and forgets a provider that left', () => {
    const book: ProviderBook = {}
    addProvider(book, 'carol', chunks)
    addProvider(book, 'coordinator', chunks)
    addProvider(book, 'v1', ['chunk-a'])
    expect(datasetCopies(book, offer.chunks)).toBe(2)
    expect(dropProvider(book, 'carol')).toEqual([])
    expect(datasetCopies(book, offer.chunks)).toBe(1)
    expect(dropProvider(book, 'coordinator').sort()).toEqual(['chunk-b', 'chunk-c'])
    expect(datasetCopies(book, offer.chunks)).toBe(0)
  })
})

describe('data availability in the coordinator', () => {
  it('moves open units off a chunk the moment its only provider leaves, and plans no unit on it afterwards', async () => {
    const h = await withDataset()
    // Planned at acceptance time for the next round; close this one so the dataset is planned.
    await runRounds(h, [['a', 'honest']], 1)
    expect(plannedCids(h).filter((c) => chunks.includes(c)).length).toBeGreaterThan(0)
    const taken = await h.coordinator.requestWork('a')
    expect(taken.kind).toBe('unit')
    await h.coordinator.peerLeft('carol')
    // Nothing of carol's is planned any more, and a's hold on a moved unit was released so it asks again.
    expect(plannedCids(h).filter((c) => chunks.includes(c))).toEqual([])
    const again = await h.coordinator.requestWork('a')
    expect(again.kind === 'unit' && again.unit.shards.every((s) => s.cid === 'own-0')).toBe(true)
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 2)
    expect(h.coordinator.view.history.slice(-2).every((r) => r.accepted === 4 && r.dropped === 0)).toBe(true)
    expect(plannedCids(h).filter((c) => chunks.includes(c))).toEqual([])
  })

  it('keeps training on a dataset whose owner left while the coordinator or a volunteer still serves it', async () => {
    const h = await withDataset()
    await h.coordinator.providersFound('coordinator', ['chunk-a', 'chunk-b'])
    await h.coordinator.requestWork('v1', ['chunk-c', 'not-a-pool-chunk'])
    expect(h.coordinator.view.providers!['not-a-pool-chunk']).toBeUndefined()
    await h.coordinator.peerLeft('carol')
    await h.coordinator.peerLeft('v1')
    await runRounds(h, [['a', 'honest']], 2)
    // chunk-c went with v1; the coordinator's two copies stay planned.
    const used = new Set(h.coordinator.view.current.units.flatMap((u) => cidsOf(h, u.shards)).concat(plannedCids(h)))
    expect(used.has('chunk-c')).toBe(false)
    expect(h.coordinator.view.shardUse[2]! + h.coordinator.view.shardUse[1]!).toBeGreaterThan(2)
  })

  it('asks volunteers to copy under-replicated chunks until the job\'s replication target is met', async () => {
    const h = await withDataset({ replication: 3 })
    await h.coordinator.providersFound('coordinator', chunks)
    const first = await h.coordinator.requestWork('v1')
    expect(first.kind === 'unit' && first.replicate.map((r) => r.cid)).toEqual(['chunk-a', 'chunk-b'])
    // Each unit reply names the live providers of its contributed chunks.
    if (first.kind === 'unit' && first.unit.shards[0]!.dataset) expect(first.providers[first.unit.shards[0]!.cid]).toEqual(['carol', 'coordinator'])
    await h.coordinator.requestWork('v1', ['chunk-a', 'chunk-b'])
    await h.coordinator.requestWork('v2', ['chunk-c'])
    expect(datasetCopies(h.coordinator.view.providers!, offer.chunks)).toBe(3)
    expect(chunksToReplicate(h.coordinator.job, h.coordinator.view, 'v3')).toEqual([])
    await h.coordinator.peerLeft('carol')
    expect(datasetCopies(h.coordinator.view.providers!, offer.chunks)).toBe(2)
    expect(chunksToReplicate(h.coordinator.job, h.coordinator.view, 'v3').length).toBe(2)
  })

  it('moves a unit to other data when its holder reports a chunk nobody delivered', async () => {
    const h = await withDataset()
    await runRounds(h, [['a', 'honest']], 1)
    const reply = await h.coordinator.requestWork('a')
    if (reply.kind !== 'unit') throw new Error('expected a unit')
    const chunk = reply.unit.shards.find((s) => s.dataset)!
    expect(chunk).toBeDefined()
    expect(await h.coordinator.chunkMissing('b', reply.unit.unitId, chunk.cid)).toBe(false)
    expect(await h.coordinator.chunkMissing('a', reply.unit.unitId, chunk.cid)).toBe(true)
    const again = await h.coordinator.requestWork('a')
    expect(again.kind === 'unit' && again.unit.unitId).toBe(reply.unit.unitId)
    expect(again.kind === 'unit' && again.unit.shards.map((s) => s.cid)).not.toContain(chunk.cid)
  })
})

describe('who may move a unit off missing data', () => {
  it('only the peer holding that unit, before it has delivered', async () => {
    const h = await withDataset()
    await runRounds(h, [['a', 'honest']], 1)
    // Peers take units in turn until one that is not the round's first holds a contributed chunk.
    let found: { peer: string; unitId: string; cid: string } | null = null
    for (const peer of ['p0', 'p1', 'p2', 'p3']) {
      const reply = await h.coordinator.requestWork(peer)
      if (reply.kind !== 'unit') continue
      const chunk = reply.unit.shards.find((s) => s.dataset)
      if (chunk && h.coordinator.view.current.units.findIndex((u) => u.id === reply.unit.unitId) > 0) found ??= { peer, unitId: reply.unit.unitId, cid: chunk.cid }
    }
    if (!found) throw new Error('no unit after the first holds a contributed chunk: the fixture no longer plans the dataset')
    const other = ['p0', 'p1', 'p2', 'p3'].find((p) => p !== found!.peer)!
    expect(await h.coordinator.chunkMissing(other, found.unitId, found.cid)).toBe(false)
    expect(await h.coordinator.chunkMissing(found.peer, found.unitId, found.cid)).toBe(true)
    // The move is saved at once: a coordinator restarted now plans the unit without the chunk.
    const moved = h.coordinator.view.current.units.find((u) => u.id === found!.unitId)!
    await h.open()
    expect(h.coordinator.view.current.units.find((u) => u.id === found!.unitId)!.shards).toEqual(moved.shards)
    expect(cidsOf(h, moved.shards)).not.toContain(found.cid)
    // Its hold was released with the move: until it takes the unit again it cannot move it a second time.
    expect(await h.coordinator.chunkMissing(found.peer, found.unitId, cidsOf(h, moved.shards)[0]!)).toBe(false)
    // Once it has delivered (and its result won the unit), reporting missing data moves nothing.
    const again = await h.coordinator.requestWork(found.peer)
    if (again.kind !== 'unit') throw new Error('expected the moved unit back')
    await h.submit(found.peer, await h.compute(found.peer, again.unit))
    await h.coordinator.settled()
    const shards = h.coordinator.view.current.units.find((u) => u.id === found!.unitId)?.shards
    const chunk = again.unit.shards.find((s) => s.dataset)?.cid ?? again.unit.shards[0]!.cid
    expect(await h.coordinator.chunkMissing(found.peer, found.unitId, chunk)).toBe(false)
    expect(h.coordinator.view.current.units.find((u) => u.id === found!.unitId)?.shards).toEqual(shards)
  })
})

describe('round deadlines', () => {
  it('closes a round at its deadline when units were handed out but nothing was delivered', async () => {
    const h = new Harness(job())
    await h.open()
    await h.coordinator.requestWork('a')
    h.clock += 10_001
    expect(await h.coordinator.tick()).toMatchObject({ round: 0, version: 0, accepted: 0, dropped: 4 })
    expect(h.coordinator.view.current).toMatchObject({ round: 1, version: 0 })
  })

  it('keeps an idle round (no unit ever taken) open instead of burning rounds on nothing', async () => {
    const h = new Harness(job())
    await h.open()
    h.clock += 10_001
    expect(await h.coordinator.tick()).toBeNull()
    expect(h.coordinator.view.current).toMatchObject({ round: 0, deadlineMs: h.clock + 10_000 })
  })

  it('after a restart, a result that was being checked when the process died no longer holds the round open', async () => {
    const h = new Harness(job())
    await h.open()
    const reply = await h.coordinator.requestWork('a')
    if (reply.kind !== 'unit') throw new Error('expected a unit')
    await h.submit('a', await h.compute('a', reply.unit))
    // The process dies here: the checkpoint on disk has the result still being verified.
    const onDisk = h.checkpoints.text!
    expect(JSON.parse(onDisk).current.units.some((u: { holders: Array<{ status: string }> }) => u.holders.some((x) => x.status === 'verifying'))).toBe(true)
    await h.coordinator.settled()
    const restarted = new Harness(job())
    Object.assign(restarted, { vectors: h.vectors })
    restarted.checkpoints.text = onDisk
    restarted.clock = h.clock + 60_000
    await restarted.open()
    expect(await restarted.coordinator.tick()).toMatchObject({ round: 0, accepted: 0 })
    expect(restarted.coordinator.view.current.round).toBe(1)
  })
})
