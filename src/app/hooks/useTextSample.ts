// A text job's sample from any tab: fetch the parameters the latest head names (from the coordinator or any
// peer holding them) and the first held-out window, then let the model continue that window in the compute
// worker. The sample is seeded by the version, so two tabs show the same text for the same version.
import { useCallback, useState } from 'react'
import { peerIdFromString } from '@libp2p/peer-id'
import { ComputeClient } from '../../compute/compute-client.ts'
import { ExchangeVectorStore } from '../../roles/exchange-vector-store.ts'
import { fetchTaskShard } from '../../roles/dataset-chunks.ts'
import { paramLayout, unflatten } from '../../training/vector.ts'
import { jobModel, jobRecipe, jobTask } from '../../training/job.ts'
import { detokenize } from '../../data/text.ts'
import type { JobAnnouncement } from '../../p2p/job-topics.ts'
import { errorMessage } from '../../errors.ts'
import type { TabPeer } from './useSwarm.ts'

/** Characters (tokens) a sample writes. */
export const SAMPLE_TOKENS = 240
export const SAMPLE_TEMPERATURE = 0.8

export type TextSample =
  | { status: 'idle' }
  | { status: 'working'; step: string }
  | { status: 'ready'; jobId: string; version: number; prompt: string; text: string }
  | { status: 'failed'; error: string }

export function useTextSample(peer: TabPeer | null) {
  const [state, setState] = useState<TextSample>({ status: 'idle' })
  const run = useCallback(
    async (announcement: JobAnnouncement) => {
      if (!peer) return
      const { job, head } = announcement
      const task = jobTask(job)
      if (task.kind !== 'text') return setState({ status: 'failed', error: 'only a text job writes samples' })
      const compute = ComputeClient.spawn()
      try {
        const coordinator = peerIdFromString(job.coordinator)
        const layout = paramLayout(jobModel(job))
        setState({ status: 'working', step: `downloading the parameters of version ${head.version}` })
        const params = await new ExchangeVectorStore(peer.exchange, layout.total).getParams(head.paramsCid, { providers: [coordinator], timeoutMs: 120_000 })
        if (job.test.length === 0) throw new Error('the job has no held-out text to start a sample from')
        setState({ status: 'working', step: 'downloading held-out text to continue' })
        const held = await fetchTaskShard(peer.exchange, job.test[0]!, task, [coordinator])
        const prompt = Uint16Array.from(held.x.subarray(0, held.perSample))
        setState({ status: 'working', step: `writing ${SAMPLE_TOKENS} tokens in the compute worker` })
        const tokens = await compute.generate(jobRecipe(job), Object.fromEntries(unflatten(layout, params)), prompt, { length: SAMPLE_TOKENS, temperature: SAMPLE_TEMPERATURE, seed: head.version })
        setState({ status: 'ready', jobId: job.id, version: head.version, prompt: detokenize(prompt, task.schema), text: detokenize(tokens, task.schema) })
      } catch (error) {
        setState({ status: 'failed', error: `No sample could be written: ${errorMessage(error)}. Check that the coordinator (or a volunteer holding this version) is still connected, then try again.` })
      } finally {
        compute.terminate()
      }
    },
    [peer],
  )
  return { state, run }
}
