// The coordinator's host over real libp2p between Node peers: a volunteer whose connection closes loses its
// unit to the next peer at once, and submissions the host refuses before they reach the coordinator (a
// forged signature, a delta that does not decode) open the unit to others and cost the sender.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { createNodePeer, type NodePeer } from '../p2p/node-peer.ts'
import { BlockExchange } from '../p2p/block-exchange.ts'
import { callWork } from '../p2p/work-protocol.ts'
import { putChunked } from '../p2p/chunked.ts'
import { toHex } from '../hex.ts'
import { Coordinator } from '../training/coordinator.ts'
import { MemoryCheckpointStore } from '../training/memory-checkpoints.ts'
import { quadraticReferee } from '../training/testing/coordinator-harness.ts'
import { MemoryLogStore, MemoryVectorStore } from '../training/testing/memory-stores.ts'
import { testJob } from '../training/testing/job-fixture.ts'
import { resultSigningBytes, type UnitAssignment, type UnitResult } from '../training/unit.ts'
import { CoordinatorHost } from './coordinator-host.ts'

const DIM = 16

describe('coordinator host over libp2p', () => {
  const peers: NodePeer[] = []
  const exchanges: BlockExchange[] = []
  let server: NodePeer
  let host: CoordinatorHost
  let coordinator: Coordinator

  async function volunteer(): Promise<{ node: NodePeer; exchange: BlockExchange; key: PrivateKey }> {
    const key = await generateKeyPair('Ed25519')
    const node = await createNodePeer({ privateKey: key })
    const exchange = await BlockExchange.start(node, new MemoryBlockstore())
    peers.push(node)
    exchanges.push(exchange)
    await node.dial(multiaddr(server.getMultiaddrs()[0]!.toString()))
    return { node, exchange, key }
  }

  async function unitFor(node: NodePeer): Promise<UnitAssignment> {
    const reply = await callWork(node, server.peerId, { type: 'request', jobId: coordinator.job.id, backend: 'wasm' })
    if (reply.type !== 'unit') throw new Error(`expected a unit, got ${JSON.stringify(reply)}`)
    return reply.unit
  }

  const holderOf = (unitId: string, peer: string) => coordinator.view.current.units.find((u) => u.id === unitId)?.holders.find((h) => h.peer === peer)

  beforeAll(async () => {
    server = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
    peers.push(server)
    const exchange = await BlockExchange.start(server, new MemoryBlockstore())
    exchanges.push(exchange)
    const job = testJob({ coordinator: server.peerId.toString(), unitsPerRound: 3, auditRate: 0 })
    coordinator = await Coordinator.open({ job, dim: DIM, initialParams: () => new Float32Array(DIM), flopsPerStep: 1, vectors: new MemoryVectorStore(), checkpoints: new MemoryCheckpointStore(), log: new MemoryLogStore(), referee: quadraticReferee() })
    host = await CoordinatorHost.start({ node: server, exchange, coordinator, dim: DIM, announceEveryMs: 60_000, tickEveryMs: 60_000 })
  }, 30_000)

  afterAll(async () => {
    await host.stop()
    for (const e of exchanges) await e.stop()
    for (const p of peers) await p.stop()
  })

  it('releases a volunteer\'s unit the moment its connection closes, and gives it to the next peer', async () => {
    const leaver = await volunteer()
    const unit = await unitFor(leaver.node)
    const id = leaver.node.peerId.toString()
    expect(holderOf(unit.unitId, id)?.status).toBe('assigned')
    await leaver.node.stop()
    await expect.poll(() => holderOf(unit.unitId, id)?.status, { timeout: 5000 }).toBe('released')
    expect(coordinator.view.peers[id]?.left).toBe(true)
    const next = await volunteer()
    expect((await unitFor(next.node)).unitId).toBe(unit.unitId)
  })

  it('refuses a forged signature and an undecodable delta, reopening the unit and costing the sender', async () => {
    const cheat = await volunteer()
    const id = cheat.node.peerId.toString()
    const unit = await unitFor(cheat.node)
    const deltaCid = await putChunked(cheat.exchange, 'delta', new Uint8Array(20))
    const result: UnitResult = {
      unitId: unit.unitId, jobId: unit.jobId, round: unit.round, version: unit.version, deltaCid, deltaBytes: 20, lossBefore: 1, lossAfter: 0.5,
      samples: unit.batchSize * unit.innerSteps, flops: 1, trajectoryHash: 'ab', checkpoints: [], segmentLosses: [1], backend: 'wasm', elapsedMs: 1,
    }
    const forged = await callWork(cheat.node, server.peerId, { type: 'submit', result, signature: '00'.repeat(64) })
    expect(forged).toMatchObject({ type: 'ack', accepted: false, verdict: { code: 'BAD_SIGNATURE' } })
    expect(holderOf(unit.unitId, id)?.status).toBe('rejected')
    const again = await unitFor(cheat.node)
    expect(again.unitId).not.toBe(unit.unitId)
    const garbled = { ...result, unitId: again.unitId }
    const signature = toHex(await cheat.key.sign(resultSigningBytes(garbled)))
    const refused = await callWork(cheat.node, server.peerId, { type: 'submit', result: garbled, signature })
    expect(refused).toMatchObject({ type: 'ack', accepted: false, verdict: { code: 'MALFORMED_DELTA' } })
    expect(coordinator.view.peers[id]!.reputation).toBeLessThan(0.35)
    expect(coordinator.view.peers[id]!.banned).toBe(true)
  })
})
