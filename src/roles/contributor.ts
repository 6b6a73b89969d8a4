// The contributor's side of sharing: offer a signed dataset to a job's coordinator over the work protocol.
// The chunks need no pushing: they are served from the contributor's store whenever a peer asks by CID.
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { SignedManifest } from '../data/manifest.ts'
import type { JobAnnouncement } from '../p2p/job-topics.ts'
import { callWork } from '../p2p/work-protocol.ts'
import type { DatasetStatus } from '../training/datasets.ts'
import { awaitCoordinator } from './connect.ts'

export async function offerDataset(node: Libp2p, announcement: JobAnnouncement, dataset: SignedManifest): Promise<{ id: string; status: DatasetStatus; reason: string }> {
  const coordinator = peerIdFromString(announcement.job.coordinator)
  await awaitCoordinator(node, coordinator, announcement.addrs, 60_000)
  const reply = await callWork(node, coordinator, { type: 'offer', jobId: announcement.job.id, dataset })
  if (reply.type !== 'dataset') throw new Error(`unexpected reply "${reply.type}" to a dataset offer`)
  return { id: reply.id, status: reply.status, reason: reply.reason }
}
