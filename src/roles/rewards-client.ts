// A peer's side of settlement on the swarm: sending a signed wallet binding to a job's coordinator, and
// fetching an epoch's published tree from whoever holds it (the coordinator first) to find one's own proof.
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { TesseraeError } from '../errors.ts'
import type { SignedBinding } from '../ledger/binding.ts'
import { decodeEpochDocument, MAX_EPOCH_DOCUMENT_BYTES, type EpochDocument } from '../ledger/epoch-tree.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import { getChunked } from '../p2p/chunked.ts'
import type { JobAnnouncement } from '../p2p/job-topics.ts'
import { callWork } from '../p2p/work-protocol.ts'
import { callStage } from '../p2p/stage-protocol.ts'
import { awaitCoordinator } from './connect.ts'

export async function sendBinding(node: Libp2p, announcement: Pick<JobAnnouncement, 'job' | 'addrs'>, binding: SignedBinding): Promise<{ wallet: string; expiry: number }> {
  const coordinator = peerIdFromString(announcement.job.coordinator)
  await awaitCoordinator(node, coordinator, announcement.addrs, 30_000)
  // A staged job's coordinator speaks the stage protocol (its volunteers join it there), not the work protocol.
  if (announcement.job.stages) {
    const { bound } = await callStage(node, coordinator, { type: 'bind', jobId: announcement.job.id, binding }, [], 30_000)
    if (!bound) throw new TesseraeError('WORK_REFUSED', 'the coordinator did not answer the binding')
    return bound
  }
  const reply = await callWork(node, coordinator, { type: 'bind', binding }, 30_000)
  if (reply.type !== 'bound') throw new TesseraeError('WORK_REFUSED', `the coordinator answered a binding with "${reply.type}"`)
  return { wallet: reply.wallet, expiry: reply.expiry }
}

export async function fetchEpochDocument(exchange: BlockExchange, treeCid: string, coordinator: string): Promise<EpochDocument> {
  const bytes = await getChunked(exchange, treeCid, 'epoch-tree', { maxBytes: MAX_EPOCH_DOCUMENT_BYTES, providers: [peerIdFromString(coordinator)], timeoutMs: 30_000 })
  return decodeEpochDocument(bytes)
}
