// A headless peer without the WebRTC transport (a Node-only volunteer) hears tabs' presence like anyone, but
// must not dial their WebRTC addresses: every such dial fails ("no valid addresses"), and it retried and
// logged one per tab every 30 s for as long as it ran. Real relay and peers over loopback.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createRelayNode, relayAddrs } from './relay-node.ts'
import { createNodePeer } from './node-peer.ts'
import { Swarm } from './swarm.ts'

const stops: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
  vi.restoreAllMocks()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Whether a Node peer that can or cannot dial WebRTC tries to, once it has heard a WebRTC peer's addresses. */
async function dialAttempts(dialsWebRTC: boolean | undefined): Promise<string[]> {
  const warnings: string[] = []
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.join(' ')))
  const relay = await createRelayNode({ host: '127.0.0.1', port: 0 })
  stops.push(() => relay.stop())
  const relays = relayAddrs(relay)
  // Of two peers only the one with the lower id dials (peer-table.ts): make that the plain peer.
  const [low, high] = (await Promise.all([generateKeyPair('Ed25519'), generateKeyPair('Ed25519')])).sort((a, b) => (peerIdFromPrivateKey(a).toString() < peerIdFromPrivateKey(b).toString() ? -1 : 1))
  const tab = await Swarm.start({ node: await createNodePeer({ privateKey: high, webrtc: { iceServers: [] } }), relayAddrs: relays, iceServers: [], announceEveryMs: 500 })
  stops.push(() => tab.stop())
  const plain = await Swarm.start({ node: await createNodePeer({ privateKey: low }), relayAddrs: relays, iceServers: [], announceEveryMs: 500, ...(dialsWebRTC === undefined ? {} : { dialsWebRTC }) })
  stops.push(() => plain.stop())
  const tabId = tab.node.peerId.toString()
  const deadline = Date.now() + 15_000
  while (!plain.current.peers.some((p) => p.peerId === tabId && p.addrs.some((a) => a.includes('/webrtc'))) && Date.now() < deadline) await sleep(100)
  expect(plain.current.peers.some((p) => p.peerId === tabId), 'the plain peer heard the WebRTC peer').toBe(true)
  await sleep(3000)
  return warnings.filter((w) => w.includes(`WebRTC dial to ${tabId}`))
}

describe('WebRTC dials from a peer without WebRTC', () => {
  it('are not attempted when the swarm is told it cannot dial WebRTC', async () => {
    expect(await dialAttempts(false)).toEqual([])
  })

  it('fail and are logged when it is not told (the default, for tabs and WebRTC peers)', async () => {
    expect((await dialAttempts(undefined)).length).toBeGreaterThan(0)
  })
})
