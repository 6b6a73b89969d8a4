// The use page's model through stage peers (issue 19), over real libp2p in Node: stage peers fetch a version's
// parameters from the job's coordinator by content id, serve its stages for inference and say so with their
// presence; a tab that heard them gets the unsplit model's outputs and writes the text the unsplit model writes,
// around a stage peer that stops; no asker can change the served model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { multiaddr } from '@multiformats/multiaddr'
import { createNodePeer } from '../p2p/node-peer.ts'
import { Swarm } from '../p2p/swarm.ts'
import { BlockExchange } from '../p2p/block-exchange.ts'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { callStage } from '../p2p/stage-protocol.ts'
import { recipeModel, type ModelRecipe } from '../graph/model-recipe.ts'
import { initParams } from '../graph/model.ts'
import { UNKNOWN } from '../data/text.ts'
import { taskInput, taskOutputs, type TextTask } from '../data/task.ts'
import { predictOutputs } from '../compute/evaluate.ts'
import { generateTokens } from '../compute/generate.ts'
import { createStageEngine } from '../compute/stage-engine.ts'
import { relativeL2 } from '../compute/compare-runs.ts'
import { flatten, paramLayout } from '../training/vector.ts'
import { testJob } from '../training/testing/job-fixture.ts'
import type { JobSpec } from '../training/job.ts'
import { seededRandom } from '../random.ts'
import { ExchangeVectorStore } from './exchange-vector-store.ts'
import { StageServer } from './stage-server.ts'
import { StagedModel } from './staged-model.ts'

ort.env.wasm.numThreads = 1

const TEXT: TextTask = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: [UNKNOWN, ' ', 'a', 'b', 'c', 'd', 'e'], context: 6 } }
const recipe: ModelRecipe = { spec: { kind: 'transformer', layers: 4, width: 16, heads: 4 }, input: taskInput(TEXT), ...taskOutputs(TEXT) }
const model = recipeModel(recipe)
const params = initParams(model, 3)
const flat = flatten(paramLayout(model), params)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function until(what: string, test: () => boolean, ms = 20_000) {
  const deadline = Date.now() + ms
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(100)
  }
}

describe('a model served by stage peers', () => {
  const stops: Array<() => Promise<void>> = []
  let job: JobSpec
  let tab: Swarm
  let cid: string
  let coordinatorSwarm: Swarm
  const servers: StageServer[] = []
  const peerSwarms: Swarm[] = []

  const peer = async () => {
    const swarm = await Swarm.start({ node: await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } }), relayAddrs: [], iceServers: [], announceEveryMs: 300, dialsWebRTC: false })
    const exchange = await BlockExchange.start(swarm.node, new MemoryBlockstore())
    stops.push(async () => {
      await exchange.stop()
      await swarm.stop()
    })
    return { swarm, exchange }
  }
  const link = async (a: Swarm, b: Swarm) => void (await a.node.dial(multiaddr(b.node.getMultiaddrs()[0]!.toString())))

  beforeAll(async () => {
    const coordinator = await peer()
    coordinatorSwarm = coordinator.swarm
    cid = await new ExchangeVectorStore(coordinator.exchange, flat.length).putParams(flat)
    job = { ...testJob({ id: 'staged', coordinator: coordinator.swarm.node.peerId.toString(), model: 'transformer' }), recipe, task: TEXT, classes: [], stages: { cuts: [2, 4], microBatch: 2, budgetBytes: 2 ** 24 } }
    tab = (await peer()).swarm
    // Stage 0 on one peer, stage 1 on two (one of which stops later), stage 2 with stage 0 on the first.
    for (const stages of [[0, 2], [1], [1]]) {
      const { swarm, exchange } = await peer()
      await link(swarm, coordinator.swarm)
      await link(tab, swarm)
      const server = await StageServer.start({ swarm, exchange, engine: (shard) => createStageEngine(ort, shard, 'wasm') })
      await server.serveVersion(job, 5, cid, stages)
      servers.push(server)
      peerSwarms.push(swarm)
    }
  }, 60_000)
  afterAll(async () => {
    for (const server of servers) await server.stop()
    for (const stop of stops.reverse()) await stop()
  })

  it('answers as the unsplit model does, and writes what it writes, routed around a stage peer that stops', async () => {
    const staged = new StagedModel({ node: tab.node, job, paramsCid: cid, peers: () => tab.current.peers })
    await until('the tab hears every stage served', () => staged.coverage().join() === '1,2,1')
    const random = seededRandom(9)
    const x = new Float32Array(6 * 7)
    for (let p = 0; p < 6; p++) x[p * 7 + Math.floor(random() * 7)] = 1
    const { outputs, route } = await staged.outputs(x)
    expect(route).toHaveLength(3)
    expect(route[0]).toBe(route[2])
    const unsplit = await predictOutputs(ort, model, params, x, 1)
    expect(relativeL2(outputs, unsplit)).toBeLessThan(1e-5)

    const prompt = [1, 2, 3, 4, 5, 6, 2]
    const expected = await generateTokens(ort, model, params, { prompt, length: 12, temperature: 0, seed: 1 })
    // One of stage 1's peers stops (its presence lingers in the tab's table): the others still answer.
    await peerSwarms[1]!.stop()
    expect(await staged.write(prompt, { length: 12, temperature: 0, seed: 1 })).toEqual(expected)
  }, 60_000)

  it('checks an answer through a second peer of a stage, and refuses to show one a peer got wrong', async () => {
    const staged = new StagedModel({ node: tab.node, job, paramsCid: cid, version: 5, peers: () => tab.current.peers })
    const x = new Float32Array(6 * 7)
    for (let p = 0; p < 6; p++) x[p * 7 + ((p * 3) % 7)] = 1
    // A second live peer joins stage 1 (one of its two others is gone): the check runs the sample through both
    // live ones, which agree.
    const stagePeer = async (lie: boolean) => {
      const { swarm, exchange } = await peer()
      await link(swarm, coordinatorSwarm)
      await link(tab, swarm)
      const server = await StageServer.start({ swarm, exchange, engine: async (shard) => {
        const engine = await createStageEngine(ort, shard, 'wasm')
        return lie ? { ...engine, shard, forward: async (p, a) => (await engine.forward(p, a)).map((v) => 0.9 * v) } : engine
      } })
      await server.serveVersion(job, 5, cid, [1])
      servers.push(server)
      return swarm
    }
    const honest = await stagePeer(false)
    await until('the tab hears the second live stage-1 peer', () => staged.coverage()[1] === 3)
    const checked = await staged.outputs(x, true)
    expect(checked.checkedStages).toEqual([1])
    expect(relativeL2(checked.outputs, await predictOutputs(ort, model, params, x, 1))).toBeLessThan(1e-5)
    // It leaves, and a peer joins stage 1 that hands back 0.9× what it computes: every checked answer now meets
    // it on one of the two routes (the peers gone fail and are passed over), and nothing is shown.
    await honest.stop()
    const swarm = await stagePeer(true)
    await until('the tab hears the lying stage-1 peer', () => staged.coverage()[1] === 4)
    await expect(staged.outputs(x, true)).rejects.toMatchObject({ code: 'STAGE_PEERS_DISAGREE', message: expect.stringContaining(swarm.node.peerId.toString().slice(-8)) })
  }, 60_000)

  it('refuses a backward or an update from anyone, so the served model cannot be changed', async () => {
    const target = peerSwarms[2]!.node.peerId
    for (const request of [
      { type: 'backward', jobId: job.id, stage: 1, version: 5, step: 'x.0', microBatch: 'x.0.0', format: 'fp32' },
      { type: 'update', jobId: job.id, stage: 1, version: 5, step: 'x.0', lr: 0.1 },
    ] as const) {
      const tensors = request.type === 'backward' ? [new Uint8Array(8), new Uint8Array(8)] : []
      await expect(callStage(tab.node, target, request, tensors)).rejects.toThrow(/for inference only/)
    }
  })

  it('refuses to serve a job without stages, a stage it lacks, or more stages than a presence carries', async () => {
    const server = servers[0]!
    await expect(server.serveVersion({ ...job, stages: undefined }, 5, cid, [0])).rejects.toThrow(/not split into stages/)
    await expect(server.serveVersion(job, 5, cid, [3])).rejects.toThrow(/stages 0 to 2, not 3/)
    await expect(server.serveVersion({ ...job, id: 'other' }, 5, cid, [0, 1, 2])).rejects.toThrow(/at most 4 stages/)
    expect(server.serving.map((o) => o.stage)).toEqual([0, 2])
  })
})
