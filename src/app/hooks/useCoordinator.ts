// Coordinating a job from this tab: publish the demo data as shards, open (or resume, after a reload) the
// coordinator with its checkpoint in IndexedDB, score every version in a compute worker, and serve volunteers.
import { fetchStartParams, withStartParams } from '../../roles/fine-tune-start.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import { useCallback, useEffect, useRef, useState } from 'react'
import { ComputeClient } from '../../compute/compute-client.ts'
import { WorkerInnerEngine } from '../../compute/inner-engine.ts'
import { Referee } from '../../training/referee.ts'
import { refereeData } from '../../roles/referee-data.ts'
import { ExchangeLogStore } from '../../roles/log-store.ts'
import { concatBlocks } from '../../data/task-block.ts'
import { fetchTaskShard } from '../../roles/dataset-chunks.ts'
import { buildTrainStep } from '../../graph/train-step.ts'
import { DEFAULT_ADAMW } from '../../graph/optimizer.ts'
import { initParams } from '../../graph/model.ts'
import { CoordinatorHost, type DatasetPolicy } from '../../roles/coordinator-host.ts'
import type { TaskSpec } from '../../data/task.ts'
import type { TaskBlock } from '../../data/task-block.ts'
import { demoJobSpec } from '../../roles/demo-job.ts'
import { ExchangeVectorStore } from '../../roles/exchange-vector-store.ts'
import { publishBlocks, publishShards } from '../../roles/publish-dataset.ts'
import type { TaskJob } from '../../training/task-draft.ts'
import { Coordinator } from '../../training/coordinator.ts'
import { PROBE_STEPS } from '../../training/probe.ts'
import type { CoordinatorState } from '../../training/coordinator-state.ts'
import { decodeJob, jobModel, jobRecipe, jobTask, taskJobFields, type JobSpec, type JobStages } from '../../training/job.ts'
import { openStagedJob, type StagedView } from '../staged-job.ts'
import { jobTrainSpec } from '../../compute/job-train-spec.ts'
import { flatten, paramLayout, unflatten } from '../../training/vector.ts'
import { errorMessage } from '../../errors.ts'
import { loadDemoSet } from '../demo-data.ts'
import { IdbCheckpointStore, loadCoordinatedJob, saveCoordinatedJob } from '../tab-storage.ts'
import type { TabPeer } from './useSwarm.ts'
import type { StoredDataset } from '../../data/dataset-store.ts'
import type { JobSettings } from '../../training/job-form.ts'
import type { Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { ChainConfig } from '../../stack/stack-config.ts'
import { settlementFor } from '../../roles/settlement-wiring.ts'
import { coordinatorKeyName, loadKey, loadOrCreateKey } from '../wallet/key-store.ts'

export type CoordinatorUi =
  | { status: 'idle' }
  | { status: 'starting'; step: string; done: number; of: number }
  | { status: 'running'; job: JobSpec; view: CoordinatorState; resumed: boolean }
  /** A job split into stages (issue 19): this tab drives its pipeline rounds. */
  | { status: 'staged'; job: JobSpec; view: StagedView }
  | { status: 'failed'; error: string }

const SHARD_SIZE = 250

const START_STEPS = 7

/**
 * Pays a job's reward pool into the escrow from the researcher's wallet and gives its coordinator gas money;
 * returns the wallet, which owns the escrow (with the job's id it is the escrow's key).
 */
export type Funder = (job: JobSpec, coordinatorAccount: Address) => Promise<Address>

async function openJob(peer: TabPeer, job: JobSpec, compute: ComputeClient, refereeCompute: ComputeClient, chain: ChainConfig, onStep: (s: string, done: number) => void) {
  const model = jobModel(job)
  const task = jobTask(job)
  const layout = paramLayout(model)
  onStep('loading the test shards', 3)
  const test = concatBlocks(task, await Promise.all(job.test.map((s) => fetchTaskShard(peer.exchange, s, task, []))))
  onStep('compiling the evaluation graph and scoring the starting model', 4)
  // The referee re-runs volunteers' units in its own worker, on wasm: checking must not wait for the GPU.
  const spec = jobTrainSpec(job)
  await refereeCompute.init(spec, { backend: 'wasm', wasmThreads: 1 })
  const jobLog = new ExchangeLogStore(peer.exchange, peer.privateKey)
  // A fine-tuning job starts from the parameters its owner published (this tab holds them, or a peer does).
  const startParams = await fetchStartParams(peer.exchange, job, [peerIdFromString(job.coordinator)])
  const coordinator = await Coordinator.open({
    job,
    dim: layout.total,
    initialParams: () => startParams ?? flatten(layout, initParams(model, job.seed)),
    flopsPerStep: buildTrainStep(model, job.batchSize, DEFAULT_ADAMW, { lrScale: spec.lrScale }).flopsPerStep,
    vectors: new ExchangeVectorStore(peer.exchange, layout.total),
    checkpoints: new IdbCheckpointStore(job.id),
    referee: new Referee({ engine: new WorkerInnerEngine(refereeCompute), layout, data: refereeData(peer.exchange, () => task) }),
    log: jobLog,
    // A new volunteer's first unit is short and checked at once: verified credit within seconds.
    probeSteps: PROBE_STEPS,
    evaluate: async (params) => {
      const { accuracy, loss } = await compute.evaluate(jobRecipe(job), Object.fromEntries(unflatten(layout, params)), { task, block: test })
      return { accuracy, loss }
    },
  })
  onStep('joining the swarm as the job\'s coordinator', 5)
  const log = (line: string) => console.info(`[coordinator] ${line}`)
  // A funded job (one with a coordinator key in this browser) settles on chain; others only record credit.
  const key = chain.contracts ? await loadKey(coordinatorKeyName(job.id)) : null
  const settlement = key ? settlementFor({ config: chain, exchange: peer.exchange, coordinatorKey: key, jobLog, log }) : undefined
  // The offer review's label check: the current model's predictions for an offer's samples.
  const classify = async (params: Float32Array, task: TaskSpec, block: TaskBlock) => (await compute.evaluate(jobRecipe(job), Object.fromEntries(unflatten(layout, params)), { task, block })).predictions
  // The tab's WebRTC addresses go out with each announcement, so a peer that needs this coordinator now (a
  // binding, an auditor) dials it at once instead of waiting for the swarm's own dial and its backoff.
  const host = await CoordinatorHost.start({ node: peer.swarm.node, exchange: peer.exchange, coordinator, dim: layout.total, log, settlement, classify, addrs: () => peer.swarm.webrtcAddrs() })
  return { coordinator, host }
}

export function useCoordinator(peer: TabPeer | null, chain: ChainConfig) {
  const [ui, setUi] = useState<CoordinatorUi>({ status: 'idle' })
  const running = useRef<{ host: CoordinatorHost; coordinator: Coordinator; compute: ComputeClient; referee: ComputeClient; unsubscribe: () => void } | null>(null)
  const staged = useRef<{ stop: () => Promise<void> } | null>(null)
  // A staged job opened after the panel went away is stopped at once (nobody could stop it later).
  const mounted = useRef(true)

  const launchStaged = useCallback(async (p: TabPeer, job: JobSpec) => {
    try {
      const opened = await openStagedJob(p, job, chain, (view) => setUi({ status: 'staged', job, view }), (step) => setUi({ status: 'starting', step, done: 5, of: START_STEPS }))
      if (!mounted.current) return void opened.stop()
      staged.current = opened
    } catch (error) {
      setUi({ status: 'failed', error: `Could not start the job: ${errorMessage(error)}` })
    }
  }, [chain])

  const launch = useCallback(
    async (p: TabPeer, job: JobSpec, resumed: boolean, own: readonly StoredDataset[] = []) => {
      const compute = ComputeClient.spawn()
      const referee = ComputeClient.spawn()
      try {
        const { coordinator, host } = await openJob(p, job, compute, referee, chain, (step, done) => setUi({ status: 'starting', step, done, of: START_STEPS }))
        for (const [i, d] of own.entries()) {
          setUi({ status: 'starting', step: `including your dataset "${d.signed.manifest.name}" (${i + 1} of ${own.length})`, done: 5, of: START_STEPS })
          await host.includeOwnDataset(d.signed)
        }
        void host.closeEpoch()
        const publish = () => setUi({ status: 'running', job, view: structuredClone(coordinator.view) as CoordinatorState, resumed })
        const unsubscribe = coordinator.subscribe(publish)
        running.current = { host, coordinator, compute, referee, unsubscribe }
        publish()
      } catch (error) {
        compute.terminate()
        referee.terminate()
        setUi({ status: 'failed', error: `Could not start the job: ${errorMessage(error)}` })
      }
    },
    [chain],
  )

  // A reload resumes the job this identity was coordinating.
  useEffect(() => {
    if (!peer) return
    let live = true
    void loadCoordinatedJob(peer.slot).then((saved) => {
      if (!live || saved === null || running.current || staged.current) return
      try {
        const job = decodeJob(saved)
        void (job.stages ? launchStaged(peer, job) : launch(peer, job, true))
      } catch (error) {
        setUi({ status: 'failed', error: `The saved job cannot be resumed: ${errorMessage(error)}` })
      }
    })
    return () => {
      live = false
    }
  }, [peer, launch, launchStaged])

  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
      const r = running.current
      running.current = null
      void staged.current?.stop()
      staged.current = null
      r?.unsubscribe()
      void r?.host.stop()
      r?.compute.terminate()
      r?.referee.terminate()
    }
  }, [])

  const start = useCallback(
    async (settings: JobSettings, own: readonly StoredDataset[] = [], fund?: Funder, task: TaskJob | null = null, stages: JobStages | null = null) => {
      if (!peer || running.current || staged.current) return
      try {
        const owner = peer.swarm.node.peerId.toString()
        let job: JobSpec
        if (task) {
          // The owner's own data: its training and held-out samples become the job's shards (TSB2 blocks).
          setUi({ status: 'starting', step: 'publishing your data as content-addressed shards', done: 1, of: START_STEPS })
          const train = await publishBlocks(peer.exchange, task.task, task.train, SHARD_SIZE, owner)
          const test = await publishBlocks(peer.exchange, task.task, task.test, SHARD_SIZE, owner)
          job = demoJobSpec({ coordinator: owner, train, test, now: Date.now(), overrides: { ...settings, ...taskJobFields(task.task, task.recipe) } })
          job.id = `${job.task!.kind}-${Date.now().toString(36)}`
          // Split into stages: checked as every peer will decode it before anything is saved. A staged job
          // trains on the owner's own samples only, so its whole pool goes to volunteers (no data share).
          if (stages) {
            const staged: JobSpec = { ...job, stages, ...(job.reward ? { reward: { ...job.reward, dataShareBps: 0 } } : {}) }
            job = decodeJob(JSON.parse(JSON.stringify(staged)))
          }
          if (task.start) {
            // An exported model's parameters start the job: they go into the swarm like any version.
            setUi({ status: 'starting', step: 'publishing the starting model\'s parameters', done: 1, of: START_STEPS })
            job = await withStartParams(peer.exchange, job, task.start)
          }
        } else {
          setUi({ status: 'starting', step: 'downloading the built-in Fashion-MNIST data', done: 0, of: START_STEPS })
          const [train, test] = await Promise.all([loadDemoSet('train'), loadDemoSet('t10k')])
          setUi({ status: 'starting', step: 'publishing the data as content-addressed shards', done: 1, of: START_STEPS })
          job = demoJobSpec({ coordinator: owner, train: await publishShards(peer.exchange, train, SHARD_SIZE, owner), test: await publishShards(peer.exchange, test, SHARD_SIZE, owner), now: Date.now(), overrides: settings })
        }
        if (job.reward && BigInt(job.reward.amount) > 0n && chain.contracts) {
          setUi({ status: 'starting', step: 'funding the reward pool from your wallet', done: 2, of: START_STEPS })
          // Without a wallet the pool is only announced (and shown as not escrowed): credit is still recorded.
          if (fund) {
            const escrowOwner = await fund(job, privateKeyToAccount(await loadOrCreateKey(coordinatorKeyName(job.id))).address)
            job = { ...job, reward: { ...job.reward, owner: escrowOwner } }
          }
        }
        setUi({ status: 'starting', step: 'saving the job in this browser', done: 2, of: START_STEPS })
        await saveCoordinatedJob(peer.slot, job)
        await (job.stages ? launchStaged(peer, job) : launch(peer, job, false, own))
      } catch (error) {
        setUi({ status: 'failed', error: `Could not start the job: ${errorMessage(error)}` })
      }
    },
    [peer, launch, launchStaged, chain],
  )

  /** Accept (after checking every chunk) or reject a contributed dataset; the error, if any, is returned. */
  const decideDataset = useCallback(async (id: string, accept: boolean, reason: string): Promise<string | null> => {
    const host = running.current?.host
    if (!host) return 'the job is not running'
    try {
      await host.decideDataset(id, accept, reason)
      return null
    } catch (error) {
      return errorMessage(error)
    }
  }, [])

  /** Auto-accept (offers the review raised no flag for) is the owner's choice, off until they turn it on. */
  const [policy, setPolicyState] = useState<DatasetPolicy>('owner')
  const setPolicy = useCallback((next: DatasetPolicy) => {
    running.current?.host.setDatasetPolicy(next)
    setPolicyState(next)
  }, [])
  const sampleGrid = useCallback((id: string) => running.current?.host.sampleGrid(id) ?? null, [])

  /** Deploys the current version (recorded in the job log, announced with the job); the error, if any, is returned. */
  const deploy = useCallback(async (): Promise<string | null> => {
    const coordinator = running.current?.coordinator
    if (!coordinator) return 'the job is not running'
    try {
      await coordinator.deploy()
      return null
    } catch (error) {
      return errorMessage(error)
    }
  }, [])

  return { ui, start, decideDataset, policy, setPolicy, sampleGrid, deploy }
}
