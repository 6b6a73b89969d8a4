// The job log on the swarm: each record signed with the coordinator's peer key and published on the block
// exchange, where anyone can fetch it by content id and check who wrote it. Volunteers and auditors fetch it
// from the coordinator first, then from whoever pinned it.
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { fromHex, toHex } from '../hex.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import { getChunked, putChunked } from '../p2p/chunked.ts'
import { LedgerError } from '../ledger/errors.ts'
import { decodeRecord, decodeSignedLogRecord, encodeLogRecord, LOG_FORMAT, MAX_LOG_RECORD_BYTES, type LogRecord } from '../training/job-log.ts'
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
    const text = JSON.stringify(record)
    const signature = toHex(await this.key.sign(encoder.encode(text)))
    return putChunked(this.exchange, 'job-log', encodeLogRecord({ format: LOG_FORMAT, coordinator: peerIdFromPrivateKey(this.key).toString(), signature, record: text }))
  }
}

/** Fetches a record by content id and checks that `coordinator` signed it; returns the record. */
export async function fetchLogRecord(exchange: BlockExchange, cid: string, coordinator: string, providers: PeerId[] = [], timeoutMs = 30_000): Promise<LogRecord> {
  const signed = decodeSignedLogRecord(await getChunked(exchange, cid, 'job-log', { maxBytes: MAX_LOG_RECORD_BYTES, providers: [peerIdFromString(coordinator), ...providers], timeoutMs }))
  if (signed.coordinator !== coordinator) throw new LedgerError('BAD_LOG', `log record ${cid.slice(0, 16)}… was written by ${signed.coordinator.slice(0, 16)}…, not the job's coordinator`)
  const key = peerIdFromString(coordinator).publicKey
  if (!key || !(await key.verify(encoder.encode(signed.record), fromHex(signed.signature)))) throw new LedgerError('BAD_LOG', `log record ${cid.slice(0, 16)}… does not carry the coordinator's signature`)
  return decodeRecord(signed)
}
