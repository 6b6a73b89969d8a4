// The contributor's side of sharing: offer a signed dataset to a job's coordinator over the work protocol.
// The chunks need no pushing: they are served from the contributor's store whenever a peer asks by CID.
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { SignedManifest } from '../data/manifest.ts'
import type { JobAnnouncement } from '../p2p/job-topics.ts'
import { callWork } from '../p2p/work-protocol.ts'
import type { DatasetStatus } from '../training/datasets.ts'
import { awaitCoordinator } from './connect.ts'
import { TesseraeError } from '../errors.ts'
import { backoffMs, sleep } from '../wait.ts'

const ATTEMPTS = 3
const RETRY = { firstMs: 1000, maxMs: 4000 }

/**
 * Offers are idempotent on the coordinator (the same dataset id is recorded once), so a stream that dies in
 * transit (e.g. the relayed connection closing as the direct WebRTC one replaces it) is simply tried again.
 * A refusal or a timeout is the coordinator's answer and is not retried.
 */
export async function offerDataset(node: Libp2p, announcement: JobAnnouncement, dataset: SignedManifest): Promise<{ id: string; status: DatasetStatus; reason: string }> {
  const coordinator = peerIdFromString(announcement.job.coordinator)
  for (let attempt = 1; ; attempt++) {
    await awaitCoordinator(node, coordinator, announcement.addrs, 60_000)
    try {
      const reply = await callWork(node, coordinator, { type: 'offer', jobId: announcement.job.id, dataset })
      if (reply.type !== 'dataset') throw new TesseraeError('BAD_REPLY', `unexpected reply "${reply.type}" to a dataset offer`)
      return { id: reply.id, status: reply.status, reason: reply.reason }
    } catch (error) {
      if (error instanceof TesseraeError || attempt >= ATTEMPTS) throw error
      await sleep(backoffMs(attempt, RETRY))
    }
  }
}
