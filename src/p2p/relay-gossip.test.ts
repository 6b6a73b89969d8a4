// Real libp2p nodes over real WebSockets on loopback: the relay forwards valid presence announcements and
// drops malformed or impersonating ones before they reach anyone else.
import { afterEach, describe, expect, it } from 'vitest'
import { createLibp2p } from 'libp2p'
import { webSockets } from '@libp2p/websockets'
import type { Message } from '@libp2p/gossipsub'
import { createRelayNode, relayAddrs } from './relay-node.ts'
import { createNodePeer } from './node-peer.ts'
import { commonServices, connectionEncrypters, streamMuxers } from './node-services.ts'
import { decodePresence, encodePresence } from './presence.ts'
import { TOPIC_PRESENCE } from './topics.ts'
import { multiaddr } from '@multiformats/multiaddr'

const stops: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for condition')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('relay gossip hub', () => {
  it('forwards valid presence and rejects malformed or impersonating announcements', async () => {
    const relay = await createRelayNode({ host: '127.0.0.1', port: 0 })
    stops.push(() => relay.stop())
    const honest = await createNodePeer()
    stops.push(() => honest.stop())
    // The hostile peer has no validators of its own, so it publishes whatever it likes.
    const hostile = await createLibp2p({ transports: [webSockets()], connectionEncrypters: connectionEncrypters(), streamMuxers: streamMuxers(), services: commonServices({ floodPublish: true }) })
    stops.push(() => hostile.stop())

    const received: Message[] = []
    honest.services.pubsub.addEventListener('message', (event) => received.push(event.detail))
    for (const peer of [honest, hostile]) {
      peer.services.pubsub.subscribe(TOPIC_PRESENCE)
      await peer.dial(multiaddr(relayAddrs(relay)[0]!))
    }
    await until(() => relay.services.pubsub.getSubscribers(TOPIC_PRESENCE).length === 2)
    // The relay forwards only to peers in its mesh; on a loaded machine the graft can come after the subscription.
    // (getMeshPeers is on the implementation, not on the GossipSub interface the node is typed with.)
    const mesh = relay.services.pubsub as unknown as { getMeshPeers(topic: string): string[] }
    await until(() => mesh.getMeshPeers(TOPIC_PRESENCE).includes(honest.peerId.toString()))

    const hostileId = hostile.peerId.toString()
    const publish = (data: Uint8Array) => hostile.services.pubsub.publish(TOPIC_PRESENCE, data)
    await publish(new TextEncoder().encode('{"not":"presence"'))
    await publish(encodePresence({ peerId: honest.peerId.toString(), addrs: [], backend: 'wasm', sentAtMs: 1 }))
    await publish(encodePresence({ peerId: hostileId, addrs: [], backend: 'webgpu', sentAtMs: 2 }))

    await until(() => received.length >= 1)
    await new Promise((r) => setTimeout(r, 500))
    expect(received).toHaveLength(1)
    const only = received[0]!
    expect(only.type === 'signed' && decodePresence(only.data, only.from.toString())).toMatchObject({ peerId: hostileId, backend: 'webgpu' })
  })

  it('keeps forwarding when many peers share one IP address, as tabs behind one NAT do', async () => {
    const relay = await createRelayNode({ host: '127.0.0.1', port: 0 })
    stops.push(() => relay.stop())
    // 16 peers on 127.0.0.1: past gossipsub's default colocation threshold of 10.
    const crowd = await Promise.all(Array.from({ length: 16 }, () => createNodePeer()))
    for (const peer of crowd) {
      stops.push(() => peer.stop())
      peer.services.pubsub.subscribe(TOPIC_PRESENCE)
      await peer.dial(multiaddr(relayAddrs(relay)[0]!))
      // The relay rate-limits new connections per address (a few per second).
      await new Promise((r) => setTimeout(r, 250))
    }
    await until(() => relay.services.pubsub.getSubscribers(TOPIC_PRESENCE).length === crowd.length)
    const [speaker, listener] = [crowd.at(-1)!, crowd.at(-2)!]
    const heard: Message[] = []
    listener.services.pubsub.addEventListener('message', (event) => heard.push(event.detail))
    await new Promise((r) => setTimeout(r, 1500))
    await speaker.services.pubsub.publish(TOPIC_PRESENCE, encodePresence({ peerId: speaker.peerId.toString(), addrs: [], backend: 'wasm', sentAtMs: 3 }))
    await until(() => heard.length >= 1)
    const message = heard[0]!
    expect(message.type === 'signed' && decodePresence(message.data, message.from.toString())).toMatchObject({ peerId: speaker.peerId.toString(), sentAtMs: 3 })
  }, 30_000)
})
