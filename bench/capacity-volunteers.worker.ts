// Worker thread for bench/coordinator-capacity.ts: volunteers that each hold int8 deltas on their own
// block exchange, served over loopback WebSockets, so the coordinator's thread pays only its own share of
// the network, decoding and verification.
import { parentPort, workerData } from 'node:worker_threads'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { createNodePeer } from '../src/p2p/node-peer.ts'
import { BlockExchange } from '../src/p2p/block-exchange.ts'
import { putChunked } from '../src/p2p/chunked.ts'
import { seededRandom } from '../src/random.ts'
import { encodeDelta, quantizeInt8 } from '../src/training/quantize.ts'

export interface VolunteerHoldings {
  addr: string
  cids: string[]
}

const { volunteers, deltasEach, dim } = workerData as { volunteers: number; deltasEach: number; dim: number }
const random = seededRandom(7)
const base = Float32Array.from({ length: dim }, () => (random() * 2 - 1) * 0.01)
const stops: Array<() => Promise<void>> = []
const holdings: VolunteerHoldings[] = []
for (let v = 0; v < volunteers; v++) {
  const node = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
  const exchange = await BlockExchange.start(node, new MemoryBlockstore())
  const cids: string[] = []
  for (let d = 0; d < deltasEach; d++) {
    const delta = Float32Array.from(base, (b) => b + (random() * 2 - 1) * 0.01)
    cids.push(await putChunked(exchange, 'delta', encodeDelta(quantizeInt8(delta))))
  }
  holdings.push({ addr: node.getMultiaddrs()[0]!.toString(), cids })
  stops.push(async () => {
    await exchange.stop()
    await node.stop()
  })
}
parentPort!.postMessage(holdings)
parentPort!.once('message', () => {
  void Promise.all(stops.map((stop) => stop())).then(() => parentPort!.postMessage('stopped'))
})
