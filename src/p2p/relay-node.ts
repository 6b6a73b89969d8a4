// The relay: a Node libp2p peer that browsers reach over WebSockets. It reserves circuit-relay-v2 slots so
// browsers can exchange WebRTC SDP through it, and it is a gossipsub hub for the swarm's topics. It never
// relays training traffic: relayed connections are capped to signalling-sized limits. Everything a stranger
// can make it hold is bounded (relay-limits.ts), and peers whose gossip score falls below the graylist
// threshold are disconnected and refused for a while.
import { createLibp2p, type Libp2p } from 'libp2p'
import type { PrivateKey } from '@libp2p/interface'
import type { ServerOptions as HttpsServerOptions } from 'node:https'
import { webSockets } from '@libp2p/websockets'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { commonServices, connectionEncrypters, SIGNALLING_MUXER, streamMuxers } from './node-services.ts'
import { installTopicValidators } from './gossip-validators.ts'
import { DEFAULT_RELAY_LIMITS, relayGater, type RelayLimits } from './relay-limits.ts'
import { ALL_TOPICS } from './topics.ts'

export interface RelayOptions {
  /** A WebSocket listener on host:port (0 picks a free port), unless `listen` says otherwise. */
  host?: string
  port?: number
  /** Multiaddrs to listen on instead of host/port, e.g. /ip4/0.0.0.0/tcp/443/tls/ws (needs `tls`). */
  listen?: string[]
  /** Public multiaddrs to hand out instead of the listen addresses (a DNS name behind a TLS terminator). */
  announce?: string[]
  /** The relay's identity: keep it, or every config.json naming /p2p/<id> goes stale on restart. */
  privateKey?: PrivateKey
  /** Certificate and key for /tls/ws listen addresses, so browsers on https pages can dial wss://. */
  tls?: Pick<HttpsServerOptions, 'cert' | 'key'>
  limits?: Partial<RelayLimits>
  log?: (line: string) => void
}

export async function createRelayNode(options: RelayOptions) {
  const limits: RelayLimits = { ...DEFAULT_RELAY_LIMITS, ...options.limits }
  const shedding = relayGater(limits, options.log ?? (() => {}))
  const node = await createLibp2p({
    ...(options.privateKey ? { privateKey: options.privateKey } : {}),
    addresses: {
      listen: options.listen ?? [`/ip4/${options.host ?? '127.0.0.1'}/tcp/${options.port ?? 0}/ws`],
      ...(options.announce ? { announce: options.announce } : {}),
    },
    transports: [webSockets(options.tls ? { https: options.tls } : {})],
    connectionEncrypters: connectionEncrypters(),
    streamMuxers: streamMuxers(SIGNALLING_MUXER),
    connectionGater: shedding.gater,
    connectionManager: {
      maxConnections: limits.maxConnections,
      maxIncomingPendingConnections: limits.maxPendingConnections,
      inboundConnectionThreshold: limits.newConnectionsPerIpPerSecond,
    },
    services: {
      ...commonServices({ floodPublish: true }),
      relay: circuitRelayServer({
        reservations: {
          maxReservations: limits.maxReservations,
          applyDefaultLimit: true,
          defaultDurationLimit: limits.relayedConnectionMs,
          defaultDataLimit: BigInt(limits.relayedConnectionBytes),
        },
      }),
    },
  })
  shedding.attach(node)
  installTopicValidators(node.services.pubsub)
  for (const topic of ALL_TOPICS) node.services.pubsub.subscribe(topic)
  return node
}

export type RelayNode = Awaited<ReturnType<typeof createRelayNode>>

export function relayAddrs(node: Libp2p): string[] {
  return node.getMultiaddrs().map((ma) => ma.toString())
}
