// A headless Node peer (volunteer or coordinator without a browser): WebSockets/TCP-style transport to the
// relay, and the same services and gossip validation as a browser tab.
import { createLibp2p } from 'libp2p'
import { webSockets } from '@libp2p/websockets'
import { commonServices, connectionEncrypters, streamMuxers } from './node-services.ts'
import { installTopicValidators } from './gossip-validators.ts'

export async function createNodePeer() {
  const node = await createLibp2p({
    transports: [webSockets()],
    connectionEncrypters: connectionEncrypters(),
    streamMuxers: streamMuxers(),
    services: commonServices({ floodPublish: true }),
  })
  installTopicValidators(node.services.pubsub)
  return node
}

export type NodePeer = Awaited<ReturnType<typeof createNodePeer>>
