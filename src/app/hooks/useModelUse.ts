// Using a trained model in this browser: the job as heard on gossip, the version's parameters fetched by their
// CID from the coordinator or any peer holding them, and the model run in the compute worker on this
// person's own input. No server: the link names the job and the version's CID.
import { useCallback, useEffect, useRef, useState } from 'react'
import { peerIdFromString } from '@libp2p/peer-id'
import { ComputeClient } from '../../compute/compute-client.ts'
import { ExchangeVectorStore } from '../../roles/exchange-vector-store.ts'
import { paramLayout, unflatten } from '../../training/vector.ts'
import { jobModel, jobRecipe, jobTask, type JobSpec } from '../../training/job.ts'
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
  | { status: 'failed'; job: JobSpec | null; error: string }

export function useModelUse(peer: TabPeer | null, jobId: string, paramsCid: string) {
  const jobs = useJobFeed(peer)
  const job = jobs.find((j) => j.announcement.job.id === jobId)?.announcement.job ?? null
  const [state, setState] = useState<ModelUse>({ status: 'looking' })
  const compute = useRef<ComputeClient | null>(null)
  useEffect(() => () => compute.current?.terminate(), [])
  useEffect(() => {
    if (!peer || !job || state.status !== 'looking') return
    queueMicrotask(() => setState({ status: 'loading', job }))
    const layout = paramLayout(jobModel(job))
    new ExchangeVectorStore(peer.exchange, layout.total)
      .getParams(paramsCid, { providers: [peerIdFromString(job.coordinator)], timeoutMs: 120_000 })
      .then(
        (flat) => setState({ status: 'ready', job, params: Object.fromEntries(unflatten(layout, flat)) }),
        (error: unknown) => setState({ status: 'failed', job, error: `The model's parameters could not be fetched: ${errorMessage(error)}. Someone holding this version (its coordinator, or a volunteer) must be online.` }),
      )
  }, [peer, job, paramsCid, state.status])

  const worker = () => (compute.current ??= ComputeClient.spawn())

  /** Class probabilities or a value for one encoded sample. */
  const predict = useCallback(async (block: TaskBlock): Promise<Prediction> => {
    if (state.status !== 'ready') throw new Error('the model is not loaded yet')
    const task = jobTask(state.job)
    const { x } = taskBatch(task, block, [0])
    return readPrediction(task, await worker().predict(jobRecipe(state.job), state.params, x, 1))
  }, [state])

  /** What the model writes after `prompt`. */
  const write = useCallback(async (prompt: string, length: number, temperature: number): Promise<string> => {
    if (state.status !== 'ready') throw new Error('the model is not loaded yet')
    const task = jobTask(state.job)
    if (task.kind !== 'text') throw new Error('only a text model writes')
    const tokens = await worker().generate(jobRecipe(state.job), state.params, promptTokens(task.schema, prompt), { length, temperature, seed: Date.now() % 0xffffffff })
    return detokenize(tokens, task.schema)
  }, [state])

  return { state, predict, write }
}
