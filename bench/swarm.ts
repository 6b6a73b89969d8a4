// The swarm against one tab, in Node: a coordinator and N headless volunteers (same engine, protocol and
// Bitswap as browsers, over loopback WebSockets) train with DiLoCo, and one ORT session trains the same model
// on the same number of samples with the same inner optimiser. Reports accuracy side by side and the bytes
// each volunteer uploads per round against synchronous fp32 data parallel (one fp32 gradient per step).
import * as ort from 'onnxruntime-web'
import { createRelayNode, relayAddrs } from '../src/p2p/relay-node.ts'
import { loadFashionMnist } from '../server/fashion-mnist.ts'
import { startHeadlessCoordinator, startHeadlessVolunteer } from '../server/swarm/headless.ts'
import { subset } from '../server/swarm/subset.ts'
import { SessionInnerEngine } from '../src/compute/inner-engine.ts'
import { evaluateAccuracy } from '../src/compute/evaluate.ts'
import { MODEL_ZOO } from '../src/graph/zoo.ts'
import { initParams } from '../src/graph/model.ts'
import { makeBatch } from '../src/data/batches.ts'
import { seededPermutation } from '../src/random.ts'
import { paramLayout, unflatten } from '../src/training/vector.ts'
import type { JobSpec } from '../src/training/job.ts'

export interface SwarmBenchResult {
  model: string
  volunteers: number
  rounds: number
  innerSteps: number
  batchSize: number
  parameters: number
  samples: number
  swarmAccuracy: number
  singleTabAccuracy: number
  swarmSeconds: number
  singleTabSeconds: number
  uploadBytesPerVolunteerPerRound: number
  syncDpBytesPerVolunteerPerRound: number
  uploadRatio: number
  downloadBytesPerVolunteerPerRound: number
}

export async function benchSwarm(options: { volunteers: number; rounds: number; model: JobSpec['model']; innerSteps: number; batchSize: number }): Promise<SwarmBenchResult> {
  const [train, test] = await Promise.all([loadFashionMnist('train'), loadFashionMnist('test')])
  const evalSet = subset(test, 0, 10_000)
  const relay = await createRelayNode({ host: '127.0.0.1', port: 0 })
  const overrides: Partial<JobSpec> = { model: options.model, batchSize: options.batchSize, innerSteps: options.innerSteps, unitsPerRound: options.volunteers, auditRate: 0, roundMs: 600_000, rounds: options.rounds }
  const coordinator = await startHeadlessCoordinator({ relayAddrs: relayAddrs(relay), dataDir: null, host: '127.0.0.1', train, test: subset(test, 0, 1000), shardSize: 1024, overrides, evalLimit: 1000 })
  const volunteers = []
  for (let i = 0; i < options.volunteers; i++) volunteers.push(await startHeadlessVolunteer({ relayAddrs: relayAddrs(relay), dataDir: null }))
  const started = performance.now()
  while (!coordinator.coordinator.view.finished) await new Promise((r) => setTimeout(r, 200))
  const swarmSeconds = (performance.now() - started) / 1000
  const model = MODEL_ZOO[options.model]()
  const layout = paramLayout(model)
  const swarmAccuracy = await evaluateAccuracy(ort, model, unflatten(layout, coordinator.coordinator.currentParams), evalSet, coordinator.job.normalisation, { batchSize: 500 })
  const history = coordinator.coordinator.view.history
  const samples = history.reduce((n, r) => n + r.samples, 0)
  const upload = history.reduce((n, r) => n + r.bytesIn, 0) / options.volunteers / options.rounds
  const download = volunteers.reduce((n, v) => n + v.client.status.bytesDown, 0) / options.volunteers / options.rounds
  for (const v of volunteers) await v.stop()
  await coordinator.stop()
  await relay.stop()

  // The single tab: the same number of samples through one AdamW session, the same batch size and lr.
  const engine = await SessionInnerEngine.create(ort, model, options.batchSize)
  await engine.load(initParams(model, coordinator.job.seed))
  const order = seededPermutation(train.count, 7)
  const t0 = performance.now()
  const steps = samples / options.batchSize
  for (let s = 0; s < steps; s += 64) {
    const batches = []
    for (let k = s; k < Math.min(steps, s + 64); k++) {
      const idx = Uint32Array.from({ length: options.batchSize }, (_, j) => order[(k * options.batchSize + j) % train.count]!)
      batches.push(makeBatch(train, idx, coordinator.job.normalisation))
    }
    await engine.train(batches, coordinator.job.innerLr, s + 1)
  }
  const singleTabSeconds = (performance.now() - t0) / 1000
  const singleTabAccuracy = await evaluateAccuracy(ort, model, await engine.read(), evalSet, coordinator.job.normalisation, { batchSize: 500 })
  await engine.release()
  const syncDp = options.innerSteps * layout.total * 4
  return {
    model: options.model, volunteers: options.volunteers, rounds: options.rounds, innerSteps: options.innerSteps, batchSize: options.batchSize, parameters: layout.total, samples,
    swarmAccuracy, singleTabAccuracy, swarmSeconds, singleTabSeconds,
    uploadBytesPerVolunteerPerRound: upload, syncDpBytesPerVolunteerPerRound: syncDp, uploadRatio: syncDp / upload, downloadBytesPerVolunteerPerRound: download,
  }
}
