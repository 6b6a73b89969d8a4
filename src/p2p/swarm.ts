// A tab's membership in the swarm: dial the relays, announce presence on gossipsub, and upgrade to a direct
// WebRTC connection with every peer heard. Publishes immutable snapshots for the UI to render.
import { multiaddr } from '@multiformats/multiaddr'
import type { Message } from '@libp2p/gossipsub'
import { KEEP_ALIVE, type PrivateKey } from '@libp2p/interface'
import { createBrowserNode } from './browser-node.ts'
import type { NodePeer } from './node-peer.ts'
import { decodePresence, encodePresence, MAX_STAGE_OFFERS, type Backend, type Presence, type StageOffer } from './presence.ts'
import { buildPeerTable, shouldDial, type PeerView } from './peer-table.ts'
import { transportKind } from './transport-kind.ts'
import { TOPIC_PRESENCE } from './topics.ts'
import { errorMessage } from '../errors.ts'
import { backoffMs, type Backoff } from '../wait.ts'

export type RelayState = 'connecting' | 'connected' | 'failed'

export interface SwarmSnapshot {
  selfId: string
  relayState: RelayState
  relayError: string | null
  /** Our own dialable addresses (relay reservations), once the relay has granted one. */
  selfAddrs: string[]
  peers: PeerView[]
  gossipReceived: number
  gossipRejected: number
}

export interface SwarmOptions {
  relayAddrs: string[]
  iceServers: RTCIceServer[]
  privateKey?: PrivateKey
  /** An already created node (a headless Node peer); a browser node otherwise. */
  node?: NodePeer
  announceEveryMs?: number
  now?: () => number
  /**
   * Whether this node can open WebRTC connections (default true). A headless peer without the WebRTC
   * transport cannot, and dialling every tab it hears of would only fail, retry and log forever.
   */
  dialsWebRTC?: boolean
}

const DIAL_TIMEOUT_MS = 20_000
/**
 * A peer whose WebRTC dial failed is retried after 2 s, then 4, 8… up to 30 s: a gone tab's presence lingers
 * only until it expires (and its entry with it), while a live one that failed once must not wait minutes.
 */
const DIAL_BACKOFF: Backoff = { firstMs: 2_000, maxMs: 30_000 }
/** Presence goes out at most this often, however many neighbours subscribe at once: peers rate-limit it. */
const MIN_ANNOUNCE_GAP_MS = 1000

export class Swarm {
  readonly node: NodePeer
  private readonly relayAddrs: string[]
  private readonly relayIds: Set<string>
  private readonly heard = new Map<string, { presence: Presence; receivedAtMs: number }>()
  private readonly dialing = new Set<string>()
  /** When each peer may next be dialled after failed dials, and how many failed in a row. */
  private readonly failed = new Map<string, { count: number; retryAtMs: number }>()
  private readonly listeners = new Set<(s: SwarmSnapshot) => void>()
  private readonly now: () => number
  private readonly dialsWebRTC: boolean
  private backend: Backend = 'unknown'
  private stages: StageOffer[] = []
  private relayState: RelayState = 'connecting'
  private relayError: string | null = null
  private gossipReceived = 0
  private gossipRejected = 0
  private timer: ReturnType<typeof setInterval> | undefined
  private lastAnnounceMs = -Infinity
  private pendingAnnounce: ReturnType<typeof setTimeout> | undefined
  private snapshot: SwarmSnapshot

  private constructor(node: NodePeer, options: SwarmOptions) {
    this.node = node
    this.relayAddrs = options.relayAddrs
    this.relayIds = new Set(options.relayAddrs.map((a) => multiaddr(a).getComponents().findLast((c) => c.name === 'p2p')?.value ?? ''))
    this.now = options.now ?? Date.now
    this.dialsWebRTC = options.dialsWebRTC ?? true
    this.snapshot = this.computeSnapshot()
  }

  static async start(options: SwarmOptions): Promise<Swarm> {
    const node = options.node ?? (await createBrowserNode({ iceServers: options.iceServers, relayAddrs: options.relayAddrs, privateKey: options.privateKey }))
    const swarm = new Swarm(node, options)
    swarm.wire(options.announceEveryMs ?? 3000)
    void swarm.connectRelays()
    return swarm
  }

  get current(): SwarmSnapshot {
    return this.snapshot
  }

  subscribe(listener: (s: SwarmSnapshot) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  setBackend(backend: Backend): void {
    this.backend = backend
    void this.announce()
  }

  /** The pipeline stages this peer serves, announced with its presence (at most MAX_STAGE_OFFERS). */
  setStages(stages: readonly StageOffer[]): void {
    if (stages.length > MAX_STAGE_OFFERS) throw new RangeError(`a peer announces at most ${MAX_STAGE_OFFERS} stages, not ${stages.length}`)
    this.stages = [...stages]
    this.lastAnnounceMs = -Infinity
    void this.announce()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    clearTimeout(this.pendingAnnounce)
    this.listeners.clear()
    await this.node.stop()
  }

  private wire(announceEveryMs: number): void {
    const pubsub = this.node.services.pubsub
    pubsub.subscribe(TOPIC_PRESENCE)
    pubsub.addEventListener('message', (event) => this.onGossip(event.detail))
    // A newcomer subscribing is the moment it most needs to hear from us; do not make it wait a full period.
    pubsub.addEventListener('subscription-change', () => void this.announce())
    this.node.addEventListener('connection:open', () => this.refresh())
    this.node.addEventListener('connection:close', () => this.refresh())
    this.node.addEventListener('self:peer:update', () => {
      this.refresh()
      void this.announce()
    })
    this.timer = setInterval(() => {
      void this.announce()
      this.refresh()
    }, announceEveryMs)
  }

  private async connectRelays(): Promise<void> {
    const results = await Promise.allSettled(this.relayAddrs.map((addr) => this.node.dial(multiaddr(addr), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })))
    // A peer that loses its relay is unreachable for anyone new and hears no gossip through it, while its direct
    // links keep it looking healthy: libp2p's reconnect queue redials keep-alive peers when they drop.
    await Promise.allSettled(results.flatMap((r) => (r.status === 'fulfilled' ? [this.node.peerStore.merge(r.value.remotePeer, { tags: { [KEEP_ALIVE]: {} } })] : [])))
    const failure = results.find((r) => r.status === 'rejected')
    if (results.some((r) => r.status === 'fulfilled')) {
      this.relayState = 'connected'
    } else {
      this.relayState = 'failed'
      this.relayError = failure === undefined ? 'no relay is configured' : `could not reach the relay: ${errorMessage(failure.reason)}`
    }
    this.refresh()
  }

  private onGossip(message: Message): void {
    if (message.topic !== TOPIC_PRESENCE || message.type !== 'signed') return
    try {
      const presence = decodePresence(message.data, message.from.toString())
      this.gossipReceived++
      this.heard.set(presence.peerId, { presence, receivedAtMs: this.now() })
    } catch (error) {
      this.gossipRejected++
      console.warn(`Rejected gossip from ${message.from.toString()}: ${errorMessage(error)}`)
    }
    this.refresh()
  }

  private async announce(): Promise<void> {
    const waitMs = this.lastAnnounceMs + MIN_ANNOUNCE_GAP_MS - this.now()
    if (waitMs > 0) {
      this.pendingAnnounce ??= setTimeout(() => {
        this.pendingAnnounce = undefined
        void this.announce()
      }, waitMs)
      return
    }
    this.lastAnnounceMs = this.now()
    const addrs = this.webrtcAddrs().slice(0, 8)
    const presence: Presence = { peerId: this.node.peerId.toString(), addrs, backend: this.backend, sentAtMs: this.now() }
    if (this.stages.length > 0) presence.stages = this.stages
    try {
      await this.node.services.pubsub.publish(TOPIC_PRESENCE, encodePresence(presence))
    } catch (error) {
      // Publishing fails only while no peer is reachable yet; the next period retries.
      console.debug(`presence not published: ${errorMessage(error)}`)
    }
  }

  private selfAddrs(): string[] {
    return this.node.getMultiaddrs().map((ma) => ma.toString())
  }

  /** Where others can open a direct WebRTC connection to this peer (through a relay's circuit). */
  webrtcAddrs(): string[] {
    return this.selfAddrs().filter((a) => a.split('/').includes('webrtc'))
  }

  private refresh(): void {
    this.snapshot = this.computeSnapshot()
    const present = new Set(this.snapshot.peers.map((p) => p.peerId))
    for (const id of this.failed.keys()) if (!present.has(id)) this.failed.delete(id)
    for (const peer of this.snapshot.peers) {
      const backoff = this.now() < (this.failed.get(peer.peerId)?.retryAtMs ?? -Infinity)
      if (this.dialsWebRTC && shouldDial(this.snapshot.selfId, peer) && !this.dialing.has(peer.peerId) && !backoff) void this.dialDirect(peer)
    }
    for (const listener of this.listeners) listener(this.snapshot)
  }

  private async dialDirect(peer: PeerView): Promise<void> {
    const addr = peer.addrs.find((a) => a.split('/').includes('webrtc'))
    if (addr === undefined) return
    this.dialing.add(peer.peerId)
    try {
      const connection = await this.node.dial(multiaddr(addr), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      // libp2p hands back an open connection to the peer instead of dialling; counting that as success would
      // dial again on the refresh this triggers, and again, without end (a Node process at 100 % CPU whose
      // timers and block fetches then missed their deadlines).
      const kind = transportKind(connection.remoteAddr.toString())
      if (kind !== 'webrtc') throw new Error(`the dial returned the existing ${kind} connection`)
      this.failed.delete(peer.peerId)
    } catch (error) {
      const count = (this.failed.get(peer.peerId)?.count ?? 0) + 1
      const waitMs = backoffMs(count, DIAL_BACKOFF)
      this.failed.set(peer.peerId, { count, retryAtMs: this.now() + waitMs })
      console.warn(`WebRTC dial to ${peer.peerId} failed (${count} in a row), will retry in ${waitMs / 1000} s: ${errorMessage(error)}`)
    } finally {
      this.dialing.delete(peer.peerId)
      this.refresh()
    }
  }

  private computeSnapshot(): SwarmSnapshot {
    const connections = this.node.getConnections().map((c) => ({ peerId: c.remotePeer.toString(), transport: transportKind(c.remoteAddr.toString()) }))
    return {
      selfId: this.node.peerId.toString(),
      relayState: this.relayState,
      relayError: this.relayError,
      selfAddrs: this.selfAddrs(),
      peers: buildPeerTable(this.heard, connections, this.relayIds, this.now()),
      gossipReceived: this.gossipReceived,
      gossipRejected: this.gossipRejected,
    }
  }
}
