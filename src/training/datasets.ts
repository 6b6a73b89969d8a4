// Contributed datasets in a job: offered by their owners, accepted or rejected by the job owner, and once
// accepted their chunks join the job's training shards. Pure bookkeeping over the coordinator's state; the
// host has already checked the owner's signature and the manifest's own consistency.
import type { JobSpec, ShardRef } from './job.ts'
import type { OfferReview } from './data-review.ts'
import { describeTask, type TaskSpec } from '../data/task.ts'
import { describeFormat, sameFormat, sampleFormat, type SampleFormat } from '../data/sample-format.ts'

export type DatasetStatus = 'pending' | 'accepted' | 'rejected'

/** What the coordinator needs of a manifest (the data module's manifest, reduced to what bookkeeping reads). */
export interface DatasetOffer {
  id: string
  name: string
  licence: string
  owner: string
  height: number
  width: number
  classes: string[]
  chunks: Array<{ cid: string; samples: number }>
  merkleRoot: string
  samples: number
  /** The owner's signed manifest as offered, kept for the job log so anyone can check the owner offered it. */
  signed?: unknown
  /**
   * What one sample is (its manifest's format); absent in offers of grayscale images made before formats,
   * which `height`, `width` and `classes` describe. For a table or text those three are 0, 0 and its classes.
   */
  format?: SampleFormat
}

/** The format of an offer's samples, also for offers recorded before formats. */
export function offerFormat(offer: DatasetOffer): SampleFormat {
  return offer.format ?? { kind: 'image', height: offer.height, width: offer.width, channels: 1, classes: offer.classes }
}

export interface DatasetState extends DatasetOffer {
  status: DatasetStatus
  reason: string
  offeredAtMs: number
  decidedAtMs: number | null
  /** Samples consumed by accepted units, as credited to the owner. */
  samplesUsed: number
  /** False when its shape or classes cannot serve the job: no decision can accept it. */
  fits: boolean
  /** The automatic checks of its samples, once its chunks were fetched (absent before, and in older checkpoints). */
  review?: OfferReview
}

export const MAX_DATASETS_PER_JOB = 64

/** Why a dataset cannot serve this job, or null when its shape and classes fit. */
export function incompatibility(job: JobSpec, task: TaskSpec, offer: DatasetOffer): string | null {
  const wanted = sampleFormat(task)
  const offered = offerFormat(offer)
  if (sameFormat(wanted, offered)) return null
  if (wanted.kind !== 'image' || offered.kind !== 'image' || wanted.channels !== offered.channels) return `it holds ${describeFormat(offered)}; this job's samples are ${describeTask(task)}`
  if (offered.height !== wanted.height || offered.width !== wanted.width) return `its images are ${offered.height}×${offered.width}; this job's model takes ${wanted.height}×${wanted.width}`
  return `its classes (${offered.classes.slice(0, 4).join(', ')}${offered.classes.length > 4 ? ', …' : ''}) are not this job's classes in order (${job.classes.slice(0, 4).join(', ')}, …)`
}

/** A new offer's entry (pending, or rejected at once when it cannot fit), or the existing one. */
export function registerOffer(datasets: DatasetState[], offer: DatasetOffer, problem: string | null, now: number): DatasetState {
  const existing = datasets.find((d) => d.id === offer.id)
  if (existing) return existing
  const tooMany = datasets.length >= MAX_DATASETS_PER_JOB ? `this job already has ${MAX_DATASETS_PER_JOB} datasets` : null
  const reason = problem ?? tooMany
  const entry: DatasetState = { ...offer, status: reason ? 'rejected' : 'pending', reason: reason ?? 'waiting for the job owner', offeredAtMs: now, decidedAtMs: reason ? now : null, samplesUsed: 0, fits: problem === null }
  if (!tooMany) datasets.push(entry)
  return entry
}

/** The shards a dataset adds to the pool once accepted; each is credited to the dataset's owner. */
export function datasetShards(d: DatasetOffer): ShardRef[] {
  return d.chunks.map((c) => ({ cid: c.cid, samples: c.samples, owner: d.owner, dataset: d.id }))
}

/**
 * Picks `count` shards for a round from the active ones: least used first, ties by pool order. A newly
 * accepted dataset is therefore trained on in the next round, and over time every shard is used evenly.
 */
export function pickShards(active: readonly number[], use: readonly number[], count: number): number[] {
  if (active.length === 0) return []
  const load = new Map(active.map((i) => [i, use[i] ?? 0]))
  const picks: number[] = []
  for (let k = 0; k < count; k++) {
    let best = active[0]!
    for (const i of active) if (load.get(i)! < load.get(best)!) best = i
    picks.push(best)
    load.set(best, load.get(best)! + 1)
  }
  return picks
}
