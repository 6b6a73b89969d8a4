// The coordinator's VectorStore on top of the block exchange: parameter vectors and deltas are chunked
// payloads named by their root CID, so a checkpoint that names them can be restored from the same store.
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

  async getParams(cid: string): Promise<Float32Array> {
    return bytesToFloat32(await getChunked(this.exchange, cid, 'params', { maxBytes: this.dim * 4 }), this.dim, `parameters ${cid.slice(0, 16)}…`)
  }

  async getDelta(cid: string): Promise<QuantizedDelta> {
    return decodeDelta(await getChunked(this.exchange, cid, 'delta', { maxBytes: encodedDeltaBytes(this.dim, 1) }), this.dim)
  }
}
