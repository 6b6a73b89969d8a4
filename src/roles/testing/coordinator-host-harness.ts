// A coordinator host on a real libp2p node (WebSockets on loopback) with the quadratic test model, and honest
// volunteers that dial it, do units and sign them: what the host's tests build on.
import { MemoryBlockstore } from 'blockstore-core/memory'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { createNodePeer, type NodePeer } from '../../p2p/node-peer.ts'
import { BlockExchange } from '../../p2p/block-exchange.ts'
import { callWork } from '../../p2p/work-protocol.ts'
import { float32Bytes, putChunked } from '../../p2p/chunked.ts'
import { toHex } from '../../hex.ts'
import { cidOf } from '../../data/cid.ts'
import { Coordinator } from '../../training/coordinator.ts'
import { MemoryCheckpointStore } from '../../training/memory-checkpoints.ts'
import { DIM, LAYOUT, QuadraticEngine, quadraticData, quadraticReferee } from '../../training/testing/coordinator-harness.ts'
import { encodeDelta } from '../../training/quantize.ts'
import { runUnit } from '../../training/unit-runner.ts'
import { MemoryLogStore } from '../../training/testing/memory-stores.ts'
import { testJob } from '../../training/testing/job-fixture.ts'
import { resultSigningBytes, type UnitResult } from '../../training/unit.ts'
import type { JobSpec } from '../../training/job.ts'
import { CoordinatorHost, type CoordinatorHostOptions } from '../coordinator-host.ts'
import { ExchangeVectorStore } from '../exchange-vector-store.ts'

export interface Volunteer {
  node: NodePeer
  exchange: BlockExchange
  key: PrivateKey
  id: string
}

export interface HostHarness {
  server: NodePeer
  host: CoordinatorHost
  coordinator: Coordinator
  volunteer(): Promise<Volunteer>
  /** Asks for a unit and does it honestly; unless `serveCheckpoints`, its checkpoints are stored nowhere yet. */
  work(v: Volunteer, serveCheckpoints?: boolean): Promise<UnitResult>
  /** Stores (and so serves) the checkpoints `work(v, false)` held back. */
  serveHeldCheckpoints(v: Volunteer): Promise<void>
  sign(key: PrivateKey, result: UnitResult): Promise<string>
  /** Stops the host alone (its node and the volunteers stay up). */
  stopHost(): Promise<void>
  stop(): Promise<void>
}

export async function startHostHarness(job: Partial<JobSpec>, options: Partial<CoordinatorHostOptions> = {}): Promise<HostHarness> {
  const nodes: NodePeer[] = []
  const exchanges: BlockExchange[] = []
  const server = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
  nodes.push(server)
  const exchange = await BlockExchange.start(server, new MemoryBlockstore())
  exchanges.push(exchange)
  const coordinator = await Coordinator.open({
    job: testJob({ coordinator: server.peerId.toString(), ...job }), dim: DIM, initialParams: () => new Float32Array(DIM), flopsPerStep: 1,
    // As a real coordinator does: deltas and parameters in its own block store, where a round's close reads them.
    vectors: new ExchangeVectorStore(exchange, DIM), checkpoints: new MemoryCheckpointStore(), log: new MemoryLogStore(), referee: quadraticReferee(),
  })
  const host = await CoordinatorHost.start({ node: server, exchange, coordinator, dim: DIM, announceEveryMs: 60_000, tickEveryMs: 60_000, ...options })
  let stopped = false
  const heldBack = new Map<string, Uint8Array[]>()
  const stopHost = async () => {
    if (!stopped) await host.stop()
    stopped = true
  }
  return {
    server, host, coordinator,
    async volunteer() {
      const key = await generateKeyPair('Ed25519')
      const node = await createNodePeer({ privateKey: key })
      const exchange = await BlockExchange.start(node, new MemoryBlockstore())
      nodes.push(node)
      exchanges.push(exchange)
      await node.dial(multiaddr(server.getMultiaddrs()[0]!.toString()))
      return { node, exchange, key, id: node.peerId.toString() }
    },
    async work(v, serveCheckpoints = true) {
      const reply = await callWork(v.node, server.peerId, { type: 'request', jobId: coordinator.job.id, backend: 'wasm' })
      if (reply.type !== 'unit') throw new Error(`expected a unit, got ${JSON.stringify(reply)}`)
      const unit = reply.unit
      const data = quadraticData(unit)
      const output = await runUnit({
        unit, start: new Float32Array(DIM), layout: LAYOUT, totalSamples: data.count, makeBatch: data.makeBatch, engine: new QuadraticEngine(), flopsPerStep: 1,
        // Not serving: the CID of a block nobody stores, so a fetch waits for the volunteer until it leaves.
        commit: async (values) => {
          if (serveCheckpoints) return putChunked(v.exchange, 'checkpoint', float32Bytes(values))
          // The blocks a real put would store, kept aside: their CIDs are what the volunteer commits to.
          const blocks: Uint8Array[] = []
          const aside = { put: async (block: Uint8Array) => (blocks.push(block.slice()), cidOf(block)) } as unknown as BlockExchange
          const cid = await putChunked(aside, 'checkpoint', float32Bytes(values))
          heldBack.set(v.id, [...(heldBack.get(v.id) ?? []), ...blocks])
          return cid
        },
      })
      return { ...output.result, deltaCid: await putChunked(v.exchange, 'delta', encodeDelta(output.delta)) }
    },
    async serveHeldCheckpoints(v) {
      for (const block of heldBack.get(v.id) ?? []) await v.exchange.put(block)
      heldBack.delete(v.id)
    },
    sign: async (key, result) => toHex(await key.sign(resultSigningBytes(result))),
    stopHost,
    async stop() {
      await stopHost()
      for (const e of exchanges) await e.stop()
      for (const n of nodes) await n.stop()
    },
  }
}
