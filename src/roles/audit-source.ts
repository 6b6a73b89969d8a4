// An AuditSource over the live swarm and chain: records and trees are fetched over Bitswap from the job's
// coordinator (reached as a volunteer would reach it) and from anyone else named as a provider.
import type { Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Address } from 'viem'
import { decodeEpochDocument, MAX_EPOCH_DOCUMENT_BYTES } from '../ledger/epoch-tree.ts'
import type { Reader } from '../ledger/escrow.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import { getChunked } from '../p2p/chunked.ts'
import type { JobAnnouncement } from '../p2p/job-topics.ts'
import { errorMessage } from '../errors.ts'
import { awaitCoordinator } from './connect.ts'
import type { AuditSource } from './job-audit.ts'
import { fetchSignedLogRecord } from './log-store.ts'

const FETCH_TIMEOUT_MS = 30_000

export function swarmAuditSource(options: { node: Libp2p; exchange: BlockExchange; reader: Reader; chainId: number; escrow: Address; announcement: JobAnnouncement | null; providers?: PeerId[]; log?: (line: string) => void }): AuditSource {
  const coordinator = options.announcement ? peerIdFromString(options.announcement.job.coordinator) : null
  const providers = [...(coordinator ? [coordinator] : []), ...(options.providers ?? [])]
  let connected: Promise<void> | null = null
  // One connection shared by every fetch while it holds; a failed attempt is tried again by the next fetch,
  // and meanwhile the other providers are asked.
  const connect = () =>
    (connected ??= coordinator
      ? awaitCoordinator(options.node, coordinator, options.announcement!.addrs, FETCH_TIMEOUT_MS, options.log).catch((error: unknown) => {
          options.log?.(`${errorMessage(error)}; asking the other providers`)
          connected = null
        })
      : Promise.resolve())
  return {
    reader: options.reader,
    chainId: options.chainId,
    escrow: options.escrow,
    async fetchLog(cid) {
      await connect()
      return fetchSignedLogRecord(options.exchange, cid, providers, FETCH_TIMEOUT_MS)
    },
    async fetchTree(cid) {
      await connect()
      return decodeEpochDocument(await getChunked(options.exchange, cid, 'epoch-tree', { maxBytes: MAX_EPOCH_DOCUMENT_BYTES, providers, timeoutMs: FETCH_TIMEOUT_MS }))
    },
  }
}
