// A browser tab's libp2p node: WebSockets to reach relays, circuit relay to be reachable through them, and
// WebRTC for direct tab-to-tab connections once SDP has been exchanged over the relay.
import type { PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createNodePeer } from './node-peer.ts'
import { relayOrigin } from '../stack/page-headers.ts'

export interface BrowserNodeOptions {
  iceServers: RTCIceServer[]
  /** The deployment's relays: the only WebSocket origins the page's Content-Security-Policy lets it open. */
  relayAddrs: string[]
  /** The tab's persistent identity (see peer-key.ts); a fresh one if absent. */
  privateKey?: PrivateKey
}

/**
 * Whether the page may open a WebSocket for `addr`: only to its relays (circuit addresses through them
 * included), as the CSP's connect-src says. A Node coordinator's own WebSocket address is for Node peers;
 * a tab reaches it over WebRTC through the relay instead, so the dial is refused here, without a CSP report.
 */
export function webSocketDialAllowed(relayOrigins: ReadonlySet<string>, addr: Multiaddr): boolean {
  const text = addr.toString()
  const parts = text.split('/')
  if (!parts.includes('ws') && !parts.includes('wss')) return true
  try {
    return relayOrigins.has(relayOrigin(text))
  } catch {
    return false
  }
}

export function createBrowserNode(options: BrowserNodeOptions) {
  const relayOrigins = new Set(options.relayAddrs.map(relayOrigin))
  return createNodePeer({ privateKey: options.privateKey, webrtc: { iceServers: options.iceServers }, dialAllowed: (addr) => webSocketDialAllowed(relayOrigins, addr) })
}

export type BrowserNode = Awaited<ReturnType<typeof createBrowserNode>>
