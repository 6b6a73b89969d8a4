// The swarm as one tab sees it: peers heard on gossip (with their backend) merged with the connections we
// actually hold to them. Pure data, so expiry and the "should I dial?" rule are unit-tested without libp2p.
import type { Backend, Presence, StageOffer } from './presence.ts'
import type { TransportKind } from './transport-kind.ts'

export interface PeerView {
  peerId: string
  backend: Backend | null
  /** Transports of the open connections to this peer, e.g. ['webrtc'] once the direct link is up. */
  transports: TransportKind[]
  lastHeardMs: number | null
  addrs: string[]
  /** The pipeline stages it says it serves (none for most peers). */
  stages: StageOffer[]
}

export const PRESENCE_TTL_MS = 30_000

export interface ConnectionView {
  peerId: string
  transport: TransportKind
}

export function buildPeerTable(
  heard: ReadonlyMap<string, { presence: Presence; receivedAtMs: number }>,
  connections: readonly ConnectionView[],
  excludedPeerIds: ReadonlySet<string>,
  nowMs: number,
): PeerView[] {
  const peers = new Map<string, PeerView>()
  for (const [peerId, { presence, receivedAtMs }] of heard) {
    if (nowMs - receivedAtMs > PRESENCE_TTL_MS || excludedPeerIds.has(peerId)) continue
    peers.set(peerId, { peerId, backend: presence.backend, transports: [], lastHeardMs: receivedAtMs, addrs: presence.addrs, stages: presence.stages ?? [] })
  }
  for (const { peerId, transport } of connections) {
    if (excludedPeerIds.has(peerId)) continue
    const view = peers.get(peerId) ?? { peerId, backend: null, transports: [], lastHeardMs: null, addrs: [], stages: [] }
    if (!view.transports.includes(transport)) view.transports.push(transport)
    peers.set(peerId, view)
  }
  return [...peers.values()].sort((a, b) => a.peerId.localeCompare(b.peerId))
}

/** Transports that already carry training traffic: with one of these open, a WebRTC dial adds nothing. */
const DIRECT: readonly TransportKind[] = ['webrtc', 'webrtc-direct', 'websockets', 'tcp']

/**
 * Only one side of a pair dials (the lexically smaller id) so two tabs that hear each other at once do not
 * race two WebRTC handshakes; the other side waits for the incoming connection. A peer already reached
 * directly (a Node coordinator over WebSockets) is not dialled again over WebRTC.
 */
export function shouldDial(selfId: string, peer: PeerView): boolean {
  return selfId < peer.peerId && !peer.transports.some((t) => DIRECT.includes(t)) && peer.addrs.some((a) => a.split('/').includes('webrtc'))
}
