// A staged job's coordinator runs its rounds to the end on its own (run), saves its state after every round,
// and a new coordinator on the same peer (a reloaded tab, a restarted process) carries on from it: the same
// round, version, parameters, credit and bans, and the rounds after it train on. A checkpoint of another job or
// a damaged one is an error, never a job quietly started again. Real libp2p and ORT in Node.
import { afterAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { multiaddr } from '@multiformats/multiaddr'
import { initParams } from '../graph/model.ts'
import { buildShard } from '../graph/shard.ts'
import { createLossHead, createStageEngine } from '../compute/stage-engine.ts'
import { jobModel, type JobSpec } from '../training/job.ts'
import { flatten, paramLayout, unflatten } from '../training/vector.ts'
import { heldOutBatch, PipelineCoordinator, randomBatches, type PipelineCoordinatorOptions } from './pipeline-coordinator.ts'
import { taskBatch } from '../data/task-batch.ts'
import { dictionaryTask, stagedPeer, stagedTextJob } from './testing/staged-peers.ts'
import { StageVolunteer } from './stage-volunteer.ts'
import { MemoryCheckpointStore } from '../training/memory-checkpoints.ts'
import { decodePipelineCheckpoint, encodePipelineCheckpoint } from '../training/pipeline-checkpoint.ts'
import { makeBlock } from '../data/task-block.ts'
import { ExchangeVectorStore } from './exchange-vector-store.ts'
import type { LogRecord } from '../training/job-log.ts'
import type { StageRoundRecord } from '../training/stage-log.ts'
import { CreditsLedger } from '../training/credits.ts'

ort.env.wasm.numThreads = 1
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('a staged job across restarts', () => {
  const stops: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined)
  })

  it('runs its rounds to the end, and a new coordinator resumes from the checkpoint and trains on', async () => {
    const { task, recipe, model, draw } = await dictionaryTask(8, 48, { kind: 'transformer', layers: 2, width: 16, heads: 4 }, 5)
    const coordinatorPeer = await stagedPeer(stops)
    const job: JobSpec = stagedTextJob(coordinatorPeer.node.peerId.toString(), recipe, task, 4, { id: 'resumed', batchSize: 8, innerSteps: 3, innerLr: 3e-3, rounds: 2, auditRate: 0 })
    const head = await createLossHead(ort, model, 4, 'wasm')
    stops.push(() => head.release())
    const engineFor = (from: number, to: number, rows: number) => createStageEngine(ort, buildShard(jobModel(job), from, to, rows), 'wasm')
    const checkpoints = new MemoryCheckpointStore()
    const initial = flatten(paramLayout(model), initParams(model, 3))
    // 16 held-out windows, scored every version stage after stage on the coordinator's own engines.
    const heldOut = { ...draw(16), rows: 16 }
    /** Aborted as step 1 of a round begins: the tab closing the job mid-round. */
    let stopMidRound: AbortController | null = null
    // The job log: each round's record, chained to the one before, across the restart too.
    const records: StageRoundRecord[] = []
    let failNextPut = false
    const jobLog = {
      put: async (record: LogRecord) => {
        if (failNextPut) throw ((failNextPut = false), new Error('the job log is unreachable'))
        return (records.push(record as StageRoundRecord), `log-${records.length}`)
      },
    }
    const options: PipelineCoordinatorOptions = { ...coordinatorPeer, job, initialParams: initial, head: head.run, batches: () => ({ ...draw(8), rows: 8 }), engine: engineFor, announceEveryMs: 0, checkpoints, heldOut, jobLog, beforeStep: (_, step) => void (step === 1 && stopMidRound?.abort()) }
    const first = await PipelineCoordinator.start(options)
    expect(first.resumed).toBe(false)
    // The starting version's held-out loss is the unsplit model's on the same windows.
    const whole = await createStageEngine(ort, buildShard(model, 0, model.layers.length, 4), 'wasm')
    const unsplit = async (values: Float32Array) => {
      let total = 0
      const named = unflatten(paramLayout(model), values)
      for (let r = 0; r < 16; r += 4) total += (await head.run(await whole.forward(named, heldOut.x.subarray((r * heldOut.x.length) / 16, ((r + 4) * heldOut.x.length) / 16)), heldOut.y.subarray((r * heldOut.y.length) / 16, ((r + 4) * heldOut.y.length) / 16))).loss
      return total / 4
    }
    expect(Math.abs(first.startHeldOut! - (await unsplit(initial))) / first.startHeldOut!).toBeLessThan(1e-5)
    const ids: string[] = []
    const volunteers: StageVolunteer[] = []
    for (let i = 0; i < 3; i++) {
      const { node, exchange } = await stagedPeer(stops)
      await node.dial(multiaddr(coordinatorPeer.node.getMultiaddrs()[0]!.toString()))
      const volunteer = await StageVolunteer.start({ node, exchange, job: (id) => (id === job.id ? job : null), engine: (_, from, to, rows) => engineFor(from, to, rows), joinEveryMs: 200 })
      stops.push(() => volunteer.stop())
      volunteer.join(job.id)
      volunteers.push(volunteer)
      ids.push(node.peerId.toString())
    }
    // Stopped mid-round, a round keeps nothing: no merge, no new version, no checkpoint.
    stopMidRound = new AbortController()
    await first.run(stopMidRound.signal, () => undefined, 100)
    expect([first.round, first.version, first.reports.length]).toEqual([0, 0, 0])
    expect(first.params).toEqual(initial)
    expect(await checkpoints.load()).toBeNull()
    expect(records).toEqual([])
    stopMidRound = null
    // It waits for a volunteer on every stage, then runs its 2 rounds and stops by itself.
    let heard = 0
    await first.run(AbortSignal.timeout(120_000), () => heard++, 100)
    expect(first.finished).toBe(true)
    expect(first.round).toBe(2)
    expect(first.version).toBe(2)
    expect(first.reports.map((r) => r.steps)).toEqual([3, 3])
    expect(heard).toBeGreaterThanOrEqual(2)
    // Each volunteer hears what it has earned as the coordinator answers its next join.
    for (const [i, volunteer] of volunteers.entries()) {
      const earned = first.credit.get(ids[i]!)!.flops
      expect(earned).toBeGreaterThan(0)
      for (let t = 0; t < 100 && volunteer.credit.get(job.id) !== earned; t++) await sleep(50)
      expect(volunteer.credit.get(job.id)).toBe(earned)
    }
    const saved = decodePipelineCheckpoint((await checkpoints.load())!, 3)
    expect(saved).toMatchObject({ jobId: 'resumed', round: 2, version: 2, paramsCid: first.paramsCid })
    expect(saved.credit.map((c) => c.peer).sort()).toEqual([...ids].sort())
    expect(saved.reports.map((r) => r.round)).toEqual([0, 1])
    // Each round's new version is scored as the unsplit model scores it, and the saved figures are the reports'.
    expect(Math.abs(first.reports[1]!.heldOut! - (await unsplit(first.params))) / first.reports[1]!.heldOut!).toBeLessThan(1e-5)
    expect(saved.reports.map((r) => r.heldOut)).toEqual(first.reports.map((r) => r.heldOut))
    expect(saved.startHeldOut).toBe(first.startHeldOut)
    // Each round went into the job log, chained; the checkpoint keeps the head and the credits ledger.
    expect(records.map((r) => [r.round, r.prev])).toEqual([[0, null], [1, 'log-1']])
    expect(records[1]!.paramsCid).toBe(records[0]!.nextParamsCid)
    expect(records[1]!.nextParamsCid).toBe(first.paramsCid)
    expect(saved.logHead).toBe('log-2')
    expect(saved.ledger).toEqual(first.ledger.toJSON())
    await whole.release()
    const params = Float32Array.from(first.params)
    expect(params).not.toEqual(initial)
    const momentum = await new ExchangeVectorStore(coordinatorPeer.exchange, initial.length).getParams(saved.momentumCid)
    expect(momentum.some((v) => v !== 0)).toBe(true)
    await first.stop()
    // (A peer banned before the restart stays banned.)
    await checkpoints.save(encodePipelineCheckpoint({ ...saved, banned: [{ peer: 'a-cheat', reason: 'failed its audit' }] }))

    // A reloaded tab: same peer, same store; it goes on for one more round from where it was.
    const second = await PipelineCoordinator.start({ ...options, job: { ...job, rounds: 3 } })
    stops.push(() => second.stop())
    expect(second.resumed).toBe(true)
    expect([second.round, second.version, second.paramsCid]).toEqual([2, 2, first.paramsCid])
    expect(second.params).toEqual(params)
    expect(second.history.map((r) => r.round)).toEqual([0, 1])
    expect(second.startHeldOut).toBe(first.startHeldOut)
    expect([...second.credit]).toEqual([...first.credit])
    expect((second as unknown as { momentum: Float32Array }).momentum).toEqual(momentum)
    expect([...second.banned]).toEqual([['a-cheat', 'failed its audit']])
    expect(second.ledger.toJSON()).toEqual(first.ledger.toJSON())
    expect(second.logHead).toBe('log-2')
    // Peers audited before the restart are remembered (after it they are audited at the job's rate, 0 here).
    expect(saved.audited.sort()).toEqual([...ids].sort())
    while (second.candidates().length < 3) await sleep(50)
    // A round whose record cannot go into the job log changes nothing: the same round is tried again from where it was.
    const ledgerBefore = second.ledger.toJSON()
    failNextPut = true
    await expect(second.runRound()).rejects.toThrow('the job log is unreachable')
    expect([second.round, second.version, second.paramsCid, second.logHead]).toEqual([2, 2, first.paramsCid, 'log-2'])
    expect(second.params).toEqual(params)
    expect((second as unknown as { momentum: Float32Array }).momentum).toEqual(momentum)
    expect(second.ledger.toJSON()).toEqual(ledgerBefore)
    expect(second.reports).toEqual([])
    const third = (await second.runRound())!
    expect(third).toMatchObject({ round: 2, version: 2, steps: 3 })
    // The job's last round audits every replica (so nobody's last rounds stay pending): all three pass, and every
    // peer's credit is verified.
    expect(third.audits).toEqual({ run: 3, failed: [] })
    for (const id of ids) expect(second.ledger.pending(id).flops).toBe(0)
    expect(second.version).toBe(3)
    expect(second.finished).toBe(true)
    expect(decodePipelineCheckpoint((await checkpoints.load())!, 3).reports.map((r) => r.round)).toEqual([0, 1, 2])
    expect(records.map((r) => [r.round, r.prev])).toEqual([[0, null], [1, 'log-1'], [2, 'log-2']])
    // Credit goes on adding up from what was saved.
    for (const id of ids) expect(second.credit.get(id)!.flops).toBeGreaterThanOrEqual(first.credit.get(id)!.flops)
    await second.stop()

    // Another job's checkpoint, or a damaged one, stops the start with a reason.
    await expect(PipelineCoordinator.start({ ...options, job: { ...job, id: 'other' } })).rejects.toThrow('the saved checkpoint is job "resumed"\'s, not "other"\'s')
    // Its rounds ran (and were logged) with one spec: a restart may run it longer, not differently.
    await expect(PipelineCoordinator.start({ ...options, job: { ...job, rounds: 3, innerSteps: 4 } })).rejects.toThrow('was saved with another spec than the one it is started with (only its number of rounds may change)')
    await checkpoints.save('{"jobId": "resumed", "round": 1')
    await expect(PipelineCoordinator.start(options)).rejects.toThrow(/staged job checkpoint/)
    await expect(PipelineCoordinator.start({ ...options, checkpoints: undefined, heldOut: { ...draw(6), rows: 6 } })).rejects.toThrow('held-out samples come in whole micro-batches of 4, not 6 rows')
  }, 180_000)

  it('draws the same samples for a round\'s step every time, and other samples for other steps', async () => {
    const { task, recipe } = await dictionaryTask(4, 8, { kind: 'transformer', layers: 1, width: 8, heads: 2 }, 1)
    // 500 windows of 5 tokens, each window's tokens telling it apart.
    const block = makeBlock(task, Uint16Array.from({ length: 500 * 5 }, (_, i) => Math.floor(i / 5) % 8), null)
    const job = stagedTextJob('me', recipe, task, 4, { batchSize: 8, seed: 11 })
    const batches = randomBatches(job, block)
    const key = (round: number, step: number) => Array.from(batches(round, step).x).join()
    expect(batches(0, 0).rows).toBe(8)
    expect(key(3, 2)).toBe(key(3, 2))
    expect(key(3, 2)).toBe(Array.from(randomBatches(job, block)(3, 2).x).join())
    expect(new Set([key(0, 0), key(0, 1), key(1, 0), key(3, 2)]).size).toBe(4)
    expect(key(0, 0)).not.toBe(Array.from(randomBatches({ ...job, seed: 12 }, block)(0, 0).x).join())
    expect(() => randomBatches({ ...job, task: undefined }, block)).toThrow('has no task to draw samples of')
    // Held-out samples: the block's first, in whole micro-batches of 4, at most 256.
    const held = heldOutBatch(job, block)!
    expect(held.rows).toBe(256)
    expect(Array.from(held.x).join()).toBe(Array.from(taskBatch(task, block, Array.from({ length: 256 }, (_, i) => i)).x).join())
    expect(heldOutBatch(job, { ...block, count: 11 })!.rows).toBe(8)
    expect(heldOutBatch(job, { ...block, count: 3 })).toBeUndefined()
  })
})

describe('the staged job checkpoint', () => {
  const good = { jobId: 'j', round: 2, version: 1, paramsCid: 'p', momentumCid: 'm', credit: [{ peer: 'a', flops: 10, byStage: [4, 6] }], banned: [{ peer: 'b', reason: 'lazy' }], audited: ['a'], reports: [{ round: 0, version: 0, steps: 0, loss: null, heldOut: null, lost: ['c'], merged: [[], []] }, { round: 1, version: 0, steps: 3, loss: 2.5, heldOut: 2.75, lost: [], merged: [['a'], ['a']] }], startHeldOut: 3.5 }

  const ledger = new CreditsLedger()
  ledger.creditVolunteer('stage:0:a', 'a', 10, 0, { verified: false, submittedAtMs: 0 })
  const settled = { ...good, discardedRounds: 1, spec: '{"id":"j"}', servers: [{ peer: 'a', stage: 1, version: 2 }], reports: [good.reports[0]!, { ...good.reports[1]!, merged: [[], []], discarded: true }], ledger: ledger.toJSON(), bindings: { a: { wallet: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', expiry: 5, signature: '0xab', boundAtMs: 1, seq: 1 } }, settlement: { book: {} }, logHead: 'log-cid', ended: true }

  it('round-trips, with a lossless round written as null', () => {
    expect(decodePipelineCheckpoint(encodePipelineCheckpoint(good), 2)).toEqual(good)
    expect(decodePipelineCheckpoint(encodePipelineCheckpoint(settled), 2)).toEqual(settled)
    expect(encodePipelineCheckpoint({ ...good, reports: [{ ...good.reports[1]!, loss: NaN as unknown as null }] })).toContain('"loss":null')
  })

  it('refuses a checkpoint of another shape, naming what is wrong', () => {
    const bad = (patch: object, stages = 2) => () => decodePipelineCheckpoint(JSON.stringify({ ...good, ...patch }), stages)
    expect(bad({}, 3)).toThrow('credit [0] "byStage" must list 3 FLOP counts')
    expect(bad({ round: -1 })).toThrow('"round" must be between 0')
    expect(bad({ paramsCid: 4 })).toThrow('"paramsCid" must be a string')
    expect(bad({ credit: [{ peer: 'a', flops: -1, byStage: [0, 0] }] })).toThrow('"flops" must be between 0')
    expect(bad({ credit: [{ peer: 'a', flops: 1, byStage: [0, -1] }] })).toThrow('"byStage" must list 2 FLOP counts')
    expect(bad({ banned: 'b' })).toThrow('"banned" must be a list')
    expect(bad({ audited: [7] })).toThrow('"audited" must be a list of peer ids')
    expect(bad({ reports: [{ ...good.reports[1], merged: [['a']] }] })).toThrow('"merged" must list 2 stages')
    expect(bad({ reports: [{ ...good.reports[1], lost: [3] }] })).toThrow('"lost" must be a list of peer ids')
    expect(bad({ reports: [{ ...good.reports[1], loss: 'low' }] })).toThrow('"loss" must be a finite number')
    expect(bad({ reports: [{ ...good.reports[1], heldOut: -1 }] })).toThrow('"heldOut" must be between 0')
    expect(bad({ startHeldOut: 'high' })).toThrow('"startHeldOut" must be a finite number')
    expect(() => decodePipelineCheckpoint('not json', 2)).toThrow(/staged job checkpoint/)
    const badSettled = (patch: object) => () => decodePipelineCheckpoint(JSON.stringify({ ...settled, ...patch }), 2)
    expect(badSettled({ ledger: { ...settled.ledger, keys: [] } })).toThrow('has totals but no credited keys')
    expect(badSettled({ bindings: { a: { ...settled.bindings.a, expiry: 'soon' } } })).toThrow('"expiry" must be a finite number')
    expect(badSettled({ bindings: { a: { ...settled.bindings.a, seq: undefined } } })).toThrow('"seq"')
    expect(badSettled({ bindings: [] })).toThrow('bindings: expected an object')
    expect(badSettled({ logHead: 7 })).toThrow('"logHead" must be a string')
    expect(badSettled({ discardedRounds: -1 })).toThrow('"discardedRounds" must be between 0')
    expect(badSettled({ spec: {} })).toThrow('"spec" must be a string')
    expect(badSettled({ servers: [{ peer: 'a', stage: 2, version: 2 }] })).toThrow('"stage" must be between 0 and 1')
  })
})
