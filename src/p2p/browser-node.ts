// A browser tab's libp2p node: WebSockets to reach relays, circuit relay to be reachable through them, and
// WebRTC for direct tab-to-tab connections once SDP has been exchanged over the relay.
import type { PrivateKey } from '@libp2p/interface'
import { createNodePeer } from './node-peer.ts'

export interface BrowserNodeOptions {
  iceServers: RTCIceServer[]
  /** The tab's persistent identity (see peer-key.ts); a fresh one if absent. */
  privateKey?: PrivateKey
}

export function createBrowserNode(options: BrowserNodeOptions) {
  return createNodePeer({ privateKey: options.privateKey, webrtc: { iceServers: options.iceServers } })
}

export type BrowserNode = Awaited<ReturnType<typeof createBrowserNode>>
