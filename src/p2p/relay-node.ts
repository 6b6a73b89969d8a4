// The relay: a Node libp2p peer that browsers reach over WebSockets. It reserves circuit-relay-v2 slots so
// browsers can exchange WebRTC SDP through it, and it is a gossipsub hub for the swarm's topics. It never
// relays training traffic: relayed connections are capped to signalling-sized limits.
import { createLibp2p, type Libp2p } from 'libp2p'
import { webSockets } from '@libp2p/websockets'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { commonServices, connectionEncrypters, streamMuxers } from './node-services.ts'
import { installTopicValidators } from './gossip-validators.ts'
import { ALL_TOPICS } from './topics.ts'

export interface RelayOptions {
  host: string
  /** 0 picks a free port. */
  port: number
}

export async function createRelayNode(options: RelayOptions) {
  const node = await createLibp2p({
    addresses: { listen: [`/ip4/${options.host}/tcp/${options.port}/ws`] },
    transports: [webSockets()],
    connectionEncrypters: connectionEncrypters(),
    streamMuxers: streamMuxers(),
    connectionManager: { maxConnections: 2048 },
    services: {
      ...commonServices({ floodPublish: true }),
      relay: circuitRelayServer({
        reservations: {
          maxReservations: 1024,
          applyDefaultLimit: true,
          defaultDurationLimit: 2 * 60_000,
          defaultDataLimit: BigInt(1 << 20),
        },
      }),
    },
  })
  installTopicValidators(node.services.pubsub)
  for (const topic of ALL_TOPICS) node.services.pubsub.subscribe(topic)
  return node
}

export type RelayNode = Awaited<ReturnType<typeof createRelayNode>>

export function relayAddrs(node: Libp2p): string[] {
  return node.getMultiaddrs().map((ma) => ma.toString())
}
