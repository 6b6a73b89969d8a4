// A browser tab's libp2p node: WebSockets to reach relays, circuit relay to be reachable through them, and
// WebRTC for direct tab-to-tab connections once SDP has been exchanged over the relay.
import { createLibp2p } from 'libp2p'
import type { PrivateKey } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { webRTC } from '@libp2p/webrtc'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { commonServices, connectionEncrypters, streamMuxers } from './node-services.ts'
import { installTopicValidators } from './gossip-validators.ts'

export interface BrowserNodeOptions {
  iceServers: string[]
  /** The tab's persistent identity (see peer-key.ts); a fresh one if absent. */
  privateKey?: PrivateKey
}

export async function createBrowserNode(options: BrowserNodeOptions) {
  const node = await createLibp2p({
    ...(options.privateKey ? { privateKey: options.privateKey } : {}),
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [
      webSockets(),
      webRTC({ rtcConfiguration: { iceServers: options.iceServers.map((urls) => ({ urls })) } }),
      circuitRelayTransport(),
    ],
    connectionEncrypters: connectionEncrypters(),
    streamMuxers: streamMuxers(),
    // The default gater refuses private and loopback addresses in browsers; our relay is configured by the
    // server that served the page, so whatever it names is where we are meant to go.
    connectionGater: { denyDialMultiaddr: () => false },
    services: commonServices({ floodPublish: true }),
  })
  installTopicValidators(node.services.pubsub)
  return node
}

export type BrowserNode = Awaited<ReturnType<typeof createBrowserNode>>
