// Pipeline stages (issue 19) against whole-model training, side by side in one run on this machine: the
// Devil's Dictionary transformer trained whole in one ORT session, and split into 3 stages served by 3 peers
// over loopback libp2p (all in this process, so they share its thread: the ratio is the cost of splitting,
// not a speed-up); the stages' busy share of the wall time and the bubble a GPipe schedule of the same shape
// would have; the bytes each boundary carries per micro-batch in fp32, fp16 and int8; and the largest
// transformer a tab's memory can train unsplit against split into stages.
import * as ort from 'onnxruntime-web'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { buildModel, PHONE_TAB_BYTES, SPEC_LIMITS } from '../src/graph/model-spec.ts'
import { initParams, parameterCount, shapeAt, type Model } from '../src/graph/model.ts'
import { buildLossHead, buildShard, GRAD_IN } from '../src/graph/shard.ts'
import { buildTrainStep } from '../src/graph/train-step.ts'
import { DEFAULT_ADAMW } from '../src/graph/optimizer.ts'
import { planStages } from '../src/graph/stage-plan.ts'
import { seededRandom } from '../src/random.ts'
import { createNodePeer, type NodePeer } from '../src/p2p/node-peer.ts'
import { createStageEngine, type StageEngine } from '../src/compute/stage-engine.ts'
import { TrainSession } from '../src/compute/train-session.ts'
import { runOrt } from '../src/compute/testing/run-ort.ts'
import { StageHost } from '../src/roles/stage-host.ts'
import { PipelineDriver } from '../src/roles/pipeline-driver.ts'
import type { BoundaryFormat } from '../src/training/boundary-codec.ts'

export interface PipelineBenchResult {
  model: string
  parameters: number
  stages: Array<{ from: number; to: number; parameters: number; mib: number }>
  batch: number
  microBatch: number
  wholeSamplesPerSecond: number
  pipelineSamplesPerSecond: Record<BoundaryFormat, number>
  /** Share of wall time (fp16) some stage's engine was computing, and 1 minus it. */
  stageBusyShare: number
  measuredBubble: number
  gpipeBubble: number
  boundaryBytes: Record<BoundaryFormat, number[]>
  largest: Array<{ budget: string; unsplit: string; split: string; stages: number }>
}

const CONTEXT = 64
const VOCAB = 96
const transformer = (layers: number, width: number, heads: number): Model =>
  buildModel({ kind: 'transformer', layers, width, heads }, { kind: 'tokens', vocab: VOCAB, context: CONTEXT }, VOCAB)

/** The largest transformer of the spec grid (by parameters) a budget trains in one stage, and in several. */
function largest(budgetBytes: number, microBatch: number) {
  let unsplit: Model | null = null
  let split: { model: Model; stages: number } | null = null
  for (const width of [128, 256, 384, 512, 768, 1024]) {
    for (const layers of [2, 4, 8, 12, 16, 24].filter((l) => l <= SPEC_LIMITS.transformerLayers)) {
      const model = transformer(layers, width, Math.min(16, width / 64))
      let plan
      try {
        plan = planStages(model, { microBatch, inFlight: 2, budgetBytes })
      } catch {
        continue
      }
      const size = parameterCount(model)
      if (plan.stages.length === 1 && (!unsplit || size > parameterCount(unsplit))) unsplit = model
      if (!split || size > parameterCount(split.model)) split = { model, stages: plan.stages.length }
    }
  }
  const name = (m: Model | null) => (m ? `${(parameterCount(m) / 1e6).toFixed(1)}M (${m.layers.length - 3} × ${m.layers[1]!.params[0]?.shape[0] ?? '?'})` : 'none')
  return { unsplit: name(unsplit), split: split ? name(split.model) : 'none', stages: split?.stages ?? 0 }
}

export async function benchPipeline(options: { steps: number; batch: number; microBatch: number; log: (line: string) => void }): Promise<PipelineBenchResult> {
  ort.env.wasm.numThreads = 1
  const { steps, batch, microBatch, log } = options
  const model = transformer(4, 128, 4)
  const params = initParams(model, 1)
  const random = seededRandom(2)
  const batches = Array.from({ length: steps }, () => {
    const x = new Float32Array(batch * CONTEXT * VOCAB)
    const y = new Float32Array(batch * CONTEXT * VOCAB)
    for (let i = 0; i < batch * CONTEXT; i++) {
      x[i * VOCAB + Math.floor(random() * VOCAB)] = 1
      y[i * VOCAB + Math.floor(random() * VOCAB)] = 1
    }
    return { x, y }
  })

  const session = await TrainSession.create(ort, buildTrainStep(model, batch, DEFAULT_ADAMW), { backend: 'wasm' })
  session.load(params)
  await session.run(batches[0]!, 1e-3, 1)
  let started = performance.now()
  for (const [i, b] of batches.entries()) await session.run(b, 1e-3, i + 2)
  const wholeSamplesPerSecond = (steps * batch * 1000) / (performance.now() - started)
  await session.release()
  log(`whole model in one session: ${wholeSamplesPerSecond.toFixed(1)} samples/s`)

  // Three stages, balanced by the planner: the smallest budget that still gives 3 stages.
  const whole = planStages(model, { microBatch, inFlight: 2, budgetBytes: 1e12 }).stages[0]!.bytes
  let plan = planStages(model, { microBatch, inFlight: 2, budgetBytes: whole })
  for (let share = 0.95; plan.stages.length < 3 && share > 0.05; share -= 0.05) plan = planStages(model, { microBatch, inFlight: 2, budgetBytes: whole * share })
  const driverNode = await createNodePeer()
  const nodes: NodePeer[] = [driverNode]
  const hosts: StageHost[] = []
  const peers: PeerId[] = []
  let busyMs = 0
  const timed = (engine: StageEngine): StageEngine => ({
    ...engine,
    shard: engine.shard,
    forward: async (p, a) => {
      const t = performance.now()
      try {
        return await engine.forward(p, a)
      } finally {
        busyMs += performance.now() - t
      }
    },
    backward: async (p, a, g) => {
      const t = performance.now()
      try {
        return await engine.backward(p, a, g)
      } finally {
        busyMs += performance.now() - t
      }
    },
  })
  for (const stage of plan.stages) {
    const node = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
    const host = await StageHost.start(node)
    host.serve({ jobId: 'bench', stage: stage.index, version: 0, engine: timed(await createStageEngine(ort, buildShard(model, stage.from, stage.to, microBatch), 'wasm')), params })
    await driverNode.dial(multiaddr(node.getMultiaddrs()[0]!.toString()))
    nodes.push(node)
    hosts.push(host)
    peers.push(node.peerId)
  }
  const head = buildLossHead(model, microBatch)
  const pipelineSamplesPerSecond = {} as Record<BoundaryFormat, number>
  const boundaryBytes = {} as Record<BoundaryFormat, number[]>
  let stageBusyShare = 0
  try {
    for (const format of ['fp32', 'fp16', 'int8'] as const) {
      const driver = new PipelineDriver({
        node: driverNode,
        jobId: 'bench',
        version: 0,
        shapes: [...plan.stages.map((s) => shapeAt(model, s.from)), shapeAt(model, model.layers.length)],
        peersOf: (stage) => [peers[stage]!],
        head: async (output, y) => {
          const out = await runOrt(head, { activation: output, y })
          return { loss: out.loss![0]!, grad: out[GRAD_IN]! }
        },
        format,
        inFlight: plan.stages.length,
      })
      await driver.step(batches[0]!.x, batches[0]!.y, batch, microBatch, 1e-3)
      busyMs = 0
      started = performance.now()
      let report
      for (const b of batches) report = await driver.step(b.x, b.y, batch, microBatch, 1e-3)
      const wallMs = performance.now() - started
      pipelineSamplesPerSecond[format] = (steps * batch * 1000) / wallMs
      boundaryBytes[format] = report!.boundaryBytes
      if (format === 'fp16') stageBusyShare = busyMs / wallMs
      log(`3 stages over libp2p, ${format} boundaries: ${pipelineSamplesPerSecond[format].toFixed(1)} samples/s, ${report!.boundaryBytes.map((b) => `${(b / 1024).toFixed(0)} KiB`).join(' + ')} per micro-batch`)
    }
  } finally {
    for (const h of hosts) await h.stop()
    for (const n of nodes) await n.stop()
  }
  const micro = batch / microBatch
  return {
    model: '4 × 128 character transformer, context 64, vocabulary 96',
    parameters: parameterCount(model),
    stages: plan.stages.map((s) => ({ from: s.from, to: s.to, parameters: s.parameters, mib: s.bytes / 2 ** 20 })),
    batch,
    microBatch,
    wholeSamplesPerSecond,
    pipelineSamplesPerSecond,
    stageBusyShare,
    // One thread runs every stage here, so at most one stage computes at once: the rest of the wall time is
    // the driver's loss head, the boundary codec and libp2p.
    measuredBubble: 1 - stageBusyShare,
    gpipeBubble: (plan.stages.length - 1) / (micro + plan.stages.length - 1),
    boundaryBytes,
    largest: [
      { budget: `phone tab (${PHONE_TAB_BYTES / 2 ** 20} MiB)`, ...largest(PHONE_TAB_BYTES, 8) },
      { budget: 'desktop tab (2 GiB)', ...largest(2 * 2 ** 30, 8) },
    ],
  }
}

export function pipelineTable(r: PipelineBenchResult): string[] {
  const lines = [`| pipeline stages (${r.model}, ${(r.parameters / 1e6).toFixed(2)}M params, batch ${r.batch} in micro-batches of ${r.microBatch}) | value |`, '|---|---|']
  lines.push(`| stages (layers, params, tab memory) | ${r.stages.map((s) => `[${s.from}, ${s.to}) ${(s.parameters / 1e3).toFixed(0)}k ${s.mib.toFixed(1)} MiB`).join('; ')} |`)
  lines.push(`| throughput: whole model in one session vs 3 stages over loopback libp2p, one thread (fp32 / fp16 / int8) | ${r.wholeSamplesPerSecond.toFixed(1)} vs ${r.pipelineSamplesPerSecond.fp32.toFixed(1)} / ${r.pipelineSamplesPerSecond.fp16.toFixed(1)} / ${r.pipelineSamplesPerSecond.int8.toFixed(1)} samples/s (${(r.pipelineSamplesPerSecond.fp16 / r.wholeSamplesPerSecond).toFixed(2)}× with fp16) |`)
  lines.push(`| wall time a stage computes / none does (loss head, codec, libp2p; one thread) / a GPipe schedule's bubble with these S and micro-batches | ${(100 * r.stageBusyShare).toFixed(0)} % / ${(100 * r.measuredBubble).toFixed(0)} % / ${(100 * r.gpipeBubble).toFixed(0)} % |`)
  for (const format of ['fp32', 'fp16', 'int8'] as const) lines.push(`| bytes per micro-batch per boundary, both ways, ${format} | ${r.boundaryBytes[format].map((b) => `${(b / 1024).toFixed(1)} KiB`).join(', ')} (${(r.boundaryBytes[format][0]! / r.boundaryBytes.fp32[0]!).toFixed(2)} of fp32) |`)
  for (const l of r.largest) lines.push(`| largest transformer a ${l.budget} trains: unsplit vs split | ${l.unsplit} vs ${l.split} in ${l.stages} stages |`)
  return lines
}
