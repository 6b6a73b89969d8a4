// A fine-tuning job's starting parameters in the swarm: the owner publishes them like any version and names them
// in the job (`fineTune.paramsCid`); the coordinator, in a tab or in Node, fetches them to open the job.
import type { PeerId } from '@libp2p/interface'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import { decodeJob, jobModel, type FineTune, type JobSpec } from '../training/job.ts'
import { flatten, paramLayout } from '../training/vector.ts'
import { ExchangeVectorStore } from './exchange-vector-store.ts'

export interface FineTuneStartParams {
  params: ReadonlyMap<string, Float32Array>
  fineTune: Omit<FineTune, 'paramsCid'>
}

/** Publishes the starting parameters and returns `job` with its fine-tuning settings naming them (decoded, strict). */
export async function withStartParams(exchange: BlockExchange, job: JobSpec, start: FineTuneStartParams): Promise<JobSpec> {
  const layout = paramLayout(jobModel(job))
  const paramsCid = await new ExchangeVectorStore(exchange, layout.total).putParams(flatten(layout, new Map(start.params)))
  return decodeJob(JSON.parse(JSON.stringify({ ...job, fineTune: { ...start.fineTune, paramsCid } })))
}

/** The job's starting parameters as a flat vector, or null for a job that starts from its seed. */
export async function fetchStartParams(exchange: BlockExchange, job: JobSpec, providers: PeerId[]): Promise<Float32Array | null> {
  if (!job.fineTune) return null
  return new ExchangeVectorStore(exchange, paramLayout(jobModel(job)).total).getParams(job.fineTune.paramsCid, { providers, timeoutMs: 60_000 })
}
