// Reaching a job's coordinator: a Node coordinator announces WebSocket addresses to dial directly; one in a
// tab is reached over WebRTC, which the swarm layer sets up from presence gossip (the peer with the smaller
// id dials, with a retry backoff), so callers that need the connection now can wait for it.
import type { Libp2p, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { errorMessage, TesseraeError } from '../errors.ts'

const direct = (node: Libp2p, peer: PeerId) => node.getConnections(peer).some((c) => c.limits === undefined)

export async function connectToCoordinator(node: Libp2p, peer: PeerId, addrs: string[], log?: (line: string) => void): Promise<void> {
  if (direct(node, peer)) return
  for (const addr of addrs) {
    try {
      await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(10_000) })
      return
    } catch (error) {
      log?.(`could not dial the coordinator at ${addr}: ${errorMessage(error)}`)
    }
  }
}

/** Like connectToCoordinator, then waits up to `timeoutMs` for the swarm to connect a tab coordinator. */
export async function awaitCoordinator(node: Libp2p, peer: PeerId, addrs: string[], timeoutMs: number, log?: (line: string) => void): Promise<void> {
  await connectToCoordinator(node, peer, addrs, log)
  const deadline = Date.now() + timeoutMs
  while (!direct(node, peer)) {
    if (Date.now() > deadline) throw new TesseraeError('COORDINATOR_UNREACHABLE', `the job's coordinator (${peer.toString().slice(0, 12)}…) could not be reached within ${timeoutMs / 1000} s; is its tab still open?`)
    await new Promise((r) => setTimeout(r, 500))
  }
}
