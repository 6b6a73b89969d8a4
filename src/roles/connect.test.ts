// Reaching a coordinator with real libp2p nodes over loopback WebSockets.
import { afterEach, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { createNodePeer, type NodePeer } from '../p2p/node-peer.ts'
import { awaitCoordinator } from './connect.ts'

const nodes: NodePeer[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()))
})

describe('awaitCoordinator', () => {
  it("skips addresses this peer may not dial, so the swarm's own dial to the coordinator is not dragged down with them", async () => {
    const coordinator = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
    nodes.push(coordinator)
    const announced = coordinator.getMultiaddrs()[0]!
    // A tab: it may not open the coordinator's own WebSocket, but it reaches the coordinator another way (over
    // WebRTC through the relay in the app; here the same listener by another name).
    const volunteer = await createNodePeer({ dialAllowed: (addr) => !addr.toString().startsWith('/ip4/127.0.0.1/') })
    nodes.push(volunteer)
    const logs: string[] = []
    const waiting = awaitCoordinator(volunteer, coordinator.peerId, [announced.toString()], 10_000, (line) => logs.push(line))
    const port = announced.toString().split('/')[4]
    const reachable = multiaddr(`/dns4/localhost/tcp/${port}/ws/p2p/${coordinator.peerId.toString()}`)
    // libp2p folds a second dial to the same peer into the first: had the refused address been dialled, this
    // dial would fail with it ("the connection gater denied all addresses").
    await volunteer.dial(reachable)
    await waiting
    expect(logs).toEqual([`not dialling the coordinator at ${announced.toString()}: this peer may not open it (a tab reaches a Node coordinator over WebRTC)`])
  })

  it('dials the announced addresses it may use', async () => {
    const coordinator = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
    nodes.push(coordinator)
    const volunteer = await createNodePeer()
    nodes.push(volunteer)
    await awaitCoordinator(volunteer, coordinator.peerId, coordinator.getMultiaddrs().map(String), 5_000)
    expect(volunteer.getConnections(coordinator.peerId)).toHaveLength(1)
  })

  it('says the coordinator is unreachable when nothing connects it in time', async () => {
    const coordinator = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
    nodes.push(coordinator)
    const volunteer = await createNodePeer({ dialAllowed: () => false })
    nodes.push(volunteer)
    await expect(awaitCoordinator(volunteer, coordinator.peerId, coordinator.getMultiaddrs().map(String), 300)).rejects.toThrow(/could not be reached within 0.3 s/)
  })
})
