// The job's records besides its rounds: an offer is registered once, the owner's decision is recorded with
// the words the contributor sees, accepted chunks join the pool once with their owner as first provider, and
// a wallet binding is refused for anyone caught cheating.
import { describe, expect, it } from 'vitest'
import { recordBinding, recordDecision, recordOffer, shardAt } from './coordinator-records.ts'
import { incompatibility, registerOffer, MAX_DATASETS_PER_JOB, type DatasetOffer, type DatasetState } from './datasets.ts'
import type { CoordinatorState } from './coordinator-state.ts'
import { CreditsLedger } from './credits.ts'
import { newPeer } from './reputation.ts'
import { testJob } from './testing/job-fixture.ts'
import { jobTask } from './job.ts'

const job = testJob()
const offer = (patch: Partial<DatasetOffer> = {}): DatasetOffer => ({
  id: 'ds', name: 'coats', licence: 'MIT', owner: 'carol', height: 28, width: 28, classes: job.classes, chunks: [{ cid: 'c1', samples: 10 }, { cid: 'c2', samples: 5 }], merkleRoot: 'r', samples: 15, ...patch,
})
const state = (): CoordinatorState => ({
  format: 2, jobId: job.id, secret: '07'.repeat(32), current: { round: 0, version: 0, paramsCid: 'p', startedAtMs: 0, deadlineMs: 0, secretCommitment: '', units: [] }, momentumCid: null, centreCid: null,
  peers: {}, ledger: new CreditsLedger().toJSON(), history: [], initialAccuracy: null, finished: false, reference: [], datasets: [], pool: [], shardUse: [], bindings: {}, bannedWallets: [], seq: 4, logHead: null,
})

describe('dataset offers and decisions', () => {
  it('rejects a misfit at once with the reason it cannot fit, and never lets the owner accept it', () => {
    const s = state()
    const { entry, added } = recordOffer(s, job, offer({ id: 'small', width: 14 }), 3)
    expect(added).toBe(true)
    expect(entry).toMatchObject({ status: 'rejected', reason: "its images are 28×14; this job's model takes 28×28", decidedAtMs: 3, fits: false })
    expect(() => recordDecision(s, 'small', true, '', 4)).toThrow(expect.objectContaining({ code: 'DATASET_UNFIT', message: "the dataset cannot serve this job: its images are 28×14; this job's model takes 28×28" }))
    expect(s.pool).toEqual([])
    expect(s.providers).toBeUndefined()
  })

  it('names an unknown dataset by the first 16 characters of its id', () => {
    expect(() => recordDecision(state(), 'abcdefghijklmnopqrstuvwxyz', true, '', 1)).toThrow(expect.objectContaining({ code: 'UNKNOWN_DATASET', message: 'no dataset abcdefghijklmnop… was offered to this job' }))
  })

  it('makes the owner the first provider of every chunk it accepts, once, and a rejection adds no provider', () => {
    const s = state()
    recordOffer(s, job, offer(), 1)
    recordOffer(s, job, offer({ id: 'other', owner: 'dave', chunks: [{ cid: 'd1', samples: 3 }] }), 1)
    recordDecision(s, 'other', false, 'blurry', 2)
    expect(s.providers).toBeUndefined()
    expect(recordDecision(s, 'ds', true, '', 2)).toMatchObject({ status: 'accepted', reason: 'accepted by the job owner', decidedAtMs: 2 })
    expect(s.providers).toEqual({ c1: ['carol'], c2: ['carol'] })
    s.providers!.c1!.push('v1')
    recordDecision(s, 'ds', true, '', 3)
    expect(s.providers).toEqual({ c1: ['carol', 'v1'], c2: ['carol'] })
    expect(s.pool.map((p) => p.cid)).toEqual(['c1', 'c2'])
  })

  it('adds a second dataset\'s chunks after the first\'s, and keeps a withdrawn dataset\'s slots when it is accepted again', () => {
    const s = state()
    recordOffer(s, job, offer(), 1)
    recordOffer(s, job, offer({ id: 'two', owner: 'dave', chunks: [{ cid: 'd1', samples: 3 }] }), 1)
    recordDecision(s, 'ds', true, '', 2)
    recordDecision(s, 'two', true, '', 3)
    recordDecision(s, 'ds', false, 'withdrawn', 4)
    expect(recordDecision(s, 'ds', true, 'x', 5)).toMatchObject({ status: 'accepted', reason: 'accepted by the job owner', decidedAtMs: 5 })
    expect(s.pool).toEqual([{ cid: 'c1', samples: 10, owner: 'carol', dataset: 'ds' }, { cid: 'c2', samples: 5, owner: 'carol', dataset: 'ds' }, { cid: 'd1', samples: 3, owner: 'dave', dataset: 'two' }])
    expect(shardAt(job, s, 10)).toEqual({ cid: 'd1', samples: 3, owner: 'dave', dataset: 'two' })
    expect(() => shardAt(job, s, 11)).toThrow(expect.objectContaining({ code: 'BAD_SHARD', message: 'shard 11 is not in the pool' }))
  })

  it('keeps a rejection reason of exactly 300 characters whole and trims the one past', () => {
    const s = state()
    recordOffer(s, job, offer(), 1)
    expect(recordDecision(s, 'ds', false, 'y'.repeat(300), 2).reason).toBe('y'.repeat(300))
    expect(recordDecision(s, 'ds', false, `${'y'.repeat(300)}z`, 2).reason).toBe('y'.repeat(300))
    expect(recordDecision(s, 'ds', false, ' blurry ', 3)).toMatchObject({ status: 'rejected', reason: 'blurry', decidedAtMs: 3 })
  })
})

describe('offers the job cannot take', () => {
  it('fits classes only when every one matches in order, one renamed class is enough to refuse', () => {
    const renamed = job.classes.map((c, i) => (i === 5 ? 'sandal' : c))
    expect(incompatibility(job, jobTask(job), offer({ classes: renamed }))).toBe("its classes (zero, one, two, three, …) are not this job's classes in order (zero, one, two, three, …)")
    expect(incompatibility(job, jobTask(job), offer({ classes: [...job.classes, 'ten'] }))).not.toBeNull()
    expect(incompatibility(job, jobTask(job), offer())).toBeNull()
    // Offers are grayscale images: a job whose samples are RGB images, table rows or text cannot take one.
    const rgb = { ...jobTask(job), channels: 3 as const }
    expect(incompatibility(job, rgb, offer())).toBe('it holds 28×28 grayscale images, 10 classes; this job\'s samples are 28×28 RGB images, 10 classes')
    expect(incompatibility(job, { kind: 'text', schema: { kind: 'text', tokens: 'bytes', vocab: [], context: 8 } }, offer())).toBe('it holds 28×28 grayscale images, 10 classes; this job\'s samples are byte-level text, 256 tokens, context 8')
  })

  it('at the limit, refuses a misfit with its own reason and keeps neither', () => {
    const list: DatasetState[] = []
    for (let i = 0; i < MAX_DATASETS_PER_JOB - 1; i++) registerOffer(list, offer({ id: `d${i}` }), null, 1)
    expect(registerOffer(list, offer({ id: 'last' }), null, 2)).toMatchObject({ status: 'pending', fits: true })
    expect(list).toHaveLength(64)
    expect(registerOffer(list, offer({ id: 'late-misfit' }), 'too small', 3)).toMatchObject({ status: 'rejected', reason: 'too small', decidedAtMs: 3, fits: false })
    expect(list).toHaveLength(64)
    // An offer already registered is returned as it stands, even at the limit.
    expect(registerOffer(list, offer({ id: 'd0' }), 'ignored', 4)).toBe(list[0])
  })

  it('calls an offer new only when it was kept: one past the limit is refused and not new, so nothing is saved for it', () => {
    const s = state()
    for (let i = 0; i < MAX_DATASETS_PER_JOB; i++) expect(recordOffer(s, job, offer({ id: `d${i}` }), 1).added).toBe(true)
    const late = recordOffer(s, job, offer({ id: 'late' }), 2)
    expect(late).toMatchObject({ added: false, entry: { status: 'rejected', reason: `this job already has ${MAX_DATASETS_PER_JOB} datasets` } })
    expect(s.datasets).toHaveLength(MAX_DATASETS_PER_JOB)
    expect(recordOffer(s, job, offer({ id: 'd3' }), 3).added).toBe(false)
  })
})

describe('wallet bindings', () => {
  const binding = { wallet: '0xAbC', expiry: 100, signature: 'sig', boundAtMs: 7 }

  it('records a binding with the next position in the event sequence', () => {
    const s = state()
    recordBinding(s, 'p', binding)
    expect(s.bindings.p).toEqual({ ...binding, seq: 5 })
    recordBinding(s, 'q', { ...binding, wallet: '0xdef' })
    expect(s.bindings.q!.seq).toBe(6)
    expect(s.seq).toBe(6)
  })

  it('refuses a wallet caught cheating, whatever its letter case, and an excluded peer, recording nothing', () => {
    const s = state()
    s.bannedWallets = ['0xabc']
    expect(() => recordBinding(s, 'p', binding)).toThrow(expect.objectContaining({ code: 'WALLET_EXCLUDED', message: 'a peer bound to this wallet was caught cheating in this job, so the wallet earns nothing more here' }))
    s.peers.q = { ...newPeer(0), banned: true }
    expect(() => recordBinding(s, 'q', { ...binding, wallet: '0xdef' })).toThrow(expect.objectContaining({ code: 'PEER_EXCLUDED', message: 'this peer was excluded from the job, so it cannot bind a wallet' }))
    expect(s.bindings).toEqual({})
    expect(s.seq).toBe(4)
    s.peers.r = newPeer(0)
    recordBinding(s, 'r', { ...binding, wallet: '0xdef' })
    expect(s.bindings.r!.seq).toBe(5)
  })
})
