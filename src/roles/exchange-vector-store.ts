// Parameter vectors and deltas as chunked payloads on the block exchange, named by their root CID: the
// coordinator's VectorStore (a checkpoint that names them restores from the same store), and how volunteers
// fetch assigned parameters and coordinators fetch submitted deltas, with the model's size as the limit.
import type { PeerId } from '@libp2p/interface'
import { bytesToFloat32, float32Bytes, getChunked, putChunked } from '../p2p/chunked.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import type { VectorStore } from '../training/coordinator.ts'
import { decodeDelta, encodedDeltaBytes, type QuantizedDelta } from '../training/quantize.ts'

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

  /** `from`: peers to ask first (the coordinator, the submitting volunteer). */
  async getParams(cid: string, from: { providers?: PeerId[]; timeoutMs?: number } = {}): Promise<Float32Array> {
    return bytesToFloat32(await getChunked(this.exchange, cid, 'params', { ...from, maxBytes: this.dim * 4 }), this.dim, `parameters ${cid.slice(0, 16)}…`)
  }

  async getDelta(cid: string, from: { providers?: PeerId[]; timeoutMs?: number } = {}): Promise<QuantizedDelta> {
    return decodeDelta(await getChunked(this.exchange, cid, 'delta', { ...from, maxBytes: encodedDeltaBytes(this.dim, 1) }), this.dim)
  }
}
