// An in-memory vector store for tests and simulations. Content ids are real sha-256 digests,
// so a test that confuses two vectors fails the same way it would against the block store.
import { createHash } from 'node:crypto'
import type { LogStore, VectorStore } from '../coordinator.ts'
import type { LogRecord, RoundRecord } from '../job-log.ts'
import { decodeDelta, encodeDelta, type QuantizedDelta } from '../quantize.ts'

export class MemoryVectorStore implements VectorStore {
  readonly blocks = new Map<string, Uint8Array>()

  putBytes(bytes: Uint8Array): string {
    const cid = `sha256-${createHash('sha256').update(bytes).digest('hex')}`
    this.blocks.set(cid, bytes)
    return cid
  }

  async putParams(values: Float32Array): Promise<string> {
    return this.putBytes(new Uint8Array(Float32Array.from(values).buffer))
  }

  async getParams(cid: string): Promise<Float32Array> {
    const bytes = this.blocks.get(cid)
    if (!bytes) throw new Error(`no block ${cid}`)
    return new Float32Array(bytes.slice().buffer)
  }

  putDelta(delta: QuantizedDelta): string {
    return this.putBytes(encodeDelta(delta))
  }

  async putDiff(diff: QuantizedDelta): Promise<string> {
    return this.putDelta(diff)
  }

  async getDelta(cid: string): Promise<QuantizedDelta> {
    const bytes = this.blocks.get(cid)
    if (!bytes) throw new Error(`no block ${cid}`)
    return decodeDelta(bytes)
  }
}

/** The job log in memory, by a content hash of each record (no signature: tests read records back directly). */
export class MemoryLogStore implements LogStore {
  readonly records = new Map<string, LogRecord>()

  async put(record: LogRecord): Promise<string> {
    const cid = `log-${createHash('sha256').update(JSON.stringify(record)).digest('hex')}`
    this.records.set(cid, structuredClone(record))
    return cid
  }

  /** Round records from the first to `head`, following each record's `prev`. */
  rounds(head: string | null): RoundRecord[] {
    const out: RoundRecord[] = []
    for (let cid = head; cid !== null; ) {
      const record = this.records.get(cid)
      if (record?.kind !== 'round') throw new Error(`no round record ${cid}`)
      out.unshift(record)
      cid = record.prev
    }
    return out
  }
}
