// What one coordinator can take: volunteers (in a worker thread) hold int8 deltas of the CNN; the coordinator
// thread fetches each over Bitswap as it would a submitted result, decodes it, takes its arrival statistics,
// screens and clip-aggregates the round. Its own thread's CPU time gives deltas per core-second; the delta
// and parameter sizes give what a round costs its downlink and uplink. Then the same deltas pre-aggregated
// by A aggregator peers, to show what the coordinator is left with and how far the result moves.
import { Worker } from 'node:worker_threads'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { createNodePeer } from '../src/p2p/node-peer.ts'
import { BlockExchange } from '../src/p2p/block-exchange.ts'
import { getChunked } from '../src/p2p/chunked.ts'
import { MODEL_ZOO } from '../src/graph/zoo.ts'
import { paramLayout } from '../src/training/vector.ts'
import { decodeDelta, encodedDeltaBytes, type QuantizedDelta } from '../src/training/quantize.ts'
import { DeltaSketcher, screenOutliers, type DeltaStats } from '../src/training/robust-aggregate.ts'
import { AGGREGATORS } from '../src/training/aggregators/index.ts'
import type { VolunteerHoldings } from './capacity-volunteers.worker.ts'

export interface CapacityResult {
  model: string
  parameters: number
  deltaBytes: number
  paramsBytes: number
  deltas: number
  wallSeconds: number
  coordinatorCpuSeconds: number
  /** Deltas one core of the coordinator ingests per second (fetch, verify CIDs, decode, statistics, aggregate). */
  deltasPerCoreSecond: number
  aggregators: number
  /** Coordinator CPU to combine the aggregators' partial results, per round. */
  combineMs: number
  /** Relative L2 distance between the pre-aggregated and the flat round result. */
  hierarchicalRelativeError: number
}

function aggregate(deltas: ReadonlyArray<[string, QuantizedDelta, DeltaStats]>, centre: Float32Array): Float32Array {
  const outliers = screenOutliers(new Map(deltas.map(([id, , s]) => [id, s])))
  const kept = deltas.filter(([id]) => !outliers.has(id))
  const aggregation = AGGREGATORS['centred-clip'].begin({ dim: centre.length, centre, stats: kept.map(([, , s]) => s) })
  for (const [, q, s] of kept) aggregation.add(q, s)
  return aggregation.result()
}

export async function benchCoordinatorCapacity(options: { volunteers: number; deltasEach: number; aggregators: number }): Promise<CapacityResult> {
  const dim = paramLayout(MODEL_ZOO.cnn()).total
  const worker = new Worker(new URL('./capacity-volunteers.worker.ts', import.meta.url), { workerData: { volunteers: options.volunteers, deltasEach: options.deltasEach, dim } })
  const holdings = await new Promise<VolunteerHoldings[]>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  const node = await createNodePeer()
  const exchange = await BlockExchange.start(node, new MemoryBlockstore())
  try {
    for (const h of holdings) await node.dial(multiaddr(h.addr))
    const centre = new Float32Array(dim)
    const sketcher = new DeltaSketcher(dim)
    const received: Array<[string, QuantizedDelta, DeltaStats]> = []
    const cpuBefore = process.threadCpuUsage()
    const started = performance.now()
    // One submission in flight per volunteer, as results arrive in a round.
    await Promise.all(
      holdings.map(async (h) => {
        const provider = peerIdFromString(multiaddr(h.addr).getComponents().findLast((c) => c.name === 'p2p')!.value!)
        for (const cid of h.cids) {
          const q = decodeDelta(await getChunked(exchange, cid, 'delta', { providers: [provider], maxBytes: encodedDeltaBytes(dim, 1) }), dim)
          received.push([cid, q, sketcher.stats(q, centre)])
        }
      }),
    )
    const flat = aggregate(received, centre)
    const cpu = process.threadCpuUsage(cpuBefore)
    const wallSeconds = (performance.now() - started) / 1000
    const coordinatorCpuSeconds = (cpu.user + cpu.system) / 1e6

    // Pre-aggregation: each aggregator screens and clips its share; the coordinator averages A results,
    // weighted by how many deltas each stands for.
    const share = Math.ceil(received.length / options.aggregators)
    const partials = Array.from({ length: options.aggregators }, (_, a) => received.slice(a * share, (a + 1) * share)).filter((p) => p.length > 0)
    const results = partials.map((p) => aggregate(p, centre))
    const combineStarted = performance.now()
    const combined = new Float32Array(dim)
    results.forEach((r, a) => {
      const weight = partials[a]!.length / received.length
      for (let i = 0; i < dim; i++) combined[i]! += weight * r[i]!
    })
    const combineMs = performance.now() - combineStarted
    let diff = 0
    let norm = 0
    for (let i = 0; i < dim; i++) {
      diff += (combined[i]! - flat[i]!) ** 2
      norm += flat[i]! ** 2
    }
    return {
      model: 'cnn',
      parameters: dim,
      deltaBytes: encodedDeltaBytes(dim, 256),
      paramsBytes: dim * 4,
      deltas: received.length,
      wallSeconds,
      coordinatorCpuSeconds,
      deltasPerCoreSecond: received.length / coordinatorCpuSeconds,
      aggregators: options.aggregators,
      combineMs,
      hierarchicalRelativeError: Math.sqrt(diff / norm),
    }
  } finally {
    await exchange.stop()
    await node.stop()
    worker.postMessage('stop')
    await new Promise((resolve) => worker.once('message', resolve))
    await worker.terminate()
  }
}

const MiB = 2 ** 20

/** What one coordinator can take per round, from the measured figures, at a given round length and uplink. */
export function capacityTable(r: CapacityResult, roundSeconds = 60, uplinkMbit = 20): string[] {
  const uplinkBytesPerRound = (uplinkMbit * 1e6 / 8) * roundSeconds
  return [
    '| one coordinator (Node, loopback libp2p, CNN) | value |',
    '|---|---|',
    `| int8 delta / fp32 parameters | ${(r.deltaBytes / 1024).toFixed(0)} KiB / ${(r.paramsBytes / 1024).toFixed(0)} KiB (${r.parameters} parameters) |`,
    `| ${r.deltas} deltas fetched over Bitswap, decoded, screened, clip-aggregated | ${r.wallSeconds.toFixed(1)} s wall, ${r.coordinatorCpuSeconds.toFixed(1)} s of the coordinator thread's CPU |`,
    `| deltas per core-second (CPU bound) | ${r.deltasPerCoreSecond.toFixed(0)} (${((r.deltasPerCoreSecond * r.deltaBytes) / MiB).toFixed(1)} MiB/s of deltas) |`,
    `| deltas per ${roundSeconds} s round, CPU limit (one core) | ${(r.deltasPerCoreSecond * roundSeconds).toFixed(0)} |`,
    `| volunteers per ${roundSeconds} s round, ${uplinkMbit} Mbit/s uplink sending each the parameters | ${(uplinkBytesPerRound / r.paramsBytes).toFixed(0)} |`,
    `| with ${r.aggregators} aggregator peers: the coordinator combines | ${r.aggregators} partial results in ${r.combineMs.toFixed(1)} ms; result within ${(100 * r.hierarchicalRelativeError).toFixed(2)} % (relative L2) of the flat aggregate |`,
  ]
}
