// A staged job's rounds over libp2p (issue 19): six Node volunteers join a character transformer split into
// 3 stages, two per stage; each round the coordinator drives its inner steps through them and merges each
// stage group's replicas DiLoCo-style. One stage peer leaves mid-round: its calls go to the other peer of its
// stage, the round still closes, and it is paid nothing for it. After the rounds the split model's held-out
// loss is within 5 % of the unsplit model trained on the same windows.
import { afterAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { multiaddr } from '@multiformats/multiaddr'
import { initParams } from '../graph/model.ts'
import { buildTrainStep } from '../graph/train-step.ts'
import { DEFAULT_ADAMW } from '../graph/optimizer.ts'
import type { NodePeer } from '../p2p/node-peer.ts'
import { buildShard } from '../graph/shard.ts'
import { jobModel } from '../training/job.ts'
import { createStageEngine, createLossHead } from '../compute/stage-engine.ts'
import { TrainSession } from '../compute/train-session.ts'
import { flatten, paramLayout, unflatten } from '../training/vector.ts'
import { PipelineCoordinator } from './pipeline-coordinator.ts'
import { dictionaryTask, stagedPeer, stagedTextJob } from './testing/staged-peers.ts'
import { StageVolunteer } from './stage-volunteer.ts'

ort.env.wasm.numThreads = 1

const CONTEXT = 16
const ROWS = 8
const MICRO = 4
const ROUNDS = 4
const H = 10
const LR = 3e-3

const logged: string[] = []
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('a staged job\'s rounds over the swarm', () => {
  const stops: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined)
  })

  it('trains 3 stage groups of 2 volunteers to within 5 % of the unsplit model, through a volunteer leaving mid-round', async () => {
    const { task, recipe, model, draw } = await dictionaryTask(CONTEXT, 64, { kind: 'transformer', layers: 2, width: 32, heads: 4 }, 4)
    const batches = Array.from({ length: ROUNDS * H }, () => draw(ROWS))
    const heldOut = draw(64)
    const initial = initParams(model, 2)
    const layout = paramLayout(model)

    // The unsplit model on the same windows, in the same order, and its held-out loss.
    const session = await TrainSession.create(ort, buildTrainStep(model, ROWS, DEFAULT_ADAMW), { backend: 'wasm' })
    const scorer = await TrainSession.create(ort, buildTrainStep(model, 64, DEFAULT_ADAMW), { backend: 'wasm' })
    const heldOutLoss = async (params: ReadonlyMap<string, Float32Array>) => {
      scorer.load(params)
      return (await scorer.run(heldOut, 0, 1)).loss
    }
    // (A session may train in the arrays it is given: it gets its own copy.)
    session.load(new Map([...initial].map(([name, values]) => [name, Float32Array.from(values)])))
    for (const [i, b] of batches.entries()) await session.run(b, LR, i + 1)
    const unsplit = await heldOutLoss((await session.read()).params)
    await session.release()

    const peer = () => stagedPeer(stops)
    const coordinatorPeer = await peer()
    const job = stagedTextJob(coordinatorPeer.node.peerId.toString(), recipe, task, MICRO, { id: 'staged-text', batchSize: ROWS, innerSteps: H, innerLr: LR, outerLr: 0.7, outerMomentum: 0.5 })
    const head = await createLossHead(ort, model, MICRO, 'wasm')
    stops.push(() => head.release())
    let leaver: NodePeer | null = null
    const coordinator = await PipelineCoordinator.start({
      ...coordinatorPeer,
      job,
      initialParams: flatten(layout, initial),
      head: head.run,
      engine: (from, to, rows) => createStageEngine(ort, buildShard(jobModel(job), from, to, rows), 'wasm'),
      log: (line) => logged.push(line),
      batches: (round, step) => {
        // Mid-round 1, a peer of stage 1 closes, as a tab does when its visitor leaves.
        if (round === 1 && step === 4 && leaver) void leaver.stop()
        return { ...batches[round * H + step]!, rows: ROWS }
      },
    })
    stops.push(() => coordinator.stop())
    const volunteers: Array<{ node: NodePeer; volunteer: StageVolunteer }> = []
    for (let i = 0; i < 6; i++) {
      const { node, exchange } = await peer()
      await node.dial(multiaddr(coordinatorPeer.node.getMultiaddrs()[0]!.toString()))
      const volunteer = await StageVolunteer.start({ node, exchange, job: (id) => (id === job.id ? job : null), engine: (j, from, to, rows) => createStageEngine(ort, buildShard(jobModel(j), from, to, rows), 'wasm'), joinEveryMs: 500 })
      stops.push(() => volunteer.stop())
      volunteer.join(job.id)
      volunteers.push({ node, volunteer })
    }
    while (coordinator.candidates().length < 6) await sleep(50)

    const reports = []
    for (let r = 0; r < ROUNDS; r++) {
      if (r === 1) {
        const stageOne = Object.entries(coordinator.reports[0]!.assigned).filter(([, s]) => s === 1).map(([p]) => p)
        leaver = volunteers.find((v) => v.node.peerId.toString() === stageOne[0])!.node
      }
      const report = await coordinator.runRound()
      expect(report, `round ${r}: ${logged.join('\n')}`).not.toBeNull()
      reports.push(report!)
    }
    // Every replica was audited (its round replayed) in its first round, some later at the job's rate 0.5,
    // through a round in which a peer left mid-way; none failed.
    expect(reports[0]!.audits.run).toBe(6)
    expect(reports.flatMap((r) => r.audits.failed)).toEqual([])
    // Two volunteers per stage; every round closed with all its steps and moved the version on.
    expect(Object.values(reports[0]!.assigned).sort()).toEqual([0, 0, 1, 1, 2, 2])
    expect(reports.map((r) => r.steps)).toEqual(new Array(ROUNDS).fill(H))
    expect(coordinator.version).toBe(ROUNDS)
    // The leaver's calls went to its stage's other peer; its replica never came back; it is paid nothing for
    // the round it left, and the stage was still merged from the peer that stayed.
    const left = leaver!.peerId.toString()
    expect(reports[1]!.resent).toBeGreaterThan(0)
    expect(reports[1]!.lost).toEqual([left])
    expect(reports[1]!.credited[left]).toBeUndefined()
    expect(reports[1]!.merged[1]).toHaveLength(1)
    expect(reports[0]!.credited[left]).toBeGreaterThan(0)
    // Later rounds go on without it (until its last join expires it is offered a stage, which it cannot take).
    for (const r of reports.slice(2)) {
      expect(r.merged.flat()).not.toContain(left)
      expect(r.credited[left]).toBeUndefined()
      expect(r.merged.flat()).toHaveLength(5)
    }
    // Every replica starts each round's AdamW afresh (so its round can be replayed): its step count is this
    // round's (the steps it had a micro-batch of), never more.
    for (const { volunteer, node } of volunteers) {
      if (node === leaver) continue
      const [held] = volunteer.holding
      const steps = volunteer.host.optimizerSteps(job.id, held!.stage)!
      expect(steps).toBeGreaterThan(0)
      expect(steps).toBeLessThanOrEqual(H)
    }
    // Credit per stage: every stage's peers were paid for FLOPs they ran, counted from the coordinator's graphs.
    for (const s of [0, 1, 2]) expect([...coordinator.credit.values()].reduce((n, c) => n + c.byStage[s]!, 0)).toBeGreaterThan(0)

    const split = await heldOutLoss(unflatten(layout, coordinator.params))
    const before = await heldOutLoss(initial)
    await scorer.release()
    console.info(`held-out loss ${before.toFixed(3)} → unsplit ${unsplit.toFixed(4)}, 3 stages × 2 volunteers ${split.toFixed(4)} (train loss by round ${reports.map((r) => r.loss.toFixed(3)).join(', ')})`)
    expect(unsplit).toBeLessThan(before * 0.8)
    expect(Math.abs(split - unsplit) / unsplit).toBeLessThan(0.05)
  }, 240_000)
})
