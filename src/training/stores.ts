// What the coordinator persists, as narrow interfaces: vectors (parameters, momentum, deltas) by content id
// in a block store, and its state as one checkpoint text. The tab implements them over IndexedDB and the
// block exchange, Node over files, tests over memory.
import type { QuantizedDelta } from './quantize.ts'
import type { LogRecord } from './job-log.ts'

export interface VectorStore {
  putParams(values: Float32Array): Promise<string>
  getParams(cid: string): Promise<Float32Array>
  getDelta(cid: string): Promise<QuantizedDelta>
  /** Stores a version's int8 diff against the one before (version-diff.ts). */
  putDiff(diff: QuantizedDelta): Promise<string>
}

export interface CheckpointStore {
  load(): Promise<string | null>
  save(text: string): Promise<void>
}

/** Where the job log goes: signs a record with the coordinator's key, publishes it, returns its content id. */
export interface LogStore {
  put(record: LogRecord): Promise<string>
}
