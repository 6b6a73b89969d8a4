// The job's records besides its rounds: contributed datasets (offers and the owner's decisions), the shard
// pool they feed, and wallet bindings. Plain functions over the coordinator's state; the coordinator runs
// them one at a time and checkpoints after each.
import { TesseraeError } from '../errors.ts'
import type { CoordinatorState, WalletBinding } from './coordinator-state.ts'
import { datasetShards, incompatibility, registerOffer, type DatasetOffer, type DatasetState } from './datasets.ts'
import { jobTask, type JobSpec, type ShardRef } from './job.ts'
import { addProvider } from './availability.ts'

/** Records an offer (misfits are rejected at once); `added` says whether it is new. */
export function recordOffer(state: CoordinatorState, job: JobSpec, offer: DatasetOffer, now: number): { entry: DatasetState; added: boolean } {
  const before = state.datasets.length
  const entry = registerOffer(state.datasets, offer, incompatibility(job, jobTask(job), offer), now)
  // Only a stored offer is new: one refused for the job's dataset limit is not kept, so saving for it would
  // let anyone make the coordinator write its checkpoint again and again.
  return { entry, added: state.datasets.length > before }
}

/**
 * The job owner's decision. Accepting adds the dataset's chunks to the shard pool (once; a dataset rejected
 * later keeps its pool slots but is no longer planned); rejecting needs a reason the contributor will see.
 */
export function recordDecision(state: CoordinatorState, id: string, accept: boolean, reason: string, now: number): DatasetState {
  const entry = state.datasets.find((d) => d.id === id)
  if (!entry) throw new TesseraeError('UNKNOWN_DATASET', `no dataset ${id.slice(0, 16)}… was offered to this job`)
  if (accept && !entry.fits) throw new TesseraeError('DATASET_UNFIT', `the dataset cannot serve this job: ${entry.reason}`)
  entry.status = accept ? 'accepted' : 'rejected'
  entry.reason = accept ? 'accepted by the job owner' : reason.trim().slice(0, 300) || 'rejected by the job owner'
  entry.decidedAtMs = now
  if (accept && !state.pool.some((s) => s.dataset === id)) state.pool.push(...datasetShards(entry))
  // The owner served every chunk for the acceptance check: it is their first provider.
  if (accept) addProvider((state.providers ??= {}), entry.owner, entry.chunks.map((c) => c.cid))
  return entry
}

/** A binding the host verified; refused for a wallet or peer caught cheating in this job. */
export function recordBinding(state: CoordinatorState, peer: string, binding: Omit<WalletBinding, 'seq'>): void {
  if (state.bannedWallets.includes(binding.wallet.toLowerCase())) throw new TesseraeError('WALLET_EXCLUDED', 'a peer bound to this wallet was caught cheating in this job, so the wallet earns nothing more here')
  if (state.peers[peer]?.banned) throw new TesseraeError('PEER_EXCLUDED', 'this peer was excluded from the job, so it cannot bind a wallet')
  state.bindings[peer] = { ...binding, seq: ++state.seq }
}

/** Pool index → shard: the job's own shards followed by accepted datasets' chunks. */
export function shardAt(job: JobSpec, state: CoordinatorState, index: number): ShardRef {
  const own = job.train.length
  const shard = index < own ? job.train[index] : state.pool[index - own]
  if (!shard) throw new TesseraeError('BAD_SHARD', `shard ${index} is not in the pool`)
  return shard
}
