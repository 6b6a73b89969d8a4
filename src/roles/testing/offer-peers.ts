// Two real libp2p peers for tests of a coordinator host's offers: the coordinator's server (listening on
// loopback WebSockets) and a contributor dialled to it, each with a block exchange over memory.
import { MemoryBlockstore } from 'blockstore-core/memory'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createNodePeer } from '../../p2p/node-peer.ts'
import { BlockExchange } from '../../p2p/block-exchange.ts'

export async function startOfferPeers() {
  const key = await generateKeyPair('Ed25519')
  const server = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
  const contributor = await createNodePeer({ privateKey: key })
  const exchanges = [await BlockExchange.start(server, new MemoryBlockstore()), await BlockExchange.start(contributor, new MemoryBlockstore())]
  await contributor.dial(multiaddr(server.getMultiaddrs()[0]!.toString()))
  return {
    key,
    server,
    contributor,
    /** The contributor's peer id: the owner its offers name. */
    owner: contributor.peerId.toString(),
    exchanges,
    async stop() {
      for (const e of exchanges) await e.stop()
      await contributor.stop()
      await server.stop()
    },
  }
}

export type OfferPeers = Awaited<ReturnType<typeof startOfferPeers>>
