// Gossipsub peer scoring and frame limits, the same on every peer. Without topic score parameters gossipsub
// counts nothing per topic, so rejected messages never lowered a sender's score; with them each rejection
// (a message that fails its decoder, a bad signature, a flood over the author's rate) costs the neighbour
// that sent it 10 × (rejections so far)², decaying by 1 % a second. Four rejections outweigh any good
// standing a peer can earn, and below the graylist threshold everything the peer sends is dropped unread.
import type { GossipSub, GossipsubOpts } from '@libp2p/gossipsub'
import { TesseraeError } from '../errors.ts'
import { MAX_GOSSIP_MESSAGE_BYTES, TOPIC_RULES } from './gossip-validators.ts'

export const SCORE_THRESHOLDS = {
  /** Below this we neither send nor take IHAVE/IWANT gossip. */
  gossipThreshold: -20,
  /** Below this our own messages are not flood-published to the peer. */
  publishThreshold: -40,
  /** Below this every RPC from the peer is dropped before it is processed; the relay also hangs up. */
  graylistThreshold: -80,
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 5,
} as const

const topicScore = {
  topicWeight: 1,
  // Good standing is small and capped (topicScoreCap), so it cannot buy room for a burst of garbage.
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1000,
  timeInMeshCap: 600,
  firstMessageDeliveriesWeight: 1,
  firstMessageDeliveriesDecay: 0.9,
  firstMessageDeliveriesCap: 10,
  // Off: most peers never publish on most topics (only coordinators send metrics), so a delivery quota
  // would punish honest silence.
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 10,
  meshMessageDeliveriesThreshold: 1,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 5000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  invalidMessageDeliveriesWeight: -10,
  // Half-life ~70 s: 300 garbage messages keep a peer graylisted for about 8 minutes.
  invalidMessageDeliveriesDecay: 0.99,
}

/** Message ids a neighbour may advertise in one IHAVE (gossipsub's own cap is 5,000). */
const MAX_IHAVE_IDS = 5000
/** A signed message id (author peer id + sequence number) with its protobuf framing. */
const MESSAGE_ID_BYTES = 48
/** Signature, public key, author, sequence number, topic and protobuf framing around one message's data. */
const MESSAGE_ENVELOPE_BYTES = 1024

/**
 * The largest frame an honest peer sends: the largest valid message with a full IHAVE piggybacked (about
 * 370 KiB). Gossipsub's default reads frames of up to 4 MiB; a bigger length prefix now ends the stream
 * before a byte of it is buffered.
 */
export const MAX_GOSSIP_FRAME_BYTES = MAX_GOSSIP_MESSAGE_BYTES + MESSAGE_ENVELOPE_BYTES + MAX_IHAVE_IDS * MESSAGE_ID_BYTES

export const gossipLimits = {
  maxInboundDataLength: MAX_GOSSIP_FRAME_BYTES,
  // Unsent frames queued for one slow neighbour before we give up on it, instead of buffering without end.
  maxOutboundBufferSize: 8 * MAX_GOSSIP_FRAME_BYTES,
  maxInboundStreams: 4,
  maxOutboundStreams: 4,
  decodeRpcLimits: {
    maxSubscriptions: 64,
    // An IWANT answer carries several messages in one frame; each costs a signature check.
    maxMessages: 256,
    maxIhaveMessageIDs: MAX_IHAVE_IDS,
    maxIwantMessageIDs: MAX_IHAVE_IDS,
    maxControlMessages: 64,
    maxIdontwantMessageIDs: 512,
    maxPeerInfos: 16,
  },
  allowedTopics: Object.keys(TOPIC_RULES),
} satisfies Partial<GossipsubOpts>

export const scoreParams = {
  topics: Object.fromEntries(Object.keys(TOPIC_RULES).map((topic) => [topic, topicScore])),
  topicScoreCap: 20,
  // Gossipsub's default penalises more than 10 peers sharing an IP address. Browser volunteers share
  // addresses as a rule (a classroom or office behind one NAT, every tab of a laptop), so that penalty would
  // graylist honest tabs; messages are signed and scored per peer instead, and the relay caps connections
  // per address. Scores outlive a disconnection by an hour (the default), so reconnecting wipes nothing.
  IPColocationFactorWeight: 0,
}

/** A neighbour's current score. Gossipsub's implementation has it; its exported interface leaves it out. */
export function peerScore(pubsub: GossipSub, peer: string): number {
  if (!('getScore' in pubsub) || typeof pubsub.getScore !== 'function') throw new TesseraeError('NO_PEER_SCORES', 'this gossipsub build does not expose peer scores')
  return (pubsub.getScore as (id: string) => number).call(pubsub, peer)
}
