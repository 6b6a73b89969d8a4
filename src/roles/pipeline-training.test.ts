// Training through stages over libp2p (issue 19): a character transformer split into 3 stages, each stage's
// peer applying AdamW to its own layers after every step, trained on The Devil's Dictionary. It must follow
// the unsplit model trained on the same windows in one ORT session (the same AdamW, in its graph) to within
// 5 % of its loss, step for step, while the loss falls.
import { afterAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { buildModel } from '../graph/model-spec.ts'
import { initParams, shapeAt } from '../graph/model.ts'
import { buildLossHead, buildShard, GRAD_IN } from '../graph/shard.ts'
import { buildTrainStep } from '../graph/train-step.ts'
import { DEFAULT_ADAMW } from '../graph/optimizer.ts'
import { planStages } from '../graph/stage-plan.ts'
import { seededRandom } from '../random.ts'
import { characterVocab, readTextFile, tokenize, windowBatch, windowStarts } from '../data/text.ts'
import { readSharedFile } from '../data/testing/shared-files.ts'
import { createNodePeer, type NodePeer } from '../p2p/node-peer.ts'
import { createStageEngine } from '../compute/stage-engine.ts'
import { TrainSession } from '../compute/train-session.ts'
import { runOrt } from '../compute/testing/run-ort.ts'
import { StageHost } from './stage-host.ts'
import { PipelineDriver } from './pipeline-driver.ts'

ort.env.wasm.numThreads = 1

const CONTEXT = 16
const ROWS = 8
const MICRO = 4
const STEPS = 40
const LR = 3e-3

describe('training a model split into stages over the swarm', () => {
  const nodes: NodePeer[] = []
  const hosts: StageHost[] = []
  afterAll(async () => {
    for (const h of hosts) await h.stop()
    for (const n of nodes) await n.stop()
  })

  it('follows the unsplit model on The Devil\'s Dictionary within 5 % of its loss', async () => {
    const documents = readTextFile({ name: 'devils-dictionary.txt', bytes: await readSharedFile('text/devils-dictionary.txt') })
    const vocab = characterVocab(documents, 64)
    const { tokens } = tokenize(documents, { kind: 'text', tokens: 'characters', vocab, context: CONTEXT }, 'devils-dictionary.txt')
    const model = buildModel({ kind: 'transformer', layers: 2, width: 32, heads: 4 }, { kind: 'tokens', vocab: vocab.length, context: CONTEXT }, vocab.length)
    const starts = windowStarts(tokens.length, CONTEXT)
    const random = seededRandom(4)
    const batches = Array.from({ length: STEPS }, () => windowBatch(tokens, Array.from({ length: ROWS }, () => starts[Math.floor(random() * starts.length)]!), CONTEXT, vocab.length))
    const params = initParams(model, 2)

    // The unsplit model: one session, AdamW inside its graph.
    const session = await TrainSession.create(ort, buildTrainStep(model, ROWS, DEFAULT_ADAMW), { backend: 'wasm' })
    session.load(params)
    const unsplit: number[] = []
    for (const [i, b] of batches.entries()) unsplit.push((await session.run(b, LR, i + 1)).loss)
    await session.release()

    // Three stages, each on a peer of its own, driven over libp2p.
    const plan = planStages(model, { microBatch: MICRO, inFlight: 2, budgetBytes: 1e9, cuts: [2, 4] })
    const driverNode = await createNodePeer()
    nodes.push(driverNode)
    const stagePeers: PeerId[] = []
    for (const stage of plan.stages) {
      const node = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
      const host = await StageHost.start(node)
      host.serve({ jobId: 'text', stage: stage.index, version: 0, engine: await createStageEngine(ort, buildShard(model, stage.from, stage.to, MICRO), 'wasm'), params })
      await driverNode.dial(multiaddr(node.getMultiaddrs()[0]!.toString()))
      nodes.push(node)
      hosts.push(host)
      stagePeers.push(node.peerId)
    }
    const head = buildLossHead(model, MICRO)
    const driver = new PipelineDriver({
      node: driverNode,
      jobId: 'text',
      version: 0,
      shapes: [...plan.stages.map((s) => shapeAt(model, s.from)), shapeAt(model, model.layers.length)],
      peersOf: (stage) => [stagePeers[stage]!],
      head: async (output, y) => {
        const out = await runOrt(head, { activation: output, y })
        return { loss: out.loss![0]!, grad: out[GRAD_IN]! }
      },
      format: 'fp16',
      inFlight: 2,
    })
    const split: number[] = []
    for (const b of batches) split.push((await driver.step(b.x, b.y, ROWS, MICRO, LR)).loss)

    const tail = (losses: number[]) => losses.slice(-5).reduce((a, b) => a + b, 0) / 5
    expect(tail(unsplit)).toBeLessThan(unsplit[0]! * 0.75)
    for (let i = 0; i < STEPS; i++) expect(Math.abs(split[i]! - unsplit[i]!) / unsplit[i]!, `step ${i + 1}: ${split[i]} against ${unsplit[i]}`).toBeLessThan(0.05)
    console.info(`loss ${unsplit[0]!.toFixed(3)} → unsplit ${tail(unsplit).toFixed(4)}, 3 stages over libp2p (fp16 boundaries) ${tail(split).toFixed(4)}`)
    // Each peer applied one update per step to its own layers.
    for (const [s, host] of hosts.entries()) expect(host.takeWork('text', s)!.updates).toBe(STEPS)
  })
})
