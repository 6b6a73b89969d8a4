// The job log on the swarm: each record signed with the coordinator's peer key and published on the block
// exchange, where anyone can fetch it by content id; an audit (job-audit.ts) checks who wrote it. Auditors fetch
// it from the coordinator first, then from whoever pinned it.
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { toHex } from '../hex.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import { getChunked, putChunked } from '../p2p/chunked.ts'
import { decodeSignedLogRecord, encodeLogRecord, LOG_FORMAT, MAX_LOG_RECORD_BYTES, type LogRecord, type SignedLogRecord } from '../training/job-log.ts'
import type { LogStore } from '../training/stores.ts'

const encoder = new TextEncoder()

export class ExchangeLogStore implements LogStore {
  private readonly exchange: BlockExchange
  private readonly key: PrivateKey

  constructor(exchange: BlockExchange, key: PrivateKey) {
    this.exchange = exchange
    this.key = key
  }

  async put(record: LogRecord): Promise<string> {
    return putChunked(this.exchange, 'job-log', encodeLogRecord(await signLogRecord(this.key, record)))
  }
}

/** The envelope a record travels in: its exact JSON text, signed with the coordinator's peer key. */
export async function signLogRecord(key: PrivateKey, record: LogRecord): Promise<SignedLogRecord> {
  const text = JSON.stringify(record)
  return { format: LOG_FORMAT, coordinator: peerIdFromPrivateKey(key).toString(), signature: toHex(await key.sign(encoder.encode(text))), record: text }
}

/** The signed envelope of a record, by content id (the audit checks its signature itself). */
export async function fetchSignedLogRecord(exchange: BlockExchange, cid: string, providers: PeerId[], timeoutMs = 30_000): Promise<SignedLogRecord> {
  return decodeSignedLogRecord(await getChunked(exchange, cid, 'job-log', { maxBytes: MAX_LOG_RECORD_BYTES, providers, timeoutMs }))
}
