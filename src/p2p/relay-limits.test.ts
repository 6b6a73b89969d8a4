// The relay's per-address limits, on a real relay over loopback: every peer here comes from 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { createRelayNode, relayAddrs } from './relay-node.ts'
import { createNodePeer, type NodePeer } from './node-peer.ts'

const stops: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function peers(count: number, webrtc = false): Promise<NodePeer[]> {
  const made: NodePeer[] = []
  for (let i = 0; i < count; i++) {
    const peer = await createNodePeer(webrtc ? { webrtc: { iceServers: [] } } : {})
    stops.push(() => peer.stop())
    made.push(peer)
  }
  return made
}

describe('relay limits', () => {
  it('refuses connections from one IP address beyond its cap, and takes them again once one closes', async () => {
    const relay = await createRelayNode({ host: '127.0.0.1', port: 0, limits: { maxConnectionsPerIp: 2 } })
    stops.push(() => relay.stop())
    const addr = multiaddr(relayAddrs(relay)[0]!)
    const [a, b, c] = await peers(3)
    await a!.dial(addr)
    await b!.dial(addr)
    await c!.dial(addr).catch(() => undefined)
    await sleep(300)
    expect(relay.getConnections()).toHaveLength(2)
    expect(relay.getConnections(c!.peerId)).toHaveLength(0)
    await a!.hangUp(relay.peerId)
    await sleep(300)
    await c!.dial(addr)
    await sleep(300)
    expect(relay.getConnections(c!.peerId)).toHaveLength(1)
  })

  it('grants circuit-relay reservations per IP address only up to its cap', async () => {
    const relay = await createRelayNode({ host: '127.0.0.1', port: 0, limits: { maxReservationsPerIp: 1 } })
    stops.push(() => relay.stop())
    const addr = multiaddr(relayAddrs(relay)[0]!)
    const tabs = await peers(2, true)
    for (const tab of tabs) await tab.dial(addr)
    const reserved = () => tabs.filter((t) => t.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit'))).length
    const deadline = Date.now() + 10_000
    while (reserved() < 1 && Date.now() < deadline) await sleep(100)
    await sleep(1500)
    expect(reserved()).toBe(1)
    expect(relay.services.relay.reservations.size).toBe(1)
  })

  it('frees a reservation when its peer hangs up, so the quota counts only peers still reachable', async () => {
    const relay = await createRelayNode({ host: '127.0.0.1', port: 0, limits: { maxReservationsPerIp: 1 } })
    stops.push(() => relay.stop())
    const addr = multiaddr(relayAddrs(relay)[0]!)
    const reservedBy = async (tab: NodePeer) => {
      const deadline = Date.now() + 10_000
      while (!tab.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit')) && Date.now() < deadline) await sleep(100)
      return relay.services.relay.reservations.has(tab.peerId)
    }
    // Tabs opened and closed one after another from one address: each gets the one slot in turn.
    for (let i = 0; i < 3; i++) {
      const [tab] = await peers(1, true)
      await tab!.dial(addr)
      expect(await reservedBy(tab!), `tab ${i}`).toBe(true)
      await tab!.stop()
      const deadline = Date.now() + 5000
      while (relay.services.relay.reservations.size > 0 && Date.now() < deadline) await sleep(50)
      expect(relay.services.relay.reservations.size).toBe(0)
    }
  })
})
