// Headless swarm peers in Node: the demo job's coordinator that `npm start` runs, and volunteers for
// benchmarks, tests and anyone who wants to donate a server. Same engine, protocol and code paths as a tab;
// storage on disk (or in memory for throwaway peers).
import { fetchStartParams, withStartParams, type FineTuneStartParams } from '../../src/roles/fine-tune-start.ts'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { FsBlockstore } from 'blockstore-fs'
import type { Blockstore } from 'interface-blockstore'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createNodePeer } from '../../src/p2p/node-peer.ts'
import { Swarm } from '../../src/p2p/swarm.ts'
import { BlockExchange } from '../../src/p2p/block-exchange.ts'
import { loadOrCreatePeerKey } from '../../src/p2p/peer-key.ts'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import type { Hex } from 'viem'
import type { ChainConfig } from '../../src/stack/stack-config.ts'
import { settlementFor, settlementOf } from '../../src/roles/settlement-wiring.ts'
import type { SettlementAdversary } from '../../src/roles/settlement-host.ts'
import { Coordinator } from '../../src/training/coordinator.ts'
import { PROBE_STEPS } from '../../src/training/probe.ts'
import { decodeJob, jobModel, jobRecipe, jobTask, taskJobFields, type JobSpec } from '../../src/training/job.ts'
import { flatten, paramLayout, unflatten } from '../../src/training/vector.ts'
import { initParams } from '../../src/graph/model.ts'
import type { LabelledImages } from '../../src/data/labelled-images.ts'
import { imagesAsTask } from '../../src/compute/evaluate.ts'
import type { TaskBlock } from '../../src/data/task-block.ts'
import type { TaskSpec } from '../../src/data/task.ts'
import type { ModelRecipe } from '../../src/graph/model-recipe.ts'
import { WorkerInnerEngine } from '../../src/compute/inner-engine.ts'
import { jobTrainSpec } from '../../src/compute/job-train-spec.ts'
import { nodeComputeClient } from '../compute/node-compute.ts'
import { CoordinatorHost, type DatasetPolicy } from '../../src/roles/coordinator-host.ts'
import { VolunteerClient, type VolunteerStatus } from '../../src/roles/volunteer-client.ts'
import { ExchangeVectorStore } from '../../src/roles/exchange-vector-store.ts'
import { publishBlocks, publishShards } from '../../src/roles/publish-dataset.ts'
import { demoJobSpec } from '../../src/roles/demo-job.ts'
import { FileCheckpointStore, FileKeyStore } from './file-stores.ts'
import { ensurePrivateDir, writePrivateFile } from '../private-files.ts'
import { MemoryCheckpointStore } from '../../src/training/memory-checkpoints.ts'
import { Referee } from '../../src/training/referee.ts'
import { refereeData } from '../../src/roles/referee-data.ts'
import { ExchangeLogStore } from '../../src/roles/log-store.ts'
import type { Attack } from '../../src/training/testing/adversaries.ts'
import { deleteChunked } from '../../src/p2p/chunked.ts'
import { JobFeed } from '../../src/roles/job-feed.ts'
import { StageServer } from '../../src/roles/stage-server.ts'
import { createLossHead, createStageEngine } from '../../src/compute/stage-engine.ts'
import { heldOutBatch, PipelineCoordinator, randomBatches } from '../../src/roles/pipeline-coordinator.ts'
import { StageVolunteer } from '../../src/roles/stage-volunteer.ts'
import { buildShard } from '../../src/graph/shard.ts'
import { TesseraeError } from '../../src/errors.ts'

// One wasm thread per compute thread: several headless peers run side by side on a small machine.
const HEADLESS_ENGINE = { backend: 'wasm', wasmThreads: 1 } as const

/** The first `limit` samples of a block (the held-out samples a coordinator scores each version on). */
function firstSamples(block: TaskBlock, limit: number): TaskBlock {
  const count = Math.min(limit, block.count)
  return { count, perSample: block.perSample, x: block.x.subarray(0, count * block.perSample), y: block.y?.subarray(0, count) ?? null }
}

export interface PeerBase {
  relayAddrs: string[]
  /** Directory for the key, blocks and checkpoint; in memory when null. */
  dataDir: string | null
  /** Join the WebRTC mesh (needed to work with tabs). Off for Node-only swarms, which use WebSockets. */
  webrtc?: boolean
  log?: (line: string) => void
}

async function basePeer(options: PeerBase & { listenWs?: { host: string; port: number } }) {
  if (options.dataDir !== null) await ensurePrivateDir(options.dataDir)
  const privateKey = options.dataDir === null ? await generateKeyPair('Ed25519') : await loadOrCreatePeerKey(new FileKeyStore(join(options.dataDir, 'peer-key')))
  const node = await createNodePeer({ privateKey, listenWs: options.listenWs, webrtc: options.webrtc ? { iceServers: [] } : undefined })
  const swarm = await Swarm.start({ node, relayAddrs: options.relayAddrs, iceServers: [], dialsWebRTC: options.webrtc === true })
  const blockstore: Blockstore = options.dataDir === null ? new MemoryBlockstore() : new FsBlockstore(join(options.dataDir, 'blocks'))
  if (blockstore instanceof FsBlockstore) await blockstore.open()
  const exchange = await BlockExchange.start(node, blockstore)
  return { privateKey, node, swarm, exchange }
}

export interface CoordinatorPeerOptions extends PeerBase {
  host: string
  /** The job's data: grayscale labelled images (the demo's Fashion-MNIST), or samples of `task`. */
  train: LabelledImages | TaskBlock
  test: LabelledImages | TaskBlock
  /** The job's own task and model (their fields go into the job); absent: the zoo model on 28×28 images. */
  task?: { task: TaskSpec; recipe: ModelRecipe }
  /** Fine-tuning (with `task`): the starting parameters from an exported model, and what trains how fast. */
  start?: FineTuneStartParams
  shardSize: number
  overrides?: Partial<JobSpec>
  /** Test images used for the accuracy reported each round. */
  evalLimit?: number
  /** 'auto' accepts offers whose review raised no flag; default: every offer waits for the owner. */
  datasetPolicy?: DatasetPolicy
  /** Settle the job's rewards on this chain; the coordinator's chain key is kept in dataDir. */
  chain?: ChainConfig
  /** Makes this a dishonest coordinator that doctors its roots (tests of the audit). */
  settlementAdversary?: SettlementAdversary
}

/** The coordinator's own chain account (it posts epoch roots): created once, kept beside its peer key. */
async function loadOrCreateChainKey(dataDir: string | null): Promise<Hex> {
  if (dataDir === null) return generatePrivateKey()
  const path = join(dataDir, 'chain-key')
  try {
    const key = (await readFile(path, 'utf8')).trim()
    if (!/^0x[0-9a-f]{64}$/.test(key)) throw new Error(`${path} does not hold a 32-byte hex key`)
    return key as Hex
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const key = generatePrivateKey()
  await writePrivateFile(path, key)
  return key
}

export async function startHeadlessCoordinator(options: CoordinatorPeerOptions) {
  const { node, swarm, exchange, privateKey } = await basePeer({ ...options, listenWs: { host: options.host, port: 0 } })
  const jobPath = options.dataDir === null ? null : join(options.dataDir, 'job.json')
  let job: JobSpec | null = null
  if (jobPath !== null) {
    try {
      job = decodeJob(JSON.parse(await readFile(jobPath, 'utf8')))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  if (job === null) {
    const owner = node.peerId.toString()
    const publish = (data: LabelledImages | TaskBlock) => (options.task ? publishBlocks(exchange, options.task.task, data as TaskBlock, options.shardSize, owner) : publishShards(exchange, data as LabelledImages, options.shardSize, owner))
    const train = await publish(options.train)
    const test = await publish(options.test)
    const overrides = options.task ? { ...taskJobFields(options.task.task, options.task.recipe), ...options.overrides } : options.overrides
    job = demoJobSpec({ coordinator: owner, train, test, now: Date.now(), overrides })
    if (options.start) job = await withStartParams(exchange, job, options.start)
    if (jobPath !== null) await writePrivateFile(jobPath, JSON.stringify(job))
  }
  const model = jobModel(job)
  const task = jobTask(job)
  const testBlock = options.task ? (options.test as TaskBlock) : imagesAsTask(options.test as LabelledImages, job.normalisation).block
  const layout = paramLayout(model)
  const startParams = await fetchStartParams(exchange, job, [])
  // As in a tab, the referee re-runs volunteers' units on a compute thread of its own (so checking never waits
  // for scoring) with the job's data from the block exchange; this thread only coordinates.
  const refereeCompute = nodeComputeClient()
  const evalCompute = nodeComputeClient()
  const { flopsPerStep } = await refereeCompute.init(jobTrainSpec(job), HEADLESS_ENGINE)
  const recipe = jobRecipe(job)
  const evalBlock = firstSamples(testBlock, options.evalLimit ?? 1000)
  const jobLog = new ExchangeLogStore(exchange, privateKey)
  const coordinator = await Coordinator.open({
    job,
    dim: layout.total,
    initialParams: () => startParams ?? flatten(layout, initParams(model, job.seed)),
    flopsPerStep,
    vectors: new ExchangeVectorStore(exchange, layout.total),
    checkpoints: options.dataDir === null ? new MemoryCheckpointStore() : new FileCheckpointStore(join(options.dataDir, 'checkpoint.json')),
    referee: new Referee({ engine: new WorkerInnerEngine(refereeCompute), layout, data: refereeData(exchange, () => task) }),
    log: jobLog,
    // A new volunteer's first unit is short and checked at once: verified credit within seconds.
    probeSteps: PROBE_STEPS,
    evaluate: async (params) => {
      const { accuracy, loss } = await evalCompute.evaluate(recipe, Object.fromEntries(unflatten(layout, params)), { task, block: evalBlock })
      return { accuracy, loss }
    },
  })
  const wsAddrs = () => node.getMultiaddrs().map((a) => a.toString()).filter((a) => a.includes('/ws/') && !a.includes('p2p-circuit'))
  const chainKey = options.chain ? await loadOrCreateChainKey(options.dataDir) : null
  const settlement = options.chain && chainKey ? settlementFor({ config: options.chain, exchange, coordinatorKey: chainKey, jobLog, log: options.log, adversary: options.settlementAdversary }) : undefined
  // The review's label check: the current model's predictions for an offer's samples.
  const classify = async (params: Float32Array, offerTask: TaskSpec, block: TaskBlock) => (await evalCompute.evaluate(recipe, Object.fromEntries(unflatten(layout, params)), { task: offerTask, block })).predictions
  const host = await CoordinatorHost.start({ node, exchange, coordinator, dim: layout.total, addrs: wsAddrs, log: options.log, datasetPolicy: options.datasetPolicy, classify, settlement })
  return {
    node,
    chainAccount: chainKey ? privateKeyToAccount(chainKey).address : null,
    job,
    coordinator,
    host,
    exchange,
    async stop() {
      await host.stop()
      await coordinator.settled()
      refereeCompute.terminate()
      evalCompute.terminate()
      await exchange.stop()
      await swarm.stop()
    },
  }
}

export interface VolunteerPeerOptions extends PeerBase {
  jobId?: string
  /** Makes this a hostile volunteer (tests and benchmarks). */
  attack?: Attack
  onStatus?: (status: VolunteerStatus) => void
}

export async function startHeadlessVolunteer(options: VolunteerPeerOptions) {
  const { node, swarm, exchange, privateKey } = await basePeer(options)
  // Trains on a compute thread, as a tab trains in its worker; the thread keeps one job's step compiled.
  // No warm-up run: ORT instantiates the process's compiled module in milliseconds, and a throwaway model's
  // step would only take CPU from the peers beside it.
  const compute = nodeComputeClient()
  const engine = new WorkerInnerEngine(compute)
  let compiled: Promise<{ key: string; flopsPerStep: number }> | null = null
  const client = new VolunteerClient({
    node,
    exchange,
    privateKey,
    jobId: options.jobId,
    adversary: options.attack && {
      work: options.attack.work,
      // Withholding: the checkpoints vanish from this peer's store as soon as the result is in.
      afterSubmit: options.attack.withholds ? async (result, exchange) => void (await Promise.all(result.checkpoints.map((cid) => deleteChunked(exchange, cid)))) : undefined,
    },
    onStatus: options.onStatus,
    log: options.log,
    engineFor: async (job) => {
      const spec = jobTrainSpec(job)
      const key = JSON.stringify(spec)
      const held = await compiled?.catch(() => null)
      if (held?.key !== key) compiled = compute.init(spec, HEADLESS_ENGINE).then(({ flopsPerStep }) => ({ key, flopsPerStep }))
      return { engine, flopsPerStep: (await compiled!).flopsPerStep }
    },
  })
  client.start()
  return {
    node,
    client,
    exchange,
    async stop() {
      await client.stop()
      compute.terminate()
      await exchange.stop()
      await swarm.stop()
    },
  }
}

export interface StagePeerOptions extends PeerBase {
  jobId: string
  /** The version to serve: its number and its parameters' content id (as the use link names them). */
  version: number
  paramsCid: string
  /** Which of the job's stages this peer runs. */
  stages: number[]
  /** How long to wait for the job's announcement and its parameters. */
  timeoutMs?: number
}

/**
 * A Node peer serving stages of a job's version for the use page (issue 19): it hears the job on gossip,
 * fetches the version's parameters from its coordinator and runs its stages' forward passes on ORT-wasm.
 */
export async function startHeadlessStagePeer(options: StagePeerOptions) {
  const { node, swarm, exchange } = await basePeer(options)
  const timeoutMs = options.timeoutMs ?? 120_000
  const feed = new JobFeed(node)
  try {
    const job = await new Promise<JobSpec>((resolve, reject) => {
      const find = () => feed.get(options.jobId)?.announcement.job
      const timer = setTimeout(() => {
        stop()
        reject(new TesseraeError('JOB_NOT_FOUND', `job "${options.jobId}" was not heard on the swarm within ${timeoutMs / 1000} s`))
      }, timeoutMs)
      const check = () => {
        const job = find()
        if (!job) return
        stop()
        resolve(job)
      }
      const unsubscribe = feed.subscribe(check)
      const stop = () => {
        clearTimeout(timer)
        unsubscribe()
      }
      check()
    })
    const ort = await import('onnxruntime-web')
    ort.env.wasm.numThreads = 1
    const server = await StageServer.start({ swarm, exchange, engine: (shard) => createStageEngine(ort, shard, 'wasm'), log: options.log })
    await server.serveVersion(job, options.version, options.paramsCid, options.stages, timeoutMs)
    return {
      node,
      server,
      job,
      async stop() {
        await server.stop()
        feed.stop()
        await exchange.stop()
        await swarm.stop()
      },
    }
  } catch (error) {
    feed.stop()
    await exchange.stop()
    await swarm.stop()
    throw error
  }
}

export interface PipelineCoordinatorPeerOptions extends PeerBase {
  host: string
  /** The job: its own task and model, split into stages (`stages` in the job). */
  task: { task: TaskSpec; recipe: ModelRecipe }
  train: TaskBlock
  /** Held-out samples each version is scored on (whole micro-batches of them, at most 256). */
  test?: TaskBlock
  overrides: Partial<JobSpec> & Pick<JobSpec, 'stages'>
  /** Driving rounds is the caller's (runRound); announcing the job is this peer's. */
  announceEveryMs?: number
  beforeStep?: (round: number, step: number) => Promise<void> | void
  /** With a chain, a job with a reward pool pays verified credit into epochs (its coordinator account: `chainAccount`). */
  chain?: ChainConfig
  settlementAdversary?: SettlementAdversary
}

/**
 * A staged job's coordinator in Node (issue 19): it announces the job, gives joining volunteers stages, and
 * drives each round's inner steps over its training samples, drawn at random (seeded by the job) each step.
 */
export async function startHeadlessPipelineCoordinator(options: PipelineCoordinatorPeerOptions) {
  const { node, swarm, exchange, privateKey } = await basePeer({ ...options, listenWs: { host: options.host, port: 0 } })
  const owner = node.peerId.toString()
  // With a data directory the job is kept beside its checkpoint, so a restart resumes the same job.
  const jobPath = options.dataDir === null ? null : join(options.dataDir, 'pipeline-job.json')
  let job: JobSpec | null = null
  try {
    if (jobPath !== null) job = decodeJob(JSON.parse(await readFile(jobPath, 'utf8')))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  if (job === null) {
    const train = await publishBlocks(exchange, options.task.task, options.train, Math.max(1, Math.min(options.train.count, 4096)), owner)
    job = decodeJob(JSON.parse(JSON.stringify(demoJobSpec({ coordinator: owner, train, test: [], now: Date.now(), overrides: { ...taskJobFields(options.task.task, options.task.recipe), ...options.overrides } }))))
    if (jobPath !== null) await writePrivateFile(jobPath, JSON.stringify(job))
  }
  if (!job.stages) throw new TesseraeError('BAD_STAGE_PLAN', 'a pipeline coordinator needs a job split into stages')
  const model = jobModel(job)
  const ort = await import('onnxruntime-web')
  ort.env.wasm.numThreads = 1
  const head = await createLossHead(ort, model, job.stages.microBatch, 'wasm')
  const wsAddrs = () => node.getMultiaddrs().map((a) => a.toString()).filter((a) => a.includes('/ws/') && !a.includes('p2p-circuit'))
  const jobLog = new ExchangeLogStore(exchange, privateKey)
  const chainKey = options.chain ? await loadOrCreateChainKey(options.dataDir) : null
  const settlement = options.chain && chainKey ? settlementOf({ config: options.chain, exchange, coordinatorKey: chainKey, jobLog, log: options.log, adversary: options.settlementAdversary }) : undefined
  const coordinator = await PipelineCoordinator.start({
    node,
    exchange,
    job,
    initialParams: flatten(paramLayout(model), initParams(model, job.seed)),
    head: head.run,
    batches: randomBatches(job, options.train),
    heldOut: options.test ? heldOutBatch(job, options.test) : undefined,
    checkpoints: options.dataDir === null ? undefined : new FileCheckpointStore(join(options.dataDir, 'pipeline-checkpoint.json')),
    log: options.log,
    addrs: wsAddrs,
    announceEveryMs: options.announceEveryMs,
    beforeStep: options.beforeStep,
    // Audited calls run again here, on this process's ORT.
    engine: (from, to, rows) => createStageEngine(ort, buildShard(model, from, to, rows), 'wasm'),
    jobLog,
    settlement,
  })
  return {
    node,
    job,
    coordinator,
    chainAccount: chainKey ? privateKeyToAccount(chainKey).address : null,
    exchange,
    async stop() {
      await coordinator.stop()
      await head.release()
      await exchange.stop()
      await swarm.stop()
    },
  }
}

/** A Node volunteer holding a stage of a staged job (issue 19): it joins when it hears the job. */
export async function startHeadlessStageVolunteer(options: PeerBase & { jobId: string }) {
  const { node, swarm, exchange } = await basePeer(options)
  const feed = new JobFeed(node)
  // Its stage runs on a compute thread, as a tab's runs in its worker: this thread keeps serving calls.
  const compute = nodeComputeClient()
  const volunteer = await StageVolunteer.start({
    node,
    exchange,
    job: (id) => feed.get(id)?.announcement.job ?? null,
    coordinatorAddrs: (id) => feed.get(id)?.announcement.addrs ?? [],
    engine: (job, from, to, rows) => compute.stageEngine(jobRecipe(job), from, to, rows, HEADLESS_ENGINE.backend, HEADLESS_ENGINE.wasmThreads),
    log: options.log,
    announce: (offers) => swarm.setStages(offers),
  })
  volunteer.join(options.jobId)
  return {
    node,
    volunteer,
    async stop() {
      await volunteer.stop()
      compute.terminate()
      feed.stop()
      await exchange.stop()
      await swarm.stop()
    },
  }
}
