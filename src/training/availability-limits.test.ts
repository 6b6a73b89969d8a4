// Who serves each contributed chunk decides what may be planned and which units move: the provider book's
// bound, the copy counts, the shards still plannable, units moved off unserved data, and which chunks a
// volunteer is asked to copy. Plain state, worked by hand.
import { describe, expect, it } from 'vitest'
import {
  activeShards, addProvider, chunksToReplicate, copiesOf, datasetCopies, dropProvider, moveUnitOff, reachable, reassignUnreachable, replicationTarget, type ProviderBook,
} from './availability.ts'
import type { CoordinatorState, HolderState, HolderStatus, UnitState } from './coordinator-state.ts'
import type { DatasetState } from './datasets.ts'
import { CreditsLedger } from './credits.ts'
import { testJob } from './testing/job-fixture.ts'

// Two own shards (pool indices 0 and 1); contributed chunks follow at 2, 3, …
const job = testJob({ train: [{ cid: 'own-0', samples: 64, owner: 'alice' }, { cid: 'own-1', samples: 64, owner: 'alice' }] })

const dataset = (id: string, status: DatasetState['status']): DatasetState => ({
  id, name: id, licence: 'CC0-1.0', owner: 'carol', height: 28, width: 28, classes: job.classes, chunks: [], merkleRoot: 'r', samples: 0,
  status, reason: '', offeredAtMs: 0, decidedAtMs: 0, samplesUsed: 0, fits: true,
})

/** Pool: chunk-a, chunk-b (dataset "yes", accepted), chunk-c (dataset "no", rejected). */
const state = (providers?: ProviderBook): CoordinatorState => ({
  format: 2, jobId: job.id, secret: '07'.repeat(32), current: { round: 0, version: 0, paramsCid: 'p', startedAtMs: 0, deadlineMs: 0, secretCommitment: '', units: [] }, momentumCid: null, centreCid: null,
  peers: {}, ledger: new CreditsLedger().toJSON(), history: [], initialAccuracy: null, finished: false, reference: [],
  datasets: [dataset('yes', 'accepted'), dataset('no', 'rejected')],
  pool: [{ cid: 'chunk-a', samples: 8, owner: 'carol', dataset: 'yes' }, { cid: 'chunk-b', samples: 8, owner: 'carol', dataset: 'yes' }, { cid: 'chunk-c', samples: 8, owner: 'carol', dataset: 'no' }],
  shardUse: [], bindings: {}, bannedWallets: [], seq: 0, logHead: null, ...(providers ? { providers } : {}),
})
const hold = (peer: string, status: HolderStatus): HolderState => ({ peer, assignedAtMs: 0, status })
const unit = (id: string, shards: number[], holders: HolderState[] = []): UnitState => ({ id, index: 0, shards, seed: 0, holders, outcome: 'open' })

describe('provider book', () => {
  it('lists a provider once, at most 32 per chunk, and says whether anything changed', () => {
    const book: ProviderBook = {}
    expect(addProvider(book, 'p0', ['x', 'y'])).toBe(true)
    expect(addProvider(book, 'p0', ['x'])).toBe(false)
    expect(book).toEqual({ x: ['p0'], y: ['p0'] })
    for (let i = 1; i < 32; i++) addProvider(book, `p${i}`, ['x'])
    expect(book.x).toHaveLength(32)
    expect(addProvider(book, 'p32', ['x'])).toBe(false)
    expect(book.x).not.toContain('p32')
    // A full chunk does not stop the others from being recorded.
    expect(addProvider(book, 'p32', ['x', 'y'])).toBe(true)
    expect(book.y).toEqual(['p0', 'p32'])
    expect(addProvider(book, 'p99', [])).toBe(false)
  })

  it('drops a provider from the chunks named, or from all, and returns the chunks nobody serves any more', () => {
    const book: ProviderBook = { x: ['a'], y: ['a', 'b'], z: ['a'], empty: [] }
    expect(dropProvider(book, 'a', ['x', 'y', 'unknown'])).toEqual(['x'])
    expect(book).toEqual({ x: [], y: ['b'], z: ['a'], empty: [] })
    // A chunk that already had nobody is not reported again, nor one the peer never served.
    expect(dropProvider(book, 'a')).toEqual(['z'])
    expect(dropProvider(book, 'b', ['z'])).toEqual([])
    expect(book.y).toEqual(['b'])
  })

  it('counts a chunk\'s copies, a dataset\'s by its least-held chunk, and none for a dataset without chunks', () => {
    const book: ProviderBook = { x: ['a', 'b', 'c'], y: ['a'], z: ['a', 'b'] }
    expect(copiesOf(book, 'x')).toBe(3)
    expect(copiesOf(book, 'missing')).toBe(0)
    expect(datasetCopies(book, [{ cid: 'x' }, { cid: 'y' }, { cid: 'z' }])).toBe(1)
    expect(datasetCopies(book, [{ cid: 'x' }, { cid: 'z' }])).toBe(2)
    expect(datasetCopies(book, [])).toBe(0)
  })

  it('aims for three copies unless the job says otherwise', () => {
    expect(replicationTarget(job)).toBe(3)
    expect(replicationTarget({ ...job, replication: 5 })).toBe(5)
    expect(replicationTarget({ ...job, replication: 1 })).toBe(1)
  })
})

describe('plannable shards', () => {
  it('plans the job\'s own shards always, a contributed chunk only while someone serves it', () => {
    expect(reachable({}, { cid: 'own-0', samples: 1, owner: 'alice' })).toBe(true)
    expect(reachable({}, { cid: 'chunk-a', samples: 1, owner: 'carol', dataset: 'yes' })).toBe(false)
    expect(reachable({ 'chunk-a': [] }, { cid: 'chunk-a', samples: 1, owner: 'carol', dataset: 'yes' })).toBe(false)
    expect(reachable({ 'chunk-a': ['carol'] }, { cid: 'chunk-a', samples: 1, owner: 'carol', dataset: 'yes' })).toBe(true)
  })

  it('lists own shards, then served chunks of accepted datasets by pool index', () => {
    expect(activeShards(job, state())).toEqual([0, 1])
    expect(activeShards(job, state({ 'chunk-b': ['carol'], 'chunk-c': ['carol'] }))).toEqual([0, 1, 3])
    expect(activeShards(job, state({ 'chunk-a': ['carol'], 'chunk-b': ['v'], 'chunk-c': ['carol'] }))).toEqual([0, 1, 2, 3])
    // A pool entry without a dataset is not a contributed chunk and is never planned from the pool.
    const s = state({ loose: ['carol'] })
    s.pool.push({ cid: 'loose', samples: 8, owner: 'carol' })
    expect(activeShards(job, s)).toEqual([0, 1])
  })
})

describe('moving units off unserved data', () => {
  it('moves every movable unit on a chunk nobody serves to the least used plannable shards, releasing its workers', () => {
    const s = state({ 'chunk-b': ['carol'] })
    s.shardUse = [5, 2, 0, 0]
    const onA = unit('0.0', [2, 0], [hold('w', 'assigned'), hold('old', 'released'), hold('bad', 'rejected')])
    const onB = unit('0.1', [3])
    const own = unit('0.2', [1], [hold('x', 'assigned')])
    const checking = unit('0.3', [2], [hold('v', 'verifying')])
    const done = unit('0.4', [2], [hold('v', 'accepted')])
    const closed = { ...unit('0.5', [2]), outcome: 'dropped' as const }
    const round = { ...s.current, units: [onA, onB, own, checking, done, closed] }
    expect(reassignUnreachable(job, s, round)).toEqual(['0.0'])
    // Plannable now: 0 (used 5), 1 (used 2), 3 (used 0): chunk-b is least used.
    expect(onA.shards).toEqual([3, 0])
    expect(s.shardUse).toEqual([5, 2, 0, 1])
    expect(onA.holders.map((h) => h.status)).toEqual(['released', 'released', 'rejected'])
    expect(own.holders[0]!.status).toBe('assigned')
    expect([checking.shards, done.shards, closed.shards]).toEqual([[2], [2], [2]])
  })

  it('spreads several moved shards over the least used, counting each pick', () => {
    const s = state({})
    s.shardUse = [3, 1]
    const u = unit('0.0', [2, 3, 0])
    expect(reassignUnreachable(job, s, { ...s.current, units: [u] })).toEqual(['0.0'])
    // Shard 1 (used once) is least used; then shard 1 (used twice) again over shard 0 (used three times).
    expect(u.shards).toEqual([1, 1, 0])
    expect(s.shardUse).toEqual([3, 3])
  })

  it('moves a unit off one chunk its holder could not fetch, and says when it cannot', () => {
    const s = state({ 'chunk-a': ['carol'], 'chunk-b': ['carol'] })
    s.shardUse = [4, 4, 0, 1]
    const u = unit('0.0', [2, 0], [hold('w', 'assigned')])
    expect(moveUnitOff(job, s, u, 'own-0')).toBe(false)
    expect(moveUnitOff(job, s, u, 'chunk-b')).toBe(false)
    expect(u.holders[0]!.status).toBe('assigned')
    expect(moveUnitOff(job, s, u, 'chunk-a')).toBe(true)
    // chunk-a is the least used and carol still serves it, but it is the chunk that failed: chunk-b (used once) is next.
    expect(u.shards).toEqual([3, 0])
    expect(s.shardUse).toEqual([4, 4, 0, 2])
    expect(u.holders[0]!.status).toBe('released')
    for (const status of ['verifying', 'accepted'] as const) expect(moveUnitOff(job, s, unit('0.1', [2], [hold('v', status)]), 'chunk-a'), status).toBe(false)
    expect(moveUnitOff(job, s, { ...unit('0.2', [2]), outcome: 'accepted' }, 'chunk-a')).toBe(false)
  })
})

describe('chunks to copy', () => {
  it('asks for served, under-replicated chunks of accepted datasets the peer lacks, fewest copies first, two at most', () => {
    const s = state({ 'chunk-a': ['carol', 'v1'], 'chunk-b': ['carol'], 'chunk-c': ['carol'] })
    s.pool.push({ cid: 'chunk-d', samples: 8, owner: 'carol', dataset: 'yes' }, { cid: 'chunk-e', samples: 8, owner: 'carol', dataset: 'yes' }, { cid: 'chunk-f', samples: 8, owner: 'carol', dataset: 'yes' })
    s.providers!['chunk-d'] = ['carol']
    s.providers!['chunk-e'] = ['carol', 'v1', 'v2']
    // chunk-f has no provider: nobody can copy it.
    expect(chunksToReplicate(job, s, 'v3').map((c) => c.cid)).toEqual(['chunk-b', 'chunk-d'])
    expect(chunksToReplicate(job, s, 'v3', 5).map((c) => c.cid)).toEqual(['chunk-b', 'chunk-d', 'chunk-a'])
    expect(chunksToReplicate(job, s, 'v1', 5).map((c) => c.cid)).toEqual(['chunk-b', 'chunk-d'])
    expect(chunksToReplicate({ ...job, replication: 4 }, s, 'v3', 5).map((c) => c.cid)).toEqual(['chunk-b', 'chunk-d', 'chunk-a', 'chunk-e'])
    expect(chunksToReplicate({ ...job, replication: 1 }, s, 'v3', 5)).toEqual([])
    expect(chunksToReplicate(job, s, 'v3', 1)).toEqual([{ cid: 'chunk-b', samples: 8, owner: 'carol', dataset: 'yes' }])
  })

  it('sorts by copies, not by pool order', () => {
    const s = state({ 'chunk-a': ['carol', 'v1'], 'chunk-b': ['carol'] })
    expect(chunksToReplicate(job, s, 'v3').map((c) => c.cid)).toEqual(['chunk-b', 'chunk-a'])
  })

  it('asks for nothing before any chunk has a provider book', () => {
    expect(chunksToReplicate(job, state(), 'v3')).toEqual([])
  })
})
