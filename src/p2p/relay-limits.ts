// What one relay will take from the open internet, and the connection gater that enforces it: connections
// and circuit-relay reservations per IP address and in total, and a ban on peers whose gossip score fell
// below the graylist threshold (the relay hangs up on them and refuses them until the ban ends).
import type { ConnectionGater, Libp2p, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { GossipSub } from '@libp2p/gossipsub'
import type { RelayReservation } from '@libp2p/circuit-relay-v2'
import { peerScore, SCORE_THRESHOLDS } from './gossip-scoring.ts'
import { errorMessage } from '../errors.ts'

export interface RelayLimits {
  /** Open connections in total; past it libp2p prunes the least valuable. */
  maxConnections: number
  /** Open connections from one IP address. Generous: a school or office puts every tab behind one. */
  maxConnectionsPerIp: number
  /** Connections still in their handshake, in total. */
  maxPendingConnections: number
  /** New connections per second from one IP address. */
  newConnectionsPerIpPerSecond: number
  /** Circuit-relay reservations (tabs reachable through us), in total and per IP address. */
  maxReservations: number
  maxReservationsPerIp: number
  /** Each relayed connection (WebRTC signalling only) ends after this long or this many bytes. */
  relayedConnectionMs: number
  relayedConnectionBytes: number
  /** How long a graylisted peer stays disconnected and refused. */
  banMs: number
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxConnections: 1024,
  maxConnectionsPerIp: 64,
  maxPendingConnections: 64,
  newConnectionsPerIpPerSecond: 5,
  maxReservations: 1024,
  maxReservationsPerIp: 64,
  relayedConnectionMs: 2 * 60_000,
  relayedConnectionBytes: 1 << 20,
  banMs: 10 * 60_000,
}

/** Bans remembered at once; beyond it the oldest ban is lifted early. */
const MAX_BANS = 10_000

export function ipOf(addr: Multiaddr): string | null {
  return addr.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value ?? null
}

interface GatedNode {
  getConnections: Libp2p['getConnections']
  hangUp: Libp2p['hangUp']
  addEventListener(type: 'peer:disconnect', listener: (event: CustomEvent<PeerId>) => void): void
  services: { pubsub: GossipSub; relay: { reservations: { values(): Iterable<RelayReservation>; get(peer: PeerId): RelayReservation | undefined; delete(peer: PeerId): unknown } } }
}

/**
 * The gater needs the node it guards, which needs the gater to be created: `attach` closes the loop once
 * the node exists, and starts shedding graylisted peers at every gossipsub heartbeat.
 */
export function relayGater(limits: RelayLimits, log: (line: string) => void, now: () => number = Date.now) {
  const bannedUntil = new Map<string, number>()
  let node: GatedNode | null = null

  const banned = (peer: PeerId) => {
    const until = bannedUntil.get(peer.toString())
    if (until === undefined) return false
    if (until > now()) return true
    bannedUntil.delete(peer.toString())
    return false
  }
  const connectionsFrom = (ip: string) => node?.getConnections().filter((c) => ipOf(c.remoteAddr) === ip).length ?? 0

  const gater: ConnectionGater = {
    denyInboundConnection: (maConn: MultiaddrConnection) => {
      const ip = ipOf(maConn.remoteAddr)
      return ip !== null && connectionsFrom(ip) >= limits.maxConnectionsPerIp
    },
    denyInboundEncryptedConnection: (peer: PeerId) => banned(peer),
    denyDialPeer: (peer: PeerId) => banned(peer),
    denyInboundRelayReservation: (peer: PeerId) => {
      if (node === null || banned(peer)) return true
      const ips = new Set(node.getConnections(peer).map((c) => ipOf(c.remoteAddr)))
      let sameIp = 0
      for (const reservation of node.services.relay.reservations.values()) if (ips.has(ipOf(reservation.addr))) sameIp++
      return sameIp >= limits.maxReservationsPerIp
    },
  }

  function shedGraylisted(): void {
    if (node === null) return
    const pubsub = node.services.pubsub
    for (const connection of node.getConnections()) {
      const peer = connection.remotePeer
      const score = peerScore(pubsub, peer.toString())
      if (score >= SCORE_THRESHOLDS.graylistThreshold) continue
      if (bannedUntil.size >= MAX_BANS) bannedUntil.delete(bannedUntil.keys().next().value!)
      bannedUntil.set(peer.toString(), now() + limits.banMs)
      log(`hung up on ${peer.toString()}: gossip score ${score.toFixed(0)} is below the graylist threshold; refused for ${limits.banMs / 1000} s`)
      node.hangUp(peer).catch((error: unknown) => log(`hanging up on ${peer.toString()} failed: ${errorMessage(error)}`))
    }
  }

  return {
    gater,
    attach(guarded: GatedNode): void {
      node = guarded
      guarded.services.pubsub.addEventListener('gossipsub:heartbeat', shedGraylisted)
      // libp2p's relay keeps a reservation for its whole TTL (2 h) after its peer hangs up, though nobody can
      // reach a peer through us once it is gone. Kept, the reservations of closed tabs filled their IP
      // address's quota (a school behind one address, or a stranger reserving and leaving in a loop) and the
      // relay refused live tabs with NO_RESERVATION: a reservation ends with its peer's last connection.
      guarded.addEventListener('peer:disconnect', ({ detail: peer }) => {
        const reservations = guarded.services.relay.reservations
        reservations.get(peer)?.signal.clear()
        reservations.delete(peer)
      })
    },
    isBanned: banned,
  }
}
