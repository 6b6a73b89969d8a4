// The volunteers who train a staged job serve it (issue 19): while a volunteer trains its stage from a version it
// also serves that version's stage to anyone for inference, announced under the version's model id, and once
// training is over every volunteer serves the job's final version; a visitor's StagedModel then gets the
// unsplit model's outputs from them, without any peer holding the model whole, and takes only the peers the
// coordinator vouches for (not a stranger offering the same stages). Training is untouched: the
// inference serving answers only forwards, at the version's parameters. Real libp2p and ORT in Node.
import { afterAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { multiaddr } from '@multiformats/multiaddr'
import { initParams } from '../graph/model.ts'
import { buildShard } from '../graph/shard.ts'
import { createLossHead, createStageEngine } from '../compute/stage-engine.ts'
import { jobModel } from '../training/job.ts'
import { flatten, paramLayout, unflatten } from '../training/vector.ts'
import type { PeerView } from '../p2p/peer-table.ts'
import type { StageOffer } from '../p2p/presence.ts'
import { callStage } from '../p2p/stage-protocol.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import { PipelineCoordinator } from './pipeline-coordinator.ts'
import { StagedModel } from './staged-model.ts'
import { MemoryCheckpointStore } from '../training/memory-checkpoints.ts'
import { StageVolunteer } from './stage-volunteer.ts'
import { dictionaryTask, stagedPeer, stagedTextJob } from './testing/staged-peers.ts'

ort.env.wasm.numThreads = 1
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const relativeL2 = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / b.reduce((s, v) => s + v * v, 0))

describe('a staged job served by its volunteers', () => {
  const stops: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined)
  })

  it('serves each version it trains from, then the final one, to a visitor who gets the unsplit model\'s outputs', async () => {
    const { task, recipe, model, draw } = await dictionaryTask(8, 48, { kind: 'transformer', layers: 2, width: 16, heads: 4 }, 5)
    const coordinatorPeer = await stagedPeer(stops)
    const job = stagedTextJob(coordinatorPeer.node.peerId.toString(), recipe, task, 4, { id: 'served', batchSize: 8, innerSteps: 3, innerLr: 3e-3, rounds: 2, auditRate: 0 })
    const head = await createLossHead(ort, model, 4, 'wasm')
    stops.push(() => head.release())
    const engineFor = (from: number, to: number, rows: number) => createStageEngine(ort, buildShard(jobModel(job), from, to, rows), 'wasm')
    const initial = flatten(paramLayout(model), initParams(model, 3))
    const options = { ...coordinatorPeer, job, initialParams: initial, head: head.run, batches: () => ({ ...draw(8), rows: 8 }), engine: engineFor, announceEveryMs: 0, checkpoints: new MemoryCheckpointStore() }
    const coordinator = await PipelineCoordinator.start(options)
    stops.push(() => coordinator.stop())
    const startCid = coordinator.paramsCid
    const announced: Array<{ peerId: string; addr: string; offers: StageOffer[][]; volunteer?: StageVolunteer }> = []
    for (let i = 0; i < 3; i++) {
      const { node, exchange } = await stagedPeer(stops)
      await node.dial(multiaddr(coordinatorPeer.node.getMultiaddrs()[0]!.toString()))
      const heard: (typeof announced)[number] = { peerId: node.peerId.toString(), addr: node.getMultiaddrs()[0]!.toString(), offers: [] as StageOffer[][] }
      announced.push(heard)
      const volunteer = await StageVolunteer.start({ node, exchange, job: (id) => (id === job.id ? job : null), engine: (_, from, to, rows) => engineFor(from, to, rows), joinEveryMs: 200, announce: (offers) => heard.offers.push(offers) })
      stops.push(() => volunteer.stop())
      heard.volunteer = volunteer
      volunteer.join(job.id)
      while (coordinator.candidates().length < i + 1) await sleep(20)
    }
    await coordinator.run(AbortSignal.timeout(120_000), () => undefined, 100)
    expect(coordinator.finished).toBe(true)
    // Each served the version it trained from (0, then 1) and, once training was over, the final version 2, each
    // under the model id the job's head named for it.
    for (const v of announced) {
      const versions = v.offers.slice(0, 3).map((o) => o.map((x) => x.version))
      expect(versions).toEqual([[0], [1], [2]])
      expect(v.offers[0]![0]!.params).toBe(startCid)
      expect(v.offers.at(-1)).toEqual([{ job: job.id, params: coordinator.paramsCid, version: 2, stage: v.offers[0]![0]!.stage }])
    }
    expect(announced.map((v) => v.offers[0]![0]!.stage).sort()).toEqual([0, 1, 2])

    // A visitor runs the final version through them, as the use page does.
    const visitor = await stagedPeer(stops)
    for (const v of announced) await visitor.node.dial(multiaddr(v.addr))
    // The coordinator vouches for exactly the peers it asked to serve the final version.
    expect([...coordinator.stageServers].sort((a, b) => a.stage - b.stage)).toEqual(announced.map((v) => ({ peer: v.peerId, stage: v.offers[0]![0]!.stage, version: 2 })).sort((a, b) => a.stage - b.stage))
    // A stranger's presence also offers every stage of it: heard, but not taken while the coordinator names servers.
    const stranger = { peerId: visitor.node.peerId.toString(), stages: [0, 1, 2].map((stage) => ({ job: job.id, params: coordinator.paramsCid, version: 2, stage })) }
    const peers = () => [...announced.map((v) => ({ peerId: v.peerId, stages: v.offers.at(-1)! })), stranger] as unknown as PeerView[]
    expect(new StagedModel({ node: visitor.node, job, paramsCid: coordinator.paramsCid, version: 2, peers }).coverage()).toEqual([2, 2, 2])
    const staged = new StagedModel({ node: visitor.node, job, paramsCid: coordinator.paramsCid, version: 2, peers, servers: () => coordinator.stageServers })
    expect(staged.vouched()).toBe(true)
    expect(staged.coverage()).toEqual([1, 1, 1])
    const x = draw(1).x
    const { outputs, route } = await staged.outputs(x)
    expect(route.sort()).toEqual(announced.map((v) => v.peerId).sort())
    const whole = await createStageEngine(ort, buildShard(model, 0, model.layers.length, 1), 'wasm')
    stops.push(() => whole.release())
    expect(relativeL2(outputs, await whole.forward(unflatten(paramLayout(model), coordinator.params), x))).toBeLessThan(1e-5)
    // A paused volunteer stops offering its stage (it would refuse the calls), and offers it again on resuming.
    const pausing = announced[0]!
    pausing.volunteer!.setPaused(true)
    expect(pausing.offers.at(-1)).toEqual([])
    pausing.volunteer!.setPaused(false)
    expect(pausing.offers.at(-1)).toEqual(pausing.offers.at(-3))
    // Served for inference only: nobody but the coordinator may train it, and a visitor's backward is refused.
    const stage0 = announced.find((v) => v.offers[0]![0]!.stage === 0)!
    await expect(callStage(visitor.node, peerIdFromString(stage0.peerId), { type: 'update', jobId: job.id, stage: 0, version: 2, step: 'x.0', lr: 0.1 }, [])).rejects.toThrow(/inference only: no update/)
    // A reload of the finished job goes on vouching for the same servers.
    await coordinator.stop()
    const reloaded = await PipelineCoordinator.start(options)
    stops.push(() => reloaded.stop())
    expect(reloaded.finished).toBe(true)
    expect(reloaded.stageServers).toEqual(coordinator.stageServers)
  }, 180_000)
})
