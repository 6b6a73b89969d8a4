// Who may steer a stage volunteer and a staged job's coordinator: only the job's coordinator says what a
// volunteer trains and takes its replica; a coordinator takes only joins for its own job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { createNodePeer, type NodePeer } from '../p2p/node-peer.ts'
import { BlockExchange } from '../p2p/block-exchange.ts'
import { callStage } from '../p2p/stage-protocol.ts'
import { buildShard } from '../graph/shard.ts'
import { jobModel } from '../training/job.ts'
import { createStageEngine } from '../compute/stage-engine.ts'
import { recipeModel, type ModelRecipe } from '../graph/model-recipe.ts'
import { initParams } from '../graph/model.ts'
import { UNKNOWN } from '../data/text.ts'
import { taskInput, taskOutputs, type TextTask } from '../data/task.ts'
import { testJob } from '../training/testing/job-fixture.ts'
import type { JobSpec } from '../training/job.ts'
import { flatten, paramLayout } from '../training/vector.ts'
import { MAX_JOINED, PipelineCoordinator } from './pipeline-coordinator.ts'
import { StageVolunteer } from './stage-volunteer.ts'

ort.env.wasm.numThreads = 1

const TEXT: TextTask = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: [UNKNOWN, 'a', 'b', 'c'], context: 4 } }
const recipe: ModelRecipe = { spec: { kind: 'transformer', layers: 2, width: 8, heads: 2 }, input: taskInput(TEXT), ...taskOutputs(TEXT) }
const model = recipeModel(recipe)

describe('steering a staged job', () => {
  const nodes: NodePeer[] = []
  const stops: Array<() => Promise<void>> = []
  let coordinatorNode: NodePeer
  let volunteerNode: NodePeer
  let stranger: NodePeer
  let job: JobSpec
  let coordinator: PipelineCoordinator
  let volunteer: StageVolunteer
  const node = async () => {
    const n = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
    nodes.push(n)
    return n
  }
  beforeAll(async () => {
    coordinatorNode = await node()
    volunteerNode = await node()
    stranger = await node()
    job = { ...testJob({ id: 'steer', coordinator: coordinatorNode.peerId.toString(), model: 'transformer', batchSize: 4 }), recipe, task: TEXT, classes: [], stages: { cuts: [2], microBatch: 2, budgetBytes: 2 ** 24 } }
    const exchange = await BlockExchange.start(coordinatorNode, new MemoryBlockstore())
    stops.push(() => exchange.stop())
    coordinator = await PipelineCoordinator.start({ node: coordinatorNode, exchange, job, initialParams: flatten(paramLayout(model), initParams(model, 1)), batches: () => { throw new Error('no rounds here') }, head: () => Promise.reject(new Error('no head')) })
    const volunteerExchange = await BlockExchange.start(volunteerNode, new MemoryBlockstore())
    stops.push(() => volunteerExchange.stop())
    volunteer = await StageVolunteer.start({ node: volunteerNode, exchange: volunteerExchange, job: (id) => (id === job.id ? job : null), engine: (j, from, to, rows) => createStageEngine(ort, buildShard(jobModel(j), from, to, rows), 'wasm') })
    stops.push(() => volunteer.stop())
    for (const a of [volunteerNode, stranger]) for (const b of [coordinatorNode, volunteerNode]) if (a !== b) await a.dial(multiaddr(b.getMultiaddrs()[0]!.toString()))
  })
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop()
    for (const n of nodes) await n.stop()
  })

  it('a volunteer takes serve and delta from the coordinator of a job it joined only, and no join', async () => {
    const serve = { type: 'serve', jobId: 'steer', stage: 0, version: 0, params: 'bafyanything' } as const
    // Not joined yet: even the job's coordinator cannot make it serve (nor anyone announcing some job of theirs).
    await expect(callStage(coordinatorNode, volunteerNode.peerId, serve, [])).rejects.toThrow(/job "steer" is not one/)
    // Joined (its coordinator pinned as it was heard then), as join() does before asking for a stage.
    ;(volunteer as unknown as { pinned: Map<string, string> }).pinned.set('steer', coordinatorNode.peerId.toString())
    await expect(callStage(stranger, volunteerNode.peerId, serve, [])).rejects.toThrow(/only the coordinator of a job this peer joined may ask for a serve/)
    await expect(callStage(stranger, volunteerNode.peerId, { type: 'delta', jobId: 'steer', stage: 0, version: 0 }, [])).rejects.toThrow(/only the coordinator of a job this peer joined may ask for a delta/)
    await expect(callStage(coordinatorNode, volunteerNode.peerId, { type: 'delta', jobId: 'steer', stage: 0, version: 0 }, [])).rejects.toThrow(/is not trained here from version 0/)
    await expect(callStage(coordinatorNode, volunteerNode.peerId, { ...serve, stage: 5 }, [])).rejects.toThrow(/has stages 0 to 1, not 5/)
    await expect(callStage(coordinatorNode, volunteerNode.peerId, { ...serve, jobId: 'other' }, [])).rejects.toThrow(/job "other" has not been heard here/)
    await expect(callStage(stranger, volunteerNode.peerId, { type: 'join', jobId: 'steer' }, [])).rejects.toThrow(/coordinates no job/)
  })

  it('a coordinator takes joins for its own job only, and nothing else', async () => {
    await callStage(stranger, coordinatorNode.peerId, { type: 'join', jobId: 'steer' }, [])
    expect(coordinator.candidates()).toEqual([stranger.peerId.toString()])
    await expect(callStage(stranger, coordinatorNode.peerId, { type: 'join', jobId: 'elsewhere' }, [])).rejects.toThrow(/job "elsewhere" is not coordinated here/)
    await expect(callStage(stranger, coordinatorNode.peerId, { type: 'delta', jobId: 'steer', stage: 0, version: 0 }, [])).rejects.toThrow(/takes only join and bind requests, not delta/)
    // A wallet binding for a job that pays no pool is refused with why; a volunteer takes none.
    const binding = { job: 'steer', peer: stranger.peerId.toString(), wallet: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as const, expiry: 2 ** 31, signature: '0xab' as const }
    await expect(callStage(stranger, coordinatorNode.peerId, { type: 'bind', jobId: 'steer', binding }, [])).rejects.toThrow(/pays no on-chain rewards/)
    await expect(callStage(stranger, volunteerNode.peerId, { type: 'bind', jobId: 'steer', binding }, [])).rejects.toThrow(/coordinates no job/)
    // With one volunteer for two stages no round starts, and nothing changes.
    expect(await coordinator.runRound()).toBeNull()
    expect(coordinator.version).toBe(0)
    // Identities cost nothing: a flood of joins is bounded, and the peers already joined keep their place.
    const hearRequest = (coordinator as unknown as { hear: (request: { type: 'join'; jobId: string }, from: string) => Promise<{ response: { type: string; detail?: string } }> }).hear.bind(coordinator)
    const hear = (jobId: string, _type: 'join', from: string) => hearRequest({ type: 'join', jobId }, from)
    for (let i = 1; i < MAX_JOINED; i++) expect((await hear('steer', 'join', `sybil-${i}`)).response.type).toBe('done')
    expect((await hear('steer', 'join', 'one-too-many')).response).toMatchObject({ type: 'refused', detail: `${MAX_JOINED} volunteers have joined this job` })
    expect((await hear('steer', 'join', stranger.peerId.toString())).response.type).toBe('done')
    expect(coordinator.candidates()[0]).toBe(stranger.peerId.toString())
  })
})
