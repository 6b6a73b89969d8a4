// Gossipsub topic validators: a message that fails to decode is rejected (not forwarded, and its sender's
// peer score drops), so one hostile peer cannot spam the swarm with garbage through us.
import { TopicValidatorResult, type GossipSub, type Message } from '@libp2p/gossipsub'
import { DecodeError } from '../errors.ts'
import { decodePresence } from './presence.ts'
import { TOPIC_PRESENCE } from './topics.ts'
import { decodeAnnouncement, decodeHead, decodeMetrics, TOPIC_HEADS, TOPIC_JOBS, TOPIC_METRICS } from './job-topics.ts'

/** Decoders per topic; each throws a DecodeError on bad input. */
const decoders: Record<string, (data: Uint8Array, from: string) => unknown> = {
  [TOPIC_PRESENCE]: decodePresence,
  [TOPIC_JOBS]: decodeAnnouncement,
  [TOPIC_HEADS]: decodeHead,
  [TOPIC_METRICS]: decodeMetrics,
}

export function validateGossip(topic: string, message: Message): TopicValidatorResult {
  const decode = decoders[topic]
  if (decode === undefined || message.type !== 'signed') return TopicValidatorResult.Reject
  try {
    decode(message.data, message.from.toString())
    return TopicValidatorResult.Accept
  } catch (error) {
    if (error instanceof DecodeError) return TopicValidatorResult.Reject
    throw error
  }
}

export function installTopicValidators(pubsub: GossipSub): void {
  for (const topic of Object.keys(decoders)) {
    pubsub.topicValidators.set(topic, (_peer, message) => validateGossip(topic, message))
  }
}
