// Parameter vectors and deltas as chunked payloads on the block exchange, named by their root CID: the
// coordinator's VectorStore (a checkpoint that names them restores from the same store), and how volunteers
// fetch assigned parameters and coordinators fetch submitted deltas, with the model's size as the limit.
import type { PeerId } from '@libp2p/interface'
import { bytesToFloat32, float32Bytes, getChunked, getChunkedPieces, putChunked } from '../p2p/chunked.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import type { VectorStore } from '../training/coordinator.ts'
import { decodeDelta, encodeDelta, encodedDeltaBytes, type QuantizedDelta } from '../training/quantize.ts'

export class ExchangeVectorStore implements VectorStore {
  private readonly exchange: BlockExchange
  private readonly dim: number

  constructor(exchange: BlockExchange, dim: number) {
    this.exchange = exchange
    this.dim = dim
  }

  putParams(values: Float32Array): Promise<string> {
    return putChunked(this.exchange, 'params', float32Bytes(values))
  }

  /** A version's int8 diff against the one before, chunked like a volunteer's delta (getDelta reads it). */
  putDiff(diff: QuantizedDelta): Promise<string> {
    return putChunked(this.exchange, 'delta', encodeDelta(diff))
  }

  /** `from`: peers to ask first (the coordinator, the submitting volunteer). */
  async getParams(cid: string, from: { providers?: PeerId[]; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Float32Array> {
    return bytesToFloat32(await getChunked(this.exchange, cid, 'params', { ...from, maxBytes: this.dim * 4 }), this.dim, `parameters ${cid.slice(0, 16)}…`, true)
  }

  /** A volunteer's committed parameters at a checkpoint step (salted like its delta). */
  async getCheckpoint(cid: string, from: { providers?: PeerId[]; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Float32Array> {
    return bytesToFloat32(await getChunked(this.exchange, cid, 'checkpoint', { ...from, maxBytes: this.dim * 4 }), this.dim, `checkpoint ${cid.slice(0, 16)}…`, true)
  }

  /** Some pieces of a checkpoint (a spot check): float32 values per piece, and the pieces by index. */
  async getCheckpointPieces(cid: string, pick: (pieces: number) => number[], from: { providers?: PeerId[]; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ valuesPerPiece: number; pieces: Map<number, Float32Array> }> {
    const { chunkBytes, pieces } = await getChunkedPieces(this.exchange, cid, 'checkpoint', pick, { ...from, maxBytes: this.dim * 4 })
    const what = `checkpoint ${cid.slice(0, 16)}…`
    return { valuesPerPiece: chunkBytes / 4, pieces: new Map([...pieces].map(([i, bytes]) => [i, bytesToFloat32(bytes, bytes.length / 4, `${what} piece ${i}`)])) }
  }

  async getDelta(cid: string, from: { providers?: PeerId[]; timeoutMs?: number } = {}): Promise<QuantizedDelta> {
    return decodeDelta(await getChunked(this.exchange, cid, 'delta', { ...from, maxBytes: encodedDeltaBytes(this.dim, 1) }), this.dim)
  }
}
