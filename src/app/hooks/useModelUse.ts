// Using a trained model in this browser: the job as heard on gossip, the version's parameters fetched by their
// CID from the coordinator or any peer holding them, and the model run in the compute worker on this
// person's own input. No server: the link names the job and the version's CID. A model bigger than this tab
// may hold runs instead on the job's stage peers (issue 19), which the visitor is told, since the input then
// leaves the tab.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { peerIdFromString } from '@libp2p/peer-id'
import { ComputeClient } from '../../compute/compute-client.ts'
import { ExchangeVectorStore } from '../../roles/exchange-vector-store.ts'
import { StagedModel } from '../../roles/staged-model.ts'
import { paramLayout, unflatten } from '../../training/vector.ts'
import { jobModel, jobRecipe, jobTask, type JobSpec } from '../../training/job.ts'
import { inferenceBytes } from '../../training/job-stages.ts'
import { taskBatch } from '../../data/task-batch.ts'
import type { TaskBlock } from '../../data/task-block.ts'
import { promptTokens, readPrediction, type Prediction } from '../../data/task-input.ts'
import { detokenize } from '../../data/text.ts'
import { errorMessage } from '../../errors.ts'
import { useJobFeed } from './useJobFeed.ts'
import type { TabPeer } from './useSwarm.ts'

export type ModelUse =
  | { status: 'looking' }
  | { status: 'loading'; job: JobSpec }
  | { status: 'ready'; job: JobSpec; params: Record<string, Float32Array> }
  /** Too big for this tab: it runs on the job's stage peers. */
  | { status: 'staged'; job: JobSpec; needBytes: number; staged: StagedModel }
  | { status: 'failed'; job: JobSpec | null; error: string }

/** Which peers ran each stage of the last answer, and which stages a second peer agreed on (staged models only). */
export type Route = { route: string[]; checkedStages: number[] } | null

const mib = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)} MiB`

export function useModelUse(peer: TabPeer | null, jobId: string, paramsCid: string, memoryBytes: number, version?: number) {
  const jobs = useJobFeed(peer)
  const job = jobs.find((j) => j.announcement.job.id === jobId)?.announcement.job ?? null
  const [state, setState] = useState<ModelUse>({ status: 'looking' })
  const [route, setRoute] = useState<Route>(null)
  const compute = useRef<ComputeClient | null>(null)
  useEffect(() => () => compute.current?.terminate(), [])
  const needBytes = useMemo(() => (job ? inferenceBytes(jobModel(job)) : 0), [job])
  // Each decision is numbered: a new limit decides afresh, and a parameter fetch it overtook is then ignored.
  const decision = useRef(0)
  useEffect(() => {
    decision.current++
    queueMicrotask(() => setState({ status: 'looking' }))
  }, [memoryBytes])
  useEffect(() => {
    if (!peer || !job || state.status !== 'looking') return
    const mine = ++decision.current
    const settle = (next: ModelUse) => queueMicrotask(() => decision.current === mine && setState(next))
    if (needBytes > memoryBytes) {
      if (!job.stages) settle({ status: 'failed', job, error: `This model needs about ${mib(needBytes)} to run, more than the ${mib(memoryBytes)} this tab may use, and its job is not split into stages that other peers could run. Raise this tab's limit to run it here.` })
      else settle({ status: 'staged', job, needBytes, staged: new StagedModel({ node: peer.swarm.node, job, paramsCid, version, peers: () => peer.swarm.current.peers, servers: () => peer.jobs.get(jobId)?.announcement.servers }) })
      return
    }
    settle({ status: 'loading', job })
    const layout = paramLayout(jobModel(job))
    new ExchangeVectorStore(peer.exchange, layout.total)
      .getParams(paramsCid, { providers: [peerIdFromString(job.coordinator)], timeoutMs: 120_000 })
      .then(
        (flat) => settle({ status: 'ready', job, params: Object.fromEntries(unflatten(layout, flat)) }),
        (error: unknown) => settle({ status: 'failed', job, error: `The model's parameters could not be fetched: ${errorMessage(error)}. Someone holding this version (its coordinator, or a volunteer) must be online.` }),
      )
  }, [peer, job, jobId, paramsCid, state.status, needBytes, memoryBytes, version])

  const worker = () => (compute.current ??= ComputeClient.spawn())

  /** Class probabilities or a value for one encoded sample. */
  const predict = useCallback(async (block: TaskBlock): Promise<Prediction> => {
    if (state.status !== 'ready' && state.status !== 'staged') throw new Error('the model is not loaded yet')
    const task = jobTask(state.job)
    const { x } = taskBatch(task, block, [0])
    if (state.status === 'staged') {
      // A prediction is one pass: it is always checked through a second route where a stage has another peer.
      const answer = await state.staged.outputs(x, true)
      setRoute({ route: answer.route, checkedStages: answer.checkedStages })
      return readPrediction(task, answer.outputs)
    }
    return readPrediction(task, await worker().predict(jobRecipe(state.job), state.params, x, 1))
  }, [state])

  /** What the model writes after `prompt`. */
  const write = useCallback(async (prompt: string, length: number, temperature: number): Promise<string> => {
    if (state.status !== 'ready' && state.status !== 'staged') throw new Error('the model is not loaded yet')
    const task = jobTask(state.job)
    if (task.kind !== 'text') throw new Error('only a text model writes')
    const options = { length, temperature, seed: Date.now() % 0xffffffff }
    const tokens = state.status === 'staged'
      ? await state.staged.write(promptTokens(task.schema, prompt), options, (answer) => setRoute((last) => ({ route: answer.route, checkedStages: [...new Set([...(last?.checkedStages ?? []), ...answer.checkedStages])].sort((a, b) => a - b) })))
      : await worker().generate(jobRecipe(state.job), state.params, promptTokens(task.schema, prompt), options)
    return detokenize(tokens, task.schema)
  }, [state])

  return { state, predict, write, route, needBytes }
}
