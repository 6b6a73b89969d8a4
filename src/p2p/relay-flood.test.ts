// A hostile peer floods the relay over real WebSockets on loopback while honest peers keep talking. Measured,
// not assumed: its gossip score falls below the graylist threshold, the relay hangs up and refuses it, and
// none of its messages (not even a valid one) reaches anyone, while honest presence keeps arriving.
import { afterEach, describe, expect, it } from 'vitest'
import { createLibp2p } from 'libp2p'
import { webSockets } from '@libp2p/websockets'
import type { Message } from '@libp2p/gossipsub'
import { multiaddr } from '@multiformats/multiaddr'
import { createRelayNode, relayAddrs, type RelayNode } from './relay-node.ts'
import { createNodePeer, type NodePeer } from './node-peer.ts'
import { commonServices, connectionEncrypters, streamMuxers } from './node-services.ts'
import { MAX_GOSSIP_FRAME_BYTES, peerScore, SCORE_THRESHOLDS } from './gossip-scoring.ts'
import { encodePresence } from './presence.ts'
import { TOPIC_PRESENCE } from './topics.ts'

const stops: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(50)
  }
}

/** A peer with our gossipsub settings but no validators or self-restraint: it publishes whatever it likes. */
async function hostilePeer() {
  const node = await createLibp2p({ transports: [webSockets()], connectionEncrypters: connectionEncrypters(), streamMuxers: streamMuxers(), services: commonServices({ floodPublish: true }) })
  stops.push(() => node.stop())
  return node
}

async function honestPeer(): Promise<NodePeer> {
  const node = await createNodePeer()
  stops.push(() => node.stop())
  return node
}

/** The relay, an honest speaker, an honest listener and a hostile peer, all subscribed to presence. */
async function swarmWithHostile() {
  const relay: RelayNode = await createRelayNode({ host: '127.0.0.1', port: 0 })
  stops.push(() => relay.stop())
  const [speaker, listener, hostile] = [await honestPeer(), await honestPeer(), await hostilePeer()]
  const heard: Message[] = []
  listener.services.pubsub.addEventListener('message', (event) => heard.push(event.detail))
  for (const peer of [speaker, listener, hostile]) {
    peer.services.pubsub.subscribe(TOPIC_PRESENCE)
    await peer.dial(multiaddr(relayAddrs(relay)[0]!))
  }
  await until(() => relay.services.pubsub.getSubscribers(TOPIC_PRESENCE).length === 3, 'the relay sees three subscribers')
  const heardFrom = (peer: { peerId: { toString(): string } }) => heard.filter((m) => m.type === 'signed' && m.from.toString() === peer.peerId.toString()).length
  const presence = (peer: { peerId: { toString(): string } }, sentAtMs: number) => encodePresence({ peerId: peer.peerId.toString(), addrs: [], backend: 'wasm', sentAtMs })
  /** Both publish a valid announcement: the speaker's must arrive, the hostile peer's must not. */
  const expectOnlyHonestHeard = async () => {
    await hostile.services.pubsub.publish(TOPIC_PRESENCE, presence(hostile, 1))
    await speaker.services.pubsub.publish(TOPIC_PRESENCE, presence(speaker, 1))
    await until(() => heardFrom(speaker) === 1, 'the honest message arrives')
    await sleep(500)
    expect(heardFrom(hostile)).toBe(0)
  }
  return { relay, speaker, listener, hostile, heardFrom, presence, expectOnlyHonestHeard }
}

/** The honest speaker announces itself every 400 ms (inside its rate) until stopped; returns how many it sent. */
function keepSpeaking(speaker: NodePeer, presence: (peer: NodePeer, at: number) => Uint8Array) {
  let sent = 0
  let stopped = false
  const done = (async () => {
    while (!stopped) {
      await speaker.services.pubsub.publish(TOPIC_PRESENCE, presence(speaker, ++sent))
      await sleep(400)
    }
    return sent
  })()
  return () => {
    stopped = true
    return done
  }
}

describe('relay under a gossip flood', () => {
  it('graylists, disconnects and refuses a peer sending garbage, while honest gossip keeps flowing', async () => {
    const { relay, speaker, hostile, heardFrom, presence } = await swarmWithHostile()
    const stopSpeaking = keepSpeaking(speaker, presence)
    const hostileId = hostile.peerId.toString()
    let lowestScore = 0
    const watch = setInterval(() => (lowestScore = Math.min(lowestScore, peerScore(relay.services.pubsub, hostileId))), 20)

    // The flood: 301 malformed messages (a valid one in the middle), then a 3.5 MB frame.
    for (let i = 0; i < 301; i++) {
      await hostile.services.pubsub.publish(TOPIC_PRESENCE, new TextEncoder().encode(`{"not":"presence ${i}"`))
      if (i === 150) await hostile.services.pubsub.publish(TOPIC_PRESENCE, presence(hostile, 1))
    }
    await hostile.services.pubsub.publish(TOPIC_PRESENCE, new Uint8Array(3_500_000).fill(0x41)).catch(() => undefined)
    await until(() => relay.getConnections(hostile.peerId).length === 0, 'the relay hangs up on the hostile peer')
    clearInterval(watch)
    expect(lowestScore).toBeLessThan(SCORE_THRESHOLDS.graylistThreshold)
    // Its score outlives the connection, and the relay refuses it for the ban's length.
    expect(peerScore(relay.services.pubsub, hostileId)).toBeLessThan(SCORE_THRESHOLDS.graylistThreshold)
    await until(() => hostile.getConnections().length === 0, 'the hostile peer sees the connection closed')
    // The dialler's side may finish its handshake first; the relay then refuses the encrypted connection.
    await hostile.dial(multiaddr(relayAddrs(relay)[0]!)).catch(() => undefined)
    await until(() => hostile.getConnections().length === 0, 'the relay refuses the hostile peer again')
    expect(relay.getConnections(hostile.peerId)).toHaveLength(0)

    const sent = await stopSpeaking()
    await until(() => heardFrom(speaker) >= sent, 'the listener hears every honest announcement')
    expect(heardFrom(hostile)).toBe(0)
  }, 60_000)

  it('drops a valid message from a graylisted peer', async () => {
    const { relay, hostile, expectOnlyHonestHeard } = await swarmWithHostile()
    const hostileId = hostile.peerId.toString()
    // Four rejections outweigh any standing; the valid message right after them is not forwarded.
    for (let i = 0; i < 4; i++) await hostile.services.pubsub.publish(TOPIC_PRESENCE, new Uint8Array([i]))
    await until(() => peerScore(relay.services.pubsub, hostileId) < SCORE_THRESHOLDS.graylistThreshold, 'the hostile score falls below the graylist threshold')
    await expectOnlyHonestHeard()
  }, 60_000)

  it('stops reading a peer whose frame is larger than the largest valid one', async () => {
    const { relay, hostile, expectOnlyHonestHeard } = await swarmWithHostile()
    expect(MAX_GOSSIP_FRAME_BYTES).toBeLessThan(400 * 1024)
    await hostile.services.pubsub.publish(TOPIC_PRESENCE, new Uint8Array(MAX_GOSSIP_FRAME_BYTES + 1))
    await until(() => !relay.services.pubsub.getPeers().some((p) => p.equals(hostile.peerId)), 'the relay stops reading the hostile peer')
    await expectOnlyHonestHeard()
  }, 60_000)

  it('penalises a peer that floods valid messages past its rate, and forwards only its allowance', async () => {
    const { relay, speaker, hostile, heardFrom, presence } = await swarmWithHostile()
    const stopSpeaking = keepSpeaking(speaker, presence)
    for (let i = 0; i < 200; i++) await hostile.services.pubsub.publish(TOPIC_PRESENCE, presence(hostile, i))
    await until(() => relay.getConnections(hostile.peerId).length === 0, 'the relay hangs up on the flooding peer')
    // The burst allowance (10) and what refilled meanwhile went through; the other ~190 did not.
    expect(heardFrom(hostile)).toBeGreaterThan(0)
    expect(heardFrom(hostile)).toBeLessThanOrEqual(15)
    const sent = await stopSpeaking()
    await until(() => heardFrom(speaker) >= sent, 'the listener hears every honest announcement')
  }, 60_000)
})
