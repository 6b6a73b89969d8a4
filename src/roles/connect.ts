// Reaching a job's coordinator: a Node coordinator announces WebSocket addresses to dial directly; one in a
// tab is reached over WebRTC, which the swarm layer sets up from presence gossip, so there is nothing to do.
import type { Libp2p, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { errorMessage } from '../errors.ts'

export async function connectToCoordinator(node: Libp2p, peer: PeerId, addrs: string[], log?: (line: string) => void): Promise<void> {
  if (node.getConnections(peer).some((c) => c.limits === undefined)) return
  for (const addr of addrs) {
    try {
      await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(10_000) })
      return
    } catch (error) {
      log?.(`could not dial the coordinator at ${addr}: ${errorMessage(error)}`)
    }
  }
}
