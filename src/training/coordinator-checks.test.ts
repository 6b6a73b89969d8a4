// Every refusal the coordinator makes, reached one at a time and at its boundary: who may submit into which
// unit, until when, in what shape; who may ask for work or bind a wallet; when a round closes and a job ends.
// Each test is small (a round or two at audit rate 0), so mutation testing can afford to run them often.
import { describe, expect, it } from 'vitest'
import { testJob } from './testing/job-fixture.ts'
import { DIM, Harness, runRounds } from './testing/coordinator-harness.ts'
import { Coordinator } from './coordinator.ts'
import { MemoryLogStore, MemoryVectorStore } from './testing/memory-stores.ts'
import { MemoryCheckpointStore } from './memory-checkpoints.ts'
import { quadraticReferee } from './testing/coordinator-harness.ts'
import { verdict } from './verdicts.ts'
import type { UnitAssignment, UnitResult } from './unit.ts'
import { ZOO_RECIPES, type ModelRecipe } from '../graph/model-recipe.ts'
import { jobTask } from './job.ts'

const job = (overrides = {}) => testJob({ innerLr: 0.05, innerSteps: 48, auditRate: 0, ...overrides })
// The coordinator keeps a result's signature for the job log; the host checks it (coordinator-host.test.ts).
const SIGNATURE = 'ab'.repeat(64)
const evidence = { checkpoint: async () => new Float32Array(DIM), checkpointPieces: async () => ({ valuesPerPiece: DIM, pieces: new Map<number, Float32Array>() }) }

async function unitOf(h: Harness, peer: string): Promise<UnitAssignment> {
  const reply = await h.coordinator.requestWork(peer)
  if (reply.kind !== 'unit') throw new Error(`expected a unit for ${peer}, got ${JSON.stringify(reply)}`)
  return reply.unit
}

const holder = (h: Harness, unitId: string, peer: string) => h.coordinator.view.current.units.find((u) => u.id === unitId)!.holders.find((x) => x.peer === peer)

describe('coordinator: who may submit what, and when', () => {
  it('refuses a result for a unit held by someone else, and leaves the holder\'s claim intact', async () => {
    const h = new Harness(job())
    await h.open()
    const unit = await unitOf(h, 'b')
    const output = await h.compute('b', unit)
    // c asks too, so it is a known peer with a unit of its own, then submits b's work as its own.
    await unitOf(h, 'c')
    const stolen = await h.coordinator.submit('c', { ...output.result, deltaCid: 'x' }, output.delta, evidence, SIGNATURE)
    expect(stolen).toMatchObject({ accepted: false, verdict: { code: 'NOT_ASSIGNED', params: { unit: unit.unitId } } })
    expect(holder(h, unit.unitId, 'b')).toMatchObject({ status: 'assigned' })
    expect(holder(h, unit.unitId, 'c')).toBeUndefined()
    expect(h.coordinator.view.peers.c!.reputation).toBe(1)
    expect(await h.submit('b', output)).toMatchObject({ accepted: true })
  })

  it('takes a late result from a holder whose hold was released, while the unit is still open', async () => {
    const h = new Harness(job({ unitsPerRound: 2 }))
    await h.open()
    const unit = await unitOf(h, 'a')
    const output = await h.compute('a', unit)
    await h.coordinator.peerLeft('a')
    expect(holder(h, unit.unitId, 'a')?.status).toBe('released')
    expect(await h.submit('a', output)).toMatchObject({ accepted: true, verdict: { code: 'RECEIVED' } })
    await h.coordinator.settled()
    expect(holder(h, unit.unitId, 'a')?.status).toBe('accepted')
    expect(h.coordinator.view.peers.a!.left).toBeUndefined()
  })

  it('refuses a second result for a unit another peer already won, and marks the loser superseded', async () => {
    const h = new Harness(job({ unitsPerRound: 2 }))
    await h.open()
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    const slow = await unitOf(h, 'a')
    const late = await h.compute('a', slow)
    h.clock += 100
    await h.work('b')
    await h.coordinator.settled()
    h.clock += 5_000
    const copy = await unitOf(h, 'c')
    expect(copy.unitId).toBe(slow.unitId)
    expect(await h.submit('c', await h.compute('c', copy))).toMatchObject({ accepted: true })
    await h.coordinator.settled()
    // The round closed with c's copy: a's late result is for a closed round now, so check within the round instead.
    expect(h.coordinator.view.history).toHaveLength(2)
    expect(await h.submit('a', late)).toMatchObject({ accepted: false, verdict: { code: 'ROUND_CLOSED' } })
  })

  it('refuses a result from a holder another peer\'s copy beat, while the round is still open', async () => {
    const h = new Harness(job({ unitsPerRound: 3 }))
    await h.open()
    const slow = await unitOf(h, 'a')
    const late = await h.compute('a', slow)
    h.clock += 100
    await h.work('b')
    await h.coordinator.settled()
    // c holds the last unit, so the round stays open; d gets a copy of a's unit once a has held it too long.
    await unitOf(h, 'c')
    h.clock += 5_000
    const copy = await unitOf(h, 'd')
    expect(copy.unitId).toBe(slow.unitId)
    expect(await h.submit('d', await h.compute('d', copy))).toMatchObject({ accepted: true })
    await h.coordinator.settled()
    expect(holder(h, slow.unitId, 'd')?.status).toBe('accepted')
    expect(holder(h, slow.unitId, 'a')?.status).toBe('superseded')
    expect(h.coordinator.view.current.round).toBe(0)
    expect(await h.coordinator.submit('a', { ...late.result, deltaCid: 'd' }, late.delta, evidence, SIGNATURE)).toMatchObject({ accepted: false, verdict: { code: 'NOT_ASSIGNED' } })
    expect(h.coordinator.credits.pending('a').units + h.coordinator.credits.volunteer('a').units).toBe(0)
  })

  it('refuses results for another version or at the deadline exactly, and takes them a millisecond before', async () => {
    const h = new Harness(job({ unitsPerRound: 2 }))
    await h.open()
    const unit = await unitOf(h, 'a')
    const output = await h.compute('a', unit)
    expect(await h.coordinator.submit('a', { ...output.result, deltaCid: 'd', version: 1 }, output.delta, evidence, SIGNATURE)).toMatchObject({ accepted: false, verdict: { code: 'ROUND_CLOSED', params: { round: 0 } } })
    const deadline = h.coordinator.view.current.deadlineMs
    h.clock = deadline
    expect(await h.submit('a', output)).toMatchObject({ accepted: false, verdict: { code: 'ROUND_CLOSED' } })
    h.clock = deadline - 1
    expect(await h.submit('a', output)).toMatchObject({ accepted: true })
  })

  it('answers an excluded peer EXCLUDED, both when it asks for work (naming why) and when it submits', async () => {
    const h = new Harness(job({ unitsPerRound: 2 }))
    await h.open()
    const unit = await unitOf(h, 'x')
    await h.coordinator.refuse('x', unit.unitId, verdict('AUDIT_FAILED', { segment: 0 }))
    expect(h.coordinator.view.peers.x).toMatchObject({ banned: true, ban: { code: 'AUDIT_FAILED', unitId: unit.unitId, round: 0 } })
    expect(await h.coordinator.requestWork('x')).toMatchObject({ kind: 'wait', retryMs: 60_000, verdict: { code: 'EXCLUDED', params: { code: 'AUDIT_FAILED' } } })
    const output = await h.compute('x', unit)
    expect(await h.coordinator.submit('x', { ...output.result, deltaCid: 'd' }, output.delta, evidence, SIGNATURE)).toMatchObject({ accepted: false, verdict: { code: 'EXCLUDED' } })
  })

  it('refuses each malformation with its own code and costs the sender half its reputation each time', async () => {
    const h = new Harness(job({ unitsPerRound: 8 }))
    await h.open()
    const cases: Array<[string, (r: UnitResult) => UnitResult, string]> = [
      ['p1', (r) => ({ ...r, segmentLosses: r.segmentLosses.slice(1) }), 'WRONG_CHECKPOINTS'],
      ['p2', (r) => ({ ...r, segmentLosses: [r.lossBefore + 1, ...r.segmentLosses.slice(1)] }), 'WRONG_CHECKPOINTS'],
      ['p3', (r) => ({ ...r, lossBefore: Infinity, segmentLosses: [Infinity, ...r.segmentLosses.slice(1)] }), 'NON_FINITE_LOSS'],
      ['p4', (r) => ({ ...r, segmentLosses: [...r.segmentLosses.slice(0, -1), NaN] }), 'NON_FINITE_LOSS'],
      ['p5', (r) => ({ ...r, samples: r.samples - 1 }), 'WRONG_SAMPLES'],
      ['p6', (r) => ({ ...r, checkpoints: [...r.checkpoints, 'extra'] }), 'WRONG_CHECKPOINTS'],
    ]
    for (const [peer, change, code] of cases) {
      const unit = await unitOf(h, peer)
      const output = await h.compute(peer, unit)
      const reply = await h.coordinator.submit(peer, change({ ...output.result, deltaCid: 'd' }), output.delta, evidence, SIGNATURE)
      expect(reply, peer).toMatchObject({ accepted: false, verdict: { code } })
      expect(h.coordinator.view.peers[peer]).toMatchObject({ reputation: 0.5, rejected: 1, banned: false })
      // The unit is open to others at once.
      expect(h.coordinator.view.current.units.find((u) => u.id === unit.unitId)!.outcome).toBe('open')
    }
    const unit = await unitOf(h, 'p1')
    const output = await h.compute('p1', unit)
    await h.coordinator.submit('p1', { ...output.result, deltaCid: 'd', samples: 1 }, output.delta, evidence, SIGNATURE)
    // Two malformed results in a row: 1 − 0.5 − 0.5 is below 0.35, so the peer is excluded, its credit untouched.
    expect(h.coordinator.view.peers.p1).toMatchObject({ reputation: 0, banned: true, ban: { code: 'WRONG_SAMPLES' } })
  })

  it('ignores a host refusal for a unit the peer does not hold or that is decided', async () => {
    const h = new Harness(job({ unitsPerRound: 2 }))
    await h.open()
    const unit = await unitOf(h, 'a')
    await h.coordinator.refuse('b', unit.unitId, verdict('BAD_SIGNATURE'))
    await h.coordinator.refuse('a', 'no-such-unit', verdict('BAD_SIGNATURE'))
    expect(holder(h, unit.unitId, 'a')?.status).toBe('assigned')
    expect(h.coordinator.view.peers.b).toBeUndefined()
    await h.coordinator.refuse('a', unit.unitId, verdict('BAD_SIGNATURE'))
    expect(holder(h, unit.unitId, 'a')).toMatchObject({ status: 'rejected', verdict: { code: 'BAD_SIGNATURE' } })
    expect(h.coordinator.view.peers.a).toMatchObject({ reputation: 0.5, rejected: 1 })
    // Refused once, the same refusal again changes nothing.
    await h.coordinator.refuse('a', unit.unitId, verdict('BAD_SIGNATURE'))
    expect(h.coordinator.view.peers.a).toMatchObject({ reputation: 0.5, rejected: 1 })
    // A peer does not get back a unit it was refused for; another peer does.
    const next = await unitOf(h, 'a')
    expect(next.unitId).not.toBe(unit.unitId)
    expect((await unitOf(h, 'c')).unitId).toBe(unit.unitId)
  })
})

describe('coordinator: rounds, work and the job\'s end', () => {
  it('answers ROUND_CLOSING from the deadline on, and hands out work a millisecond before', async () => {
    const h = new Harness(job())
    await h.open()
    h.clock = h.coordinator.view.current.deadlineMs
    expect(await h.coordinator.requestWork('a')).toMatchObject({ kind: 'wait', retryMs: 1500, verdict: { code: 'ROUND_CLOSING', params: { round: 0 } } })
    h.clock -= 1
    expect((await h.coordinator.requestWork('a')).kind).toBe('unit')
  })

  it('answers the same unit again to a peer that asks twice, without a second hold', async () => {
    const h = new Harness(job())
    await h.open()
    const first = await unitOf(h, 'a')
    expect(await unitOf(h, 'a')).toEqual(first)
    expect(h.coordinator.view.current.units.find((u) => u.id === first.unitId)!.holders).toHaveLength(1)
  })

  it('hands out each unit with the job\'s settings and the round\'s start', async () => {
    const h = new Harness(job({ batchSize: 4, innerLr: 0.02 }))
    await h.open()
    const unit = await unitOf(h, 'a')
    const round = h.coordinator.view.current
    expect(unit).toMatchObject({ jobId: 'job-test', round: 0, version: 0, paramsCid: round.paramsCid, innerSteps: 48, batchSize: 4, lr: 0.02 })
    expect(unit.shards).toEqual([h.job.train[round.units.find((u) => u.id === unit.unitId)!.shards[0]!]])
  })

  it('does not close a round before its deadline, nor while a result is being verified', async () => {
    const h = new Harness(job({ unitsPerRound: 2 }))
    await h.open()
    await h.work('a')
    await h.coordinator.settled()
    h.clock = h.coordinator.view.current.deadlineMs - 1
    expect(await h.coordinator.tick()).toBeNull()
    expect(h.coordinator.view.current.round).toBe(0)
    h.clock += 1
    expect(await h.coordinator.tick()).toMatchObject({ round: 0, accepted: 1, dropped: 1 })
  })

  it('finishes a job after exactly its number of rounds, and then hands out nothing', async () => {
    const h = new Harness(job({ rounds: 2, unitsPerRound: 2 }))
    await h.open()
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    expect(h.coordinator.view.finished).toBe(false)
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    expect(h.coordinator.view.finished).toBe(true)
    expect(h.coordinator.view.history).toHaveLength(2)
    expect(await h.coordinator.requestWork('a')).toMatchObject({ kind: 'wait', retryMs: 60_000, verdict: { code: 'JOB_FINISHED' } })
    h.clock += 1e6
    expect(await h.coordinator.tick()).toBeNull()
  })

  it('extends a finished job given more rounds at once: the round planned at the finish is planned again under the change, its shards counted once', async () => {
    const h = new Harness(job({ rounds: 1, unitsPerRound: 1 }))
    await h.open()
    await runRounds(h, [['a', 'honest']], 1)
    expect(h.coordinator.view.finished).toBe(true)
    const use = [...h.coordinator.view.shardUse]
    const planned = h.coordinator.view.current
    h.clock += 5000
    await h.coordinator.scheduleJobChange({ ...h.job, rounds: 3, unitsPerRound: 2, innerLr: 0.01 })
    const view = h.coordinator.view
    expect(view.finished).toBe(false)
    expect(view.scheduledJob).toBeUndefined()
    expect(h.coordinator.job).toMatchObject({ rounds: 3, unitsPerRound: 2, innerLr: 0.01 })
    expect(view.current).toMatchObject({ round: planned.round, version: planned.version, paramsCid: planned.paramsCid, deadlineMs: h.clock + h.job.roundMs })
    expect(view.current.units).toHaveLength(2)
    // The finished round's one unit no longer counts as use; the two replanned ones do.
    expect(view.shardUse.reduce((a, b) => a + b, 0)).toBe(use.reduce((a, b) => a + b, 0) + 1)
    expect((await unitOf(h, 'x')).lr).toBe(0.01)
    // The reopened round and the one added run, then the job finishes again at its new count.
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 2)
    expect(h.coordinator.view.history).toHaveLength(3)
    expect(h.coordinator.view.finished).toBe(true)
    // A restart keeps the extension (and a finished job given no more rounds only records the change).
    await h.open()
    expect(h.coordinator.job.rounds).toBe(3)
    await h.coordinator.scheduleJobChange({ ...h.job, rounds: 3, innerLr: 0.02 })
    expect(h.coordinator.view.finished).toBe(true)
    expect(await h.coordinator.requestWork('a')).toMatchObject({ kind: 'wait', verdict: { code: 'JOB_FINISHED' } })
  })

  it('keeps a job governance ended ended, whatever rounds a later change names', async () => {
    const h = new Harness(job({ rounds: 5, unitsPerRound: 1 }))
    await h.open()
    await h.coordinator.endAfterThisRound()
    await runRounds(h, [['a', 'honest']], 1)
    expect(h.coordinator.view.finished).toBe(true)
    await h.coordinator.scheduleJobChange({ ...h.job, rounds: 9 })
    expect(h.coordinator.view.finished).toBe(true)
    expect(await h.coordinator.requestWork('a')).toMatchObject({ kind: 'wait', verdict: { code: 'JOB_FINISHED' } })
  })

  it('reopens, after a restart, the units held by peers of the old process, yet still takes a holder\'s result if it comes back', async () => {
    const h = new Harness(job({ unitsPerRound: 2 }))
    await h.open()
    const a = await unitOf(h, 'a')
    const b = await unitOf(h, 'b')
    expect(await h.coordinator.requestWork('c')).toMatchObject({ kind: 'wait' })
    // The coordinator restarts; a and b were volunteers of the old run and are gone for good, c is new.
    await h.open()
    expect(holder(h, a.unitId, 'a')?.status).toBe('released')
    const c = await unitOf(h, 'c')
    const d = await unitOf(h, 'd')
    expect([c.unitId, d.unitId].sort()).toEqual([a.unitId, b.unitId].sort())
    // b does come back with its unit done: its result is taken, and c's copy of that unit is not needed.
    expect((await h.submit('b', await h.compute('b', b))).accepted).toBe(true)
    await h.coordinator.settled()
    expect(holder(h, b.unitId, 'b')?.status).toBe('accepted')
  })

  it('applies a governance change from the next round only, and refuses one that changes the job\'s identity', async () => {
    const h = new Harness(job({ unitsPerRound: 2 }))
    await h.open()
    const before = await unitOf(h, 'a')
    await h.coordinator.scheduleJobChange({ ...h.job, innerLr: 0.01 })
    expect(h.coordinator.job.innerLr).toBe(0.05)
    // A restart mid-round keeps it waiting for the boundary: the round's units keep their settings.
    await h.open()
    expect(h.coordinator.job.innerLr).toBe(0.05)
    expect((await unitOf(h, 'a')).lr).toBe(0.05)
    await h.submit('a', await h.compute('a', before))
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    expect(h.coordinator.job.innerLr).toBe(0.01)
    expect((await unitOf(h, 'a')).lr).toBe(0.01)
    const ownModel = { ...ZOO_RECIPES[h.job.model], spec: { kind: h.job.model, hidden: [8] } } as ModelRecipe
    const otherTask = { ...jobTask(h.job), fit: 'crop' as const }
    for (const change of [{ id: 'other' }, { model: 'cnn' as const }, { batchSize: 16 }, { recipe: ownModel }, { task: otherTask }, { classes: h.job.classes.map((c) => `${c}!`) }]) {
      await expect(h.coordinator.scheduleJobChange({ ...h.job, ...change })).rejects.toMatchObject({ code: 'BAD_JOB_CHANGE' })
    }
  })

  it('refuses a binding from an excluded peer or for an excluded wallet, whatever its letter case', async () => {
    const h = new Harness(job({ unitsPerRound: 2 }))
    await h.open()
    const unit = await unitOf(h, 'x')
    const wallet = '0x00000000000000000000000000000000000000Aa'
    await h.coordinator.recordBinding('x', { wallet, expiry: 2e9, signature: '0x', boundAtMs: 0 })
    await h.coordinator.refuse('x', unit.unitId, verdict('AUDIT_FAILED'))
    await expect(h.coordinator.recordBinding('y', { wallet: wallet.toUpperCase().replace('0X', '0x'), expiry: 2e9, signature: '0x', boundAtMs: 0 })).rejects.toMatchObject({ code: 'WALLET_EXCLUDED' })
    await expect(h.coordinator.recordBinding('x', { wallet: '0x00000000000000000000000000000000000000bb', expiry: 2e9, signature: '0x', boundAtMs: 0 })).rejects.toMatchObject({ code: 'PEER_EXCLUDED' })
    await h.coordinator.recordBinding('z', { wallet: '0x00000000000000000000000000000000000000cc', expiry: 2e9, signature: '0x', boundAtMs: 0 })
    expect(Object.keys(h.coordinator.bindings).sort()).toEqual(['x', 'z'])
  })

  it('refuses initial parameters or a checkpoint of the wrong size', async () => {
    const options = { job: job(), dim: DIM, flopsPerStep: 1, vectors: new MemoryVectorStore(), checkpoints: new MemoryCheckpointStore(), log: new MemoryLogStore(), referee: quadraticReferee() }
    await expect(Coordinator.open({ ...options, initialParams: () => new Float32Array(DIM - 1) })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' })
    await Coordinator.open({ ...options, initialParams: () => new Float32Array(DIM) })
    await expect(Coordinator.open({ ...options, dim: DIM + 1, initialParams: () => new Float32Array(DIM + 1) })).rejects.toMatchObject({ code: 'CHECKPOINT_MISMATCH' })
  })

  it('forgets that a peer left as soon as it is heard from again', async () => {
    const h = new Harness(job())
    await h.open()
    await unitOf(h, 'a')
    await h.coordinator.peerLeft('a')
    await h.coordinator.peerLeft('never-seen')
    expect(h.coordinator.view.peers['never-seen']).toBeUndefined()
    expect(h.coordinator.view.peers.a!.left).toBe(true)
    h.clock += 7
    await h.coordinator.requestWork('a')
    expect(h.coordinator.view.peers.a).toMatchObject({ lastSeenMs: h.clock })
    expect(h.coordinator.view.peers.a!.left).toBeUndefined()
  })

  it('reports every change to subscribers: null for assignments and results, the report at a close', async () => {
    const h = new Harness(job({ unitsPerRound: 1 }))
    await h.open()
    const seen: Array<number | null> = []
    const unsubscribe = h.coordinator.subscribe((report) => seen.push(report?.round ?? null))
    await h.work('a')
    await h.coordinator.settled()
    expect(seen.filter((s) => s === null).length).toBeGreaterThanOrEqual(3)
    expect(seen.at(-1)).toBe(0)
    unsubscribe()
    await h.work('b')
    await h.coordinator.settled()
    expect(seen.at(-1)).toBe(0)
  })
})
