// Every non-relay peer, tab or headless: WebSockets to the relay and, when asked, a WebSocket listener of its
// own (a Node coordinator); WebRTC (the browser's, or node-datachannel in Node) with circuit relay to be
// reachable and to reach tabs, which are only reachable that way. One factory, so tabs and headless peers
// cannot drift apart in services or gossip validation.
import { createLibp2p } from 'libp2p'
import type { PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { webSockets } from '@libp2p/websockets'
import { webRTC } from '@libp2p/webrtc'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { commonServices, connectionEncrypters, streamMuxers } from './node-services.ts'
import { installTopicValidators } from './gossip-validators.ts'

export interface NodePeerOptions {
  privateKey?: PrivateKey
  /** e.g. { host: '127.0.0.1', port: 0 } to accept WebSocket connections (a coordinator). */
  listenWs?: { host: string; port: number }
  /** Join the WebRTC mesh through the relay, like a tab. */
  webrtc?: { iceServers: RTCIceServer[] }
  /** Addresses this peer may dial (a tab: only what its page's CSP allows); every address when absent. */
  dialAllowed?: (addr: Multiaddr) => boolean
}

/** New inbound connections a second one host may open to a peer (a tab or a Node coordinator, volunteer, auditor). */
const INBOUND_PER_HOST_PER_SECOND = 50

export async function createNodePeer(options: NodePeerOptions = {}) {
  const listen: string[] = []
  if (options.listenWs) listen.push(`/ip4/${options.listenWs.host}/tcp/${options.listenWs.port}/ws`)
  if (options.webrtc) listen.push('/p2p-circuit', '/webrtc')
  const node = await createLibp2p({
    ...(options.privateKey ? { privateKey: options.privateKey } : {}),
    addresses: { listen },
    transports: [
      webSockets(),
      ...(options.webrtc ? [webRTC({ rtcConfiguration: { iceServers: options.webrtc.iceServers } }), circuitRelayTransport()] : []),
    ],
    connectionEncrypters: connectionEncrypters(),
    streamMuxers: streamMuxers(),
    // The default gater refuses private and loopback addresses in browsers; our relay is configured by the
    // server that served the page, so whatever it names is where we are meant to go.
    connectionGater: { denyDialMultiaddr: (addr) => !(options.dialAllowed?.(addr) ?? true) },
    // libp2p takes at most 5 new inbound connections a second from one host by default. A coordinator's
    // volunteers and auditors behind one NAT (or one machine) arrive together when a peer joins the swarm,
    // and the ones over the limit were dropped mid-handshake ("Unexpected EOF"). Relays keep their own limit.
    connectionManager: { inboundConnectionThreshold: INBOUND_PER_HOST_PER_SECOND },
    services: commonServices({ floodPublish: true }),
  })
  installTopicValidators(node.services.pubsub)
  return node
}

export type NodePeer = Awaited<ReturnType<typeof createNodePeer>>
