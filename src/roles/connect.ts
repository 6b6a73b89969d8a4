// Reaching a job's coordinator: a Node coordinator announces WebSocket addresses to dial directly; one in a
// tab is reached over WebRTC, which the swarm layer sets up from presence gossip (the peer with the smaller
// id dials, with a retry backoff), so callers that need the connection now wait for libp2p's connection event.
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { errorMessage, TesseraeError } from '../errors.ts'

const direct = (node: Libp2p, peer: PeerId) => node.getConnections(peer).some((c) => c.limits === undefined)

async function connectToCoordinator(node: Libp2p, peer: PeerId, addrs: string[], log?: (line: string) => void): Promise<void> {
  if (direct(node, peer)) return
  for (const addr of addrs) {
    try {
      const ma = multiaddr(addr)
      // A tab may not open a WebSocket to a Node coordinator (only to its relays). Dialling anyway is not just
      // wasted: libp2p merges every dial to one peer into the first, so the swarm's WebRTC dial to the same
      // coordinator joined this doomed one, failed with it ("the connection gater denied all addresses") and
      // backed off, and a first volunteer waited 10-20 s for its first unit instead of about one.
      if (!(await node.isDialable(ma))) {
        log?.(`not dialling the coordinator at ${addr}: this peer may not open it (a tab reaches a Node coordinator over WebRTC)`)
        continue
      }
      await node.dial(ma, { signal: AbortSignal.timeout(10_000) })
      return
    } catch (error) {
      log?.(`could not dial the coordinator at ${addr}: ${errorMessage(error)}`)
    }
  }
}

/** Dials the coordinator's announced addresses, then waits up to `timeoutMs` for the swarm to connect a tab coordinator. */
export async function awaitCoordinator(node: Libp2p, peer: PeerId, addrs: string[], timeoutMs: number, log?: (line: string) => void): Promise<void> {
  await connectToCoordinator(node, peer, addrs, log)
  if (direct(node, peer)) return
  await new Promise<void>((resolve, reject) => {
    const onOpen = (event: CustomEvent<Connection>) => {
      if (!event.detail.remotePeer.equals(peer) || event.detail.limits !== undefined) return
      done()
      resolve()
    }
    const timer = setTimeout(() => {
      done()
      reject(new TesseraeError('COORDINATOR_UNREACHABLE', `the job's coordinator (${peer.toString().slice(0, 12)}…) could not be reached within ${timeoutMs / 1000} s; is its tab still open?`))
    }, timeoutMs)
    const done = () => {
      clearTimeout(timer)
      node.removeEventListener('connection:open', onOpen)
    }
    node.addEventListener('connection:open', onOpen)
  })
}
