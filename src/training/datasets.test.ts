// Contributed datasets, the shard pool and round planning as plain functions over the coordinator's state:
// misfits refused, decisions recorded once, shards used evenly, audits summarised by reason and outcome.
import { describe, expect, it } from 'vitest'
import { datasetShards, incompatibility, MAX_DATASETS_PER_JOB, pickShards, registerOffer, type DatasetOffer, type DatasetState } from './datasets.ts'
import { recordDecision, recordOffer, shardAt } from './coordinator-records.ts'
import { planRound, planUnits } from './round-plan.ts'
import { summariseAudits } from './round-close.ts'
import { roundSecret, secretCommitment } from './audit-draw.ts'
import { unitSeed } from './unit.ts'
import { testJob } from './testing/job-fixture.ts'
import { jobTask } from './job.ts'
import type { ImageTask } from '../data/task.ts'
import { CreditsLedger } from './credits.ts'
import type { CoordinatorState, HolderState } from './coordinator-state.ts'

const job = testJob()
const offer = (patch: Partial<DatasetOffer> = {}): DatasetOffer => ({
  id: 'ds', name: 'coats', licence: 'MIT', owner: 'carol', height: 28, width: 28, classes: job.classes, chunks: [{ cid: 'c1', samples: 10 }, { cid: 'c2', samples: 5 }], merkleRoot: 'r', samples: 15, ...patch,
})
const state = (): CoordinatorState => ({
  format: 2, jobId: job.id, secret: '07'.repeat(32), current: { round: 0, version: 0, paramsCid: 'p', startedAtMs: 0, deadlineMs: 0, secretCommitment: '', units: [] }, momentumCid: null, centreCid: null,
  peers: {}, ledger: new CreditsLedger().toJSON(), history: [], initialAccuracy: null, finished: false, reference: [], datasets: [], pool: [], shardUse: [], bindings: {}, bannedWallets: [], seq: 0, logHead: null,
})

describe('dataset offers', () => {
  it('takes an offer whose sample format is the job\'s task\'s: a table of the same schema, colour pictures of its size and classes', () => {
    const schema = { kind: 'tabular' as const, features: [{ name: 'a', kind: 'numeric' as const }, { name: 'b', kind: 'categorical' as const, categories: ['x', 'y'] }], label: 'c', target: { kind: 'classification' as const, classes: ['p', 'q'] } }
    const table = { kind: 'tabular' as const, schema, stats: { features: [{ mean: 1, std: 2 }, null] }, target: null }
    const rows = offer({ height: 0, width: 0, classes: ['p', 'q'], format: { kind: 'tabular', schema } })
    expect(incompatibility(job, table, rows)).toBeNull()
    // Other statistics are the job's business: the format is the same.
    expect(incompatibility(job, { ...table, stats: { features: [{ mean: 5, std: 1 }, null] } }, rows)).toBeNull()
    const otherCategory = offer({ format: { kind: 'tabular', schema: { ...schema, features: [schema.features[0]!, { name: 'b', kind: 'categorical', categories: ['x', 'z'] }] } } })
    expect(incompatibility(job, table, otherCategory)).toBe('it holds table rows of 2 features predicting "c" (2 classes); this job\'s samples are table rows of 2 features predicting "c" (2 classes)')
    expect(incompatibility(job, table, offer())).toBe('it holds 28×28 grayscale images, 10 classes; this job\'s samples are table rows of 2 features predicting "c" (2 classes)')
    const colour: ImageTask = { kind: 'image', fit: 'crop', normalisation: { mean: 0, std: 1 }, height: 24, width: 24, channels: 3, classes: ['legs', 'feet'] }
    const pictures = offer({ height: 24, width: 24, classes: ['legs', 'feet'], format: { kind: 'image', height: 24, width: 24, channels: 3, classes: ['legs', 'feet'] } })
    expect(incompatibility(job, colour, pictures)).toBeNull()
    expect(incompatibility(job, { ...colour, classes: ['feet', 'legs'] }, pictures)).toMatch(/^its classes \(legs, feet\) are not this job's classes in order/)
    expect(incompatibility(job, { ...colour, width: 32 }, pictures)).toBe('its images are 24×24; this job\'s model takes 24×32')
  })

  it('fits only the model\'s input size and the job\'s classes in order', () => {
    expect(incompatibility(job, jobTask(job), offer())).toBeNull()
    expect(incompatibility(job, jobTask(job), offer({ height: 27 }))).toBe("its images are 27×28; this job's model takes 28×28")
    expect(incompatibility(job, jobTask(job), offer({ width: 32 }))).toBe("its images are 28×32; this job's model takes 28×28")
    expect(incompatibility(job, jobTask(job), offer({ classes: job.classes.slice(0, 9) }))).toMatch(/^its classes \(zero, one, two, three, …\) are not this job's classes in order \(zero, one, two, three, …\)$/)
    expect(incompatibility(job, jobTask(job), offer({ classes: [...job.classes].reverse() }))).toMatch(/^its classes \(nine, eight/)
    expect(incompatibility(job, jobTask(job), offer({ classes: ['a', 'b', 'c', 'd'] }))).toMatch(/^its classes \(a, b, c, d\) are not/)
  })

  it('registers an offer once, pending; a misfit rejected at once but kept; a 65th refused and not kept', () => {
    const list: DatasetState[] = []
    const first = registerOffer(list, offer(), null, 5)
    expect(first).toMatchObject({ status: 'pending', reason: 'waiting for the job owner', offeredAtMs: 5, decidedAtMs: null, samplesUsed: 0, fits: true })
    expect(registerOffer(list, offer({ name: 'changed' }), null, 9)).toBe(first)
    const misfit = registerOffer(list, offer({ id: 'bad' }), 'too big', 6)
    expect(misfit).toMatchObject({ status: 'rejected', reason: 'too big', decidedAtMs: 6, fits: false })
    while (list.length < MAX_DATASETS_PER_JOB) registerOffer(list, offer({ id: `d${list.length}` }), null, 7)
    const extra = registerOffer(list, offer({ id: 'extra' }), null, 8)
    expect(extra).toMatchObject({ status: 'rejected', reason: 'this job already has 64 datasets', decidedAtMs: 8, fits: true })
    expect(list).toHaveLength(MAX_DATASETS_PER_JOB)
  })

  it('records the owner\'s decision: accepted chunks join the pool once, a rejection keeps its reason', () => {
    const s = state()
    expect(recordOffer(s, job, offer(), 1)).toMatchObject({ added: true, entry: { status: 'pending' } })
    expect(recordOffer(s, job, offer(), 2).added).toBe(false)
    expect(recordDecision(s, 'ds', true, 'ignored', 3)).toMatchObject({ status: 'accepted', reason: 'accepted by the job owner', decidedAtMs: 3 })
    expect(s.pool).toEqual(datasetShards(offer()))
    expect(s.pool[0]).toEqual({ cid: 'c1', samples: 10, owner: 'carol', dataset: 'ds' })
    recordDecision(s, 'ds', true, '', 4)
    expect(s.pool).toHaveLength(2)
    expect(recordDecision(s, 'ds', false, `  ${'x'.repeat(400)}  `, 5).reason).toBe('x'.repeat(300))
    expect(recordDecision(s, 'ds', false, '   ', 6).reason).toBe('rejected by the job owner')
    expect(s.pool).toHaveLength(2)
    expect(() => recordDecision(s, 'nope', true, '', 7)).toThrow(expect.objectContaining({ code: 'UNKNOWN_DATASET' }))
    recordOffer(s, job, offer({ id: 'small', height: 14 }), 8)
    expect(() => recordDecision(s, 'small', true, '', 9)).toThrow(expect.objectContaining({ code: 'DATASET_UNFIT' }))
    expect(recordDecision(s, 'small', false, 'no', 9).status).toBe('rejected')
  })

  it('numbers the pool after the job\'s own shards and refuses an index past it', () => {
    const s = state()
    recordOffer(s, job, offer(), 1)
    recordDecision(s, 'ds', true, '', 2)
    expect(shardAt(job, s, 0)).toBe(job.train[0])
    expect(shardAt(job, s, 7)).toBe(job.train[7])
    expect(shardAt(job, s, 8)).toMatchObject({ cid: 'c1', dataset: 'ds' })
    expect(shardAt(job, s, 9)).toMatchObject({ cid: 'c2' })
    expect(() => shardAt(job, s, 10)).toThrow(expect.objectContaining({ code: 'BAD_SHARD', message: 'shard 10 is not in the pool' }))
  })
})

describe('round planning', () => {
  it('picks the least used shards first, ties in pool order', () => {
    expect(pickShards([0, 1, 2], [], 2)).toEqual([0, 1])
    expect(pickShards([0, 1, 2], [1, 1, 0], 2)).toEqual([2, 0])
    expect(pickShards([0, 1], [], 5)).toEqual([0, 1, 0, 1, 0])
    expect(pickShards([5, 3], [0, 0, 0, 2, 0, 2], 3)).toEqual([5, 3, 5])
    expect(pickShards([], [], 3)).toEqual([])
  })

  it('plans only accepted datasets\' chunks, counts their use, and seeds each unit', () => {
    const s = state()
    recordOffer(s, job, offer(), 1)
    let units = planUnits({ ...job, unitsPerRound: 10 }, s, 3)
    expect(units.map((u) => u.shards[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0, 1])
    expect(units[2]).toEqual({ id: '3.2', index: 2, shards: [2], seed: unitSeed(job.seed, 3, 2), holders: [], outcome: 'open' })
    recordDecision(s, 'ds', true, '', 2)
    units = planUnits({ ...job, unitsPerRound: 2 }, s, 4)
    // The new chunks have never been used: they come first.
    expect(units.map((u) => u.shards[0])).toEqual([8, 9])
    expect(s.shardUse.slice(0, 10)).toEqual([2, 2, 1, 1, 1, 1, 1, 1, 1, 1])
    recordDecision(s, 'ds', false, 'withdrawn', 3)
    expect(planUnits({ ...job, unitsPerRound: 8 }, s, 5).every((u) => u.shards[0]! < 8)).toBe(true)
  })

  it('announces the round\'s audit secret by its hash and sets the deadline one round from the start', async () => {
    const s = state()
    const round = await planRound(job, s, { round: 2, version: 1, paramsCid: 'p2', startedAtMs: 1000 })
    expect(round).toMatchObject({ round: 2, version: 1, paramsCid: 'p2', startedAtMs: 1000, deadlineMs: 1000 + job.roundMs })
    expect(round.secretCommitment).toBe(await secretCommitment(await roundSecret(s.secret, 2)))
    expect(round.units).toHaveLength(job.unitsPerRound)
  })
})

describe('audit summaries', () => {
  const holder = (audit?: HolderState['audit']): HolderState => ({ peer: 'p', assignedAtMs: 0, status: 'accepted', ...(audit ? { audit } : {}) })
  const audit = (reason: 'every' | 'probation' | 'draw' | 'suspicious', outcome: 'passed' | 'failed' | 'unavailable' | 'error', suspicion?: 'NO_PROGRESS' | 'DELTA_MISMATCH') => ({ reason, outcome, worstSegmentError: 0, segments: 1, ...(suspicion ? { suspicion: { code: suspicion, params: {} } } : {}) })

  it('counts audits by reason, suspicion and outcome; withheld evidence counts as failed', () => {
    const summary = summariseAudits([
      holder(), holder(audit('draw', 'passed')), holder(audit('probation', 'failed')), holder(audit('suspicious', 'unavailable', 'NO_PROGRESS')),
      holder(audit('suspicious', 'error', 'NO_PROGRESS')), holder(audit('every', 'passed')), holder(audit('suspicious', 'passed', 'DELTA_MISMATCH')),
    ])
    expect(summary).toEqual({ run: 6, passed: 3, failed: 2, incomplete: 1, byReason: { every: 1, probation: 1, draw: 1, suspicious: 3 }, bySuspicion: { NO_PROGRESS: 2, DELTA_MISMATCH: 1 } })
    expect(summariseAudits([])).toEqual({ run: 0, passed: 0, failed: 0, incomplete: 0, byReason: { every: 0, probation: 0, draw: 0, suspicious: 0 }, bySuspicion: {} })
  })
})
