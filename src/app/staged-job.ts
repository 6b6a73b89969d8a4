// Coordinating a staged job from this tab (issue 19): the job's training samples come back from the block
// store (published when the job was made, so a reload finds them too), the loss head runs in a compute
// worker, audited calls are rerun in a second one (checking never waits behind the pipeline), and the
// coordinator's rounds run until the job is finished or the tab closes; its state is saved in IndexedDB after
// every round, so a reload carries on from the last one. Each round is signed into the job log, and a job with a
// reward pool (its coordinator key in this browser) pays its volunteers' verified credit into an epoch after it.
import { ComputeClient } from '../compute/compute-client.ts'
import { concatBlocks } from '../data/task-block.ts'
import { fetchTaskShard } from '../roles/dataset-chunks.ts'
import { initParams } from '../graph/model.ts'
import { heldOutBatch, PipelineCoordinator, randomBatches } from '../roles/pipeline-coordinator.ts'
import type { PipelineCheckpoint } from '../training/pipeline-checkpoint.ts'
import { jobModel, jobRecipe, jobTask, type JobSpec } from '../training/job.ts'
import { flatten, paramLayout } from '../training/vector.ts'
import { IdbCheckpointStore } from './tab-storage.ts'
import type { TabPeer } from './hooks/useSwarm.ts'
import type { ChainConfig } from '../stack/stack-config.ts'
import { ExchangeLogStore } from '../roles/log-store.ts'
import { settlementOf } from '../roles/settlement-wiring.ts'
import { coordinatorKeyName, loadKey } from './wallet/key-store.ts'

/** What the Research page shows of a staged job it coordinates. */
export interface StagedView {
  round: number
  version: number
  /** The current version's whole parameter vector (its use link names it). */
  paramsCid: string
  finished: boolean
  stages: number
  /** Volunteers that asked for a stage lately (a round starts once every stage has one). */
  candidates: number
  history: PipelineCheckpoint['reports']
  /** FLOPs credited per peer (and per stage), and how much of it an audit has vouched for (what epochs pay). */
  credit: Array<{ peer: string; flops: number; verified: number; byStage: number[] }>
  banned: Array<{ peer: string; reason: string }>
  audits: { run: number; failed: number }
  /** Carried on from this browser's checkpoint after a reload. */
  resumed: boolean
  /** The starting version's held-out loss (each round's is in `history`). */
  startHeldOut: number | null
}

/**
 * The staged job this tab holds, from the moment it starts opening until it has stopped: a job opened again (the
 * panel shown again, even while the first is still opening) waits for it, so two coordinators never hold the
 * stage protocol at once.
 */
let held: Promise<void> = Promise.resolve()

export async function openStagedJob(peer: TabPeer, job: JobSpec, chain: ChainConfig, onView: (view: StagedView) => void, onStep: (step: string) => void): Promise<{ coordinator: PipelineCoordinator; stop: () => Promise<void> }> {
  const model = jobModel(job)
  const task = jobTask(job)
  const recipe = jobRecipe(job)
  const before = held
  let release!: () => void
  held = new Promise((resolve) => (release = resolve))
  await before
  const compute = ComputeClient.spawn()
  const referee = ComputeClient.spawn()
  const abort = new AbortController()
  try {
    onStep('loading the training and held-out shards')
    const fetchAll = async (refs: JobSpec['train']) => concatBlocks(task, await Promise.all(refs.map((s) => fetchTaskShard(peer.exchange, s, task, []))))
    const train = await fetchAll(job.train)
    const test = job.test.length > 0 ? await fetchAll(job.test) : null
    onStep('compiling the loss head')
    const head = await compute.lossHead(recipe, job.stages!.microBatch, 'wasm', 1)
    const log = (line: string) => console.info(`[staged coordinator] ${line}`)
    const jobLog = new ExchangeLogStore(peer.exchange, peer.privateKey)
    // A funded job (its coordinator key in this browser) settles on chain; others only record credit.
    const key = chain.contracts ? await loadKey(coordinatorKeyName(job.id)) : null
    const settlement = key ? settlementOf({ config: chain, exchange: peer.exchange, coordinatorKey: key, jobLog, log }) : undefined
    onStep('joining the swarm as the job\'s coordinator')
    const coordinator = await PipelineCoordinator.start({
      node: peer.swarm.node,
      exchange: peer.exchange,
      job,
      initialParams: flatten(paramLayout(model), initParams(model, job.seed)),
      batches: randomBatches(job, train),
      head: head.run,
      log,
      addrs: () => peer.swarm.webrtcAddrs(),
      engine: (from, to, rows) => referee.stageEngine(recipe, from, to, rows, 'wasm', 1),
      checkpoints: new IdbCheckpointStore(`staged:${job.id}`),
      heldOut: test ? heldOutBatch(job, test) : undefined,
      jobLog,
      settlement,
    })
    const audits = { run: 0, failed: 0 }
    let counted = 0
    const publish = () => {
      for (const report of coordinator.reports.slice(counted)) {
        audits.run += report.audits.run
        audits.failed += report.audits.failed.length
      }
      counted = coordinator.reports.length
      onView({
        round: coordinator.round, version: coordinator.version, paramsCid: coordinator.paramsCid, finished: coordinator.finished, stages: coordinator.stages, candidates: coordinator.candidates().length,
        history: [...coordinator.history], credit: [...coordinator.credit].map(([p, c]) => ({ peer: p, flops: c.flops, verified: coordinator.ledger.volunteer(p).flops, byStage: [...c.byStage] })),
        banned: [...coordinator.banned].map(([p, reason]) => ({ peer: p, reason })), audits: { ...audits }, resumed: coordinator.resumed, startHeldOut: coordinator.startHeldOut,
      })
    }
    publish()
    // Who has joined changes between rounds too: the panel says how many volunteers are waiting for a stage.
    const ticker = setInterval(publish, 2000)
    const rounds = coordinator.run(abort.signal, publish)
    return {
      coordinator,
      stop() {
        abort.abort()
        clearInterval(ticker)
        // A round under way stops before its next step and keeps nothing; it is waited for, so a coordinator
        // started again (the panel shown again) never shares the peers or the checkpoint with it.
        return (async () => {
          await rounds
          await coordinator.stop()
          await head.release().catch(() => undefined)
          compute.terminate()
          referee.terminate()
        })()
          .catch((error: unknown) => console.warn(`[staged coordinator] stopping: ${String(error)}`))
          .finally(release)
      },
    }
  } catch (error) {
    abort.abort()
    compute.terminate()
    referee.terminate()
    release()
    throw error
  }
}
