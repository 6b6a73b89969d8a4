// Export the job's current model from any tab: fetch the parameters the latest head names (from the
// coordinator or any peer holding them), bake them into a self-contained ONNX file, and score that same
// version on 100 held-out images in the compute worker so the researcher sees what the file will predict.
import { useCallback, useEffect, useRef, useState } from 'react'
import { peerIdFromString } from '@libp2p/peer-id'
import { ComputeClient } from '../../compute/compute-client.ts'
import { exportTrainedModel } from '../../graph/export-model.ts'
import { ExchangeVectorStore } from '../../roles/exchange-vector-store.ts'
import { fetchShard } from '../../roles/dataset-chunks.ts'
import { paramLayout, unflatten } from '../../training/vector.ts'
import type { JobAnnouncement } from '../../p2p/job-topics.ts'
import type { LabelledImages } from '../../data/labelled-images.ts'
import { errorMessage } from '../../errors.ts'
import type { TabPeer } from './useSwarm.ts'
import { imagesAsTask } from '../../compute/evaluate.ts'
import { jobModel, jobRecipe } from '../../training/job.ts'

export const PREVIEW_IMAGES = 100

export type ModelExport =
  | { status: 'idle' }
  | { status: 'working'; step: string; done: number; of: number }
  | { status: 'ready'; jobId: string; version: number; url: string; fileName: string; bytes: number; images: LabelledImages; predictions: Uint8Array; accuracy: number }
  | { status: 'failed'; error: string }

function firstImages(set: LabelledImages, count: number): LabelledImages {
  const n = Math.min(count, set.count)
  const size = set.height * set.width
  return { ...set, count: n, pixels: set.pixels.slice(0, n * size), labels: set.labels.slice(0, n) }
}

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
        const model = jobModel(job)
        const layout = paramLayout(model)
        setState({ status: 'working', step: `downloading the parameters of version ${head.version}`, done: 0, of: 3 })
        const flat = await new ExchangeVectorStore(peer.exchange, layout.total).getParams(head.paramsCid, { providers: [coordinator], timeoutMs: 120_000 })
        const params = unflatten(layout, flat)
        const onnx = exportTrainedModel(model, params, { jobId: job.id, jobName: job.name, version: head.version, classes: job.classes, normalisation: job.normalisation })
        if (job.test.length === 0) throw new Error('the job has no test shards to check the model on')
        setState({ status: 'working', step: 'downloading held-out test images', done: 1, of: 3 })
        const images = firstImages(await fetchShard(peer.exchange, job.test[0]!, [coordinator]), PREVIEW_IMAGES)
        setState({ status: 'working', step: `predicting ${images.count} test images in the compute worker`, done: 2, of: 3 })
        const evaluation = await compute.evaluate(jobRecipe(job), Object.fromEntries(params), imagesAsTask(images, job.normalisation))
        if (url.current) URL.revokeObjectURL(url.current)
        url.current = URL.createObjectURL(new Blob([onnx as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }))
        setState({ status: 'ready', jobId: job.id, version: head.version, url: url.current, fileName: `${job.id}-v${head.version}.onnx`, bytes: onnx.length, images, predictions: evaluation.predictions, accuracy: evaluation.accuracy })
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
