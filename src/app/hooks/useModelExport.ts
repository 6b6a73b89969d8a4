// Export the job's current model from any tab: fetch the parameters the latest head names (from the
// coordinator or any peer holding them), bake them into a self-contained ONNX file for the job's task, and
// score that same version on held-out samples in the compute worker so the researcher sees what the file will
// predict.
import { useCallback, useEffect, useRef, useState } from 'react'
import { peerIdFromString } from '@libp2p/peer-id'
import { ComputeClient } from '../../compute/compute-client.ts'
import type { Evaluation } from '../../compute/evaluate.ts'
import { exportTrainedModel } from '../../graph/export-model.ts'
import { ExchangeVectorStore } from '../../roles/exchange-vector-store.ts'
import { fetchTaskShard } from '../../roles/dataset-chunks.ts'
import { paramLayout, unflatten } from '../../training/vector.ts'
import type { JobAnnouncement } from '../../p2p/job-topics.ts'
import type { TaskBlock } from '../../data/task-block.ts'
import { sliceBlock } from '../../data/task-samples.ts'
import { errorMessage } from '../../errors.ts'
import type { TabPeer } from './useSwarm.ts'
import { jobModel, jobRecipe, jobTask } from '../../training/job.ts'

/** Held-out samples the export is scored on (text: windows). */
export const PREVIEW_SAMPLES = 100

export type ModelExport =
  | { status: 'idle' }
  | { status: 'working'; step: string; done: number; of: number }
  | { status: 'ready'; jobId: string; version: number; paramsCid: string; url: string; fileName: string; bytes: number; block: TaskBlock; evaluation: Evaluation }
  | { status: 'failed'; error: string }

export function useModelExport(peer: TabPeer | null) {
  const [state, setState] = useState<ModelExport>({ status: 'idle' })
  const url = useRef<string | null>(null)
  useEffect(() => () => void (url.current && URL.revokeObjectURL(url.current)), [])

  const run = useCallback(
    async (announcement: JobAnnouncement) => {
      if (!peer) return
      const { job, head } = announcement
      const compute = ComputeClient.spawn()
      try {
        const coordinator = peerIdFromString(job.coordinator)
        const recipe = jobRecipe(job)
        const task = jobTask(job)
        const layout = paramLayout(jobModel(job))
        setState({ status: 'working', step: `downloading the parameters of version ${head.version}`, done: 0, of: 3 })
        const flat = await new ExchangeVectorStore(peer.exchange, layout.total).getParams(head.paramsCid, { providers: [coordinator], timeoutMs: 120_000 })
        const params = unflatten(layout, flat)
        const onnx = exportTrainedModel(recipe, params, { jobId: job.id, jobName: job.name, version: head.version, task })
        if (job.test.length === 0) throw new Error('the job has no held-out shards to check the model on')
        setState({ status: 'working', step: 'downloading held-out samples', done: 1, of: 3 })
        const shard = await fetchTaskShard(peer.exchange, job.test[0]!, task, [coordinator])
        const block = sliceBlock(shard, 0, Math.min(PREVIEW_SAMPLES, shard.count))
        setState({ status: 'working', step: `predicting ${block.count} held-out samples in the compute worker`, done: 2, of: 3 })
        const evaluation = await compute.evaluate(recipe, Object.fromEntries(params), { task, block }, 300_000)
        if (url.current) URL.revokeObjectURL(url.current)
        url.current = URL.createObjectURL(new Blob([onnx as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }))
        setState({ status: 'ready', jobId: job.id, version: head.version, paramsCid: head.paramsCid, url: url.current, fileName: `${job.id}-v${head.version}.onnx`, bytes: onnx.length, block, evaluation })
      } catch (error) {
        setState({ status: 'failed', error: `The model could not be exported: ${errorMessage(error)}. Check that the coordinator (or a volunteer holding this version) is still connected, then try again.` })
      } finally {
        compute.terminate()
      }
    },
    [peer],
  )
  return { state, run }
}
