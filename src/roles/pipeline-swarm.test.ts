// A transformer in 3 stages, each served by 2 Node peers over real libp2p streams, driven micro-batch by
// micro-batch (issue 19): the stage peers' gradients add up to the unsplit model's, and a stage peer that
// leaves mid-step costs only its call in flight, which another peer of its stage then runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { buildModel } from '../graph/model-spec.ts'
import { initParams, paramsOf, shapeAt } from '../graph/model.ts'
import { buildGradientGraph, buildLossHead, buildShard, gradName, GRAD_IN } from '../graph/shard.ts'
import { PARAM_PREFIX } from '../graph/train-step.ts'
import { evaluateNamed } from '../graph/reference.ts'
import { seededRandom } from '../random.ts'
import { createNodePeer, type NodePeer } from '../p2p/node-peer.ts'
import { createStageEngine, type StageEngine } from '../compute/stage-engine.ts'
import { relativeL2 } from '../compute/compare-runs.ts'
import { runOrt } from '../compute/testing/run-ort.ts'
import { StageHost } from './stage-host.ts'
import { PipelineDriver, type PipelineDriverOptions } from './pipeline-driver.ts'
import { callStage } from '../p2p/stage-protocol.ts'

ort.env.wasm.numThreads = 1

const VOCAB = 12
const CONTEXT = 6
const model = buildModel({ kind: 'transformer', layers: 4, width: 16, heads: 4 }, { kind: 'tokens', vocab: VOCAB, context: CONTEXT }, VOCAB)
const CUTS = [0, 2, 4, model.layers.length]
const ROWS = 8
const MICRO = 2
const JOB = 'pipeline-test'
const params = initParams(model, 5)

function batch(seed: number) {
  const random = seededRandom(seed)
  const x = new Float32Array(ROWS * CONTEXT * VOCAB)
  const y = new Float32Array(ROWS * CONTEXT * VOCAB)
  for (let i = 0; i < ROWS * CONTEXT; i++) {
    x[i * VOCAB + Math.floor(random() * VOCAB)] = 1
    y[i * VOCAB + Math.floor(random() * VOCAB)] = 1
  }
  return { x, y }
}

/** The unsplit model's gradient over rows [from, from + count), in float64. */
function referenceGradient(x: Float32Array, y: Float32Array, from: number, count: number) {
  const width = x.length / ROWS
  const feeds = { x: x.subarray(from * width, (from + count) * width), y: y.subarray(from * width, (from + count) * width), ...Object.fromEntries([...params].map(([n, v]) => [`${PARAM_PREFIX}${n}`, v])) }
  return evaluateNamed(buildGradientGraph(model, count), feeds)
}

describe('pipeline training over the swarm', () => {
  const head = buildLossHead(model, MICRO)
  const runHead = async (output: Float32Array, y: Float32Array) => {
    const out = await runOrt(head, { activation: output, y })
    return { loss: out.loss![0]!, grad: out[GRAD_IN]! }
  }
  let driverNode: NodePeer
  const peers: Array<{ node: NodePeer; host: StageHost; stage: number }> = []

  async function stagePeer(stage: number, wrap: (engine: StageEngine, node: NodePeer) => StageEngine = (e) => e, drivers?: ReadonlySet<string>) {
    const node = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
    const host = await StageHost.start(node)
    const engine = await createStageEngine(ort, buildShard(model, CUTS[stage]!, CUTS[stage + 1]!, MICRO), 'wasm')
    host.serve({ jobId: JOB, stage, version: 0, engine: wrap(engine, node), params, drivers })
    await driverNode.dial(multiaddr(node.getMultiaddrs()[0]!.toString()))
    const peer = { node, host, stage }
    peers.push(peer)
    return peer
  }
  const driver = (live: () => Array<{ node: NodePeer; stage: number }>, random = seededRandom(1)) => new PipelineDriver(driverOptions(live, random))
  const driverOptions = (live: () => Array<{ node: NodePeer; stage: number }>, random = seededRandom(1)): PipelineDriverOptions => ({
    node: driverNode,
    jobId: JOB,
    version: 0,
    shapes: [...CUTS.slice(0, -1).map((c) => shapeAt(model, c)), shapeAt(model, model.layers.length)],
    peersOf: (stage: number) => live().filter((p) => p.stage === stage).map((p) => p.node.peerId as PeerId),
    head: runHead,
    format: 'fp32',
    inFlight: 3,
    random,
    log: (line) => logged.push(line),
  })
  const logged: string[] = []

  beforeAll(async () => {
    driverNode = await createNodePeer()
  })
  afterAll(async () => {
    for (const p of peers) {
      await p.host.stop().catch(() => undefined)
      await p.node.stop()
    }
    await driverNode.stop()
  })

  it('adds up, over each stage\'s peers, to the unsplit model\'s gradient (3 stages × 2 peers)', async () => {
    const group = [0, 0, 1, 1, 2, 2]
    const mine = await Promise.all(group.map((s) => stagePeer(s)))
    const { x, y } = batch(9)
    const report = await driver(() => mine).step(x, y, ROWS, MICRO)
    const expected = referenceGradient(x, y, 0, ROWS)
    expect(Math.abs(report.loss - expected.loss![0]!) / expected.loss![0]!).toBeLessThan(1e-4)
    expect(report.resent).toBe(0)
    const ids = report.routes.map((r) => r.microBatch)
    expect(ids).toHaveLength(4)
    expect(new Set(ids).size).toBe(4)
    const step = ids[0]!.slice(0, ids[0]!.lastIndexOf('.'))
    // Random routing used both peers of some stage.
    expect(new Set(report.routes.flatMap((r) => r.forward)).size).toBeGreaterThan(3)
    for (let stage = 0; stage < 3; stage++) {
      const hosts = mine.filter((p) => p.stage === stage).map((p) => p.host)
      expect(hosts.flatMap((h) => h.takeWork(JOB, stage)!.microBatches).sort()).toEqual([...ids].sort())
      for (const { name } of paramsOf(model, CUTS[stage], CUTS[stage + 1])) {
        const sum = new Float32Array(expected[gradName(name)]!.length)
        for (const h of hosts) h.stepGradients(JOB, stage, step)?.get(name)?.forEach((v, i) => (sum[i] = sum[i]! + v / (ROWS / MICRO)))
        expect(relativeL2(sum, expected[gradName(name)]!), name).toBeLessThan(1e-4)
      }
    }
    // Each boundary carries a micro-batch's activation forward and its gradient back: 2 × 2 rows × 6 × 16 floats.
    expect(report.boundaryBytes).toHaveLength(2)
    for (const bytes of report.boundaryBytes) expect(bytes).toBe(2 * (16 + 4 * MICRO * CONTEXT * 16))
    for (const p of mine) await p.host.stop()
  })

  it('keeps two drivers\' steps apart on the same stage peers', async () => {
    const mine = await Promise.all([0, 1, 2].map((s) => stagePeer(s)))
    const a = batch(41)
    const b = batch(42)
    const [ra, rb] = await Promise.all([driver(() => mine).step(a.x, a.y, ROWS, MICRO), driver(() => mine).step(b.x, b.y, ROWS, MICRO)])
    for (const [data, report] of [[a, ra], [b, rb]] as const) {
      const id = report.routes[0]!.microBatch
      const step = id.slice(0, id.lastIndexOf('.'))
      const expected = referenceGradient(data.x, data.y, 0, ROWS)
      for (const [stage, p] of mine.entries()) {
        for (const { name } of paramsOf(model, CUTS[stage], CUTS[stage + 1])) {
          const got = Float32Array.from(p.host.stepGradients(JOB, stage, step)!.get(name)!, (v) => v / (ROWS / MICRO))
          expect(relativeL2(got, expected[gradName(name)]!), `${name}`).toBeLessThan(1e-4)
        }
      }
    }
    for (const p of mine) await p.host.stop()
  })

  it('answers an inference across stages like the unsplit model, around a peer the stage map still lists', async () => {
    const group = [0, 1, 2, 2]
    const mine = await Promise.all(group.map((s) => stagePeer(s)))
    const { x } = batch(33)
    const micro = x.subarray(0, (x.length / ROWS) * MICRO)
    // The stage map still lists a stage-2 peer that has gone: the call to it fails and goes to the other.
    await mine[2]!.node.stop()
    let result
    for (let attempt = 0; attempt < 4 && (result === undefined || result.resent === 0); attempt++) result = await driver(() => mine, seededRandom(attempt)).infer(micro, MICRO)
    expect(result!.resent).toBeGreaterThanOrEqual(1)
    expect(result!.route[2]).toBe(mine[3]!.node.peerId.toString())
    const whole = buildShard(model, 0, model.layers.length, MICRO).forward
    const expected = evaluateNamed(whole, { activation: micro, ...Object.fromEntries([...params].map(([n, v]) => [`${PARAM_PREFIX}${n}`, v])) })['activation:out']!
    expect(relativeL2(result!.outputs, expected)).toBeLessThan(1e-5)
    for (const p of mine) {
      if (p !== mine[2]) await p.host.stop()
    }
  })

  it('sends a leaving stage peer\'s call to another peer of its stage, losing no micro-batch', async () => {
    let calls = 0
    const leaving = await stagePeer(1, (engine, node) => ({
      ...engine,
      shard: engine.shard,
      forward: async (p, a) => {
        // Its second forward never answers: the peer closes, as a tab does when its visitor leaves.
        if (++calls === 2) {
          await node.stop()
          throw new Error('gone')
        }
        return engine.forward(p, a)
      },
    }))
    const stays = await Promise.all([stagePeer(0), stagePeer(1), stagePeer(2)])
    const live = [leaving, ...stays]
    const { x, y } = batch(21)
    const report = await driver(() => live.filter((p) => p.node.status === 'started'), () => 0.01).step(x, y, ROWS, MICRO)
    const expected = referenceGradient(x, y, 0, ROWS)
    expect(Math.abs(report.loss - expected.loss![0]!) / expected.loss![0]!).toBeLessThan(1e-4)
    expect(report.resent).toBeGreaterThanOrEqual(1)
    const survivor = stays[1]!.host.takeWork(JOB, 1)!
    // Every micro-batch's stage-1 backward ran on a peer that stayed, or on the leaving one before it left.
    const left = leaving.node.peerId.toString()
    const leftWith = report.routes.filter((r) => r.backward[1] === left).map((r) => r.microBatch)
    const ids = report.routes.map((r) => r.microBatch)
    const step = ids[0]!.slice(0, ids[0]!.lastIndexOf('.'))
    expect([...survivor.microBatches, ...leftWith].sort()).toEqual([...ids].sort())
    expect(logged.some((line) => line.startsWith(`stage 1 forward of ${step}.`) && line.includes(left.slice(-8)) && line.endsWith('sending it to another peer'))).toBe(true)
    // The survivor's gradient is exactly the sum of its own micro-batches'.
    for (const { name } of paramsOf(model, CUTS[1], CUTS[2])) {
      const sum = new Float32Array(expected[gradName(name)]!.length)
      for (const id of survivor.microBatches) {
        const m = Number(id.split('.').at(-1))
        referenceGradient(x, y, m * MICRO, MICRO)[gradName(name)]!.forEach((v, i) => (sum[i] = sum[i]! + v))
      }
      expect(relativeL2(stays[1]!.host.stepGradients(JOB, 1, step)!.get(name)!, sum), name).toBeLessThan(1e-4)
    }
  })

  it('takes calls only from the job\'s drivers when its stage map names them', async () => {
    const drivers = new Set([driverNode.peerId.toString()])
    const mine = await Promise.all([0, 1, 2].map((s) => stagePeer(s, undefined, drivers)))
    const { x, y } = batch(5)
    expect((await driver(() => mine).step(x, y, ROWS, MICRO, 1e-3)).resent).toBe(0)
    // Another peer, reaching the same stage peers directly, is refused every call: it cannot move their replicas.
    const stranger = await createNodePeer()
    try {
      for (const p of mine) await stranger.dial(multiaddr(p.node.getMultiaddrs()[0]!.toString()))
      const before = Float32Array.from(mine[1]!.host.params(JOB, 1)!.values().next().value!)
      const request = { type: 'update', jobId: JOB, stage: 1, version: 0, step: 'evil.0', lr: 1 } as const
      await expect(callStage(stranger, mine[1]!.node.peerId as PeerId, request, [])).rejects.toThrow(`takes calls only from the job's drivers, and ${stranger.peerId.toString()} is not one`)
      await expect(new PipelineDriver({ ...driverOptions(() => mine), node: stranger }).infer(x.subarray(0, (x.length / ROWS) * MICRO), MICRO)).rejects.toThrow(/STAGE_UNAVAILABLE|no live peer|only from the job's drivers/)
      expect(mine[1]!.host.params(JOB, 1)!.values().next().value).toEqual(before)
    } finally {
      await stranger.stop()
      for (const p of mine) await p.host.stop()
    }
  })
})
