// Gossipsub topic validators, one table row per topic: its decoder, its largest valid message and how often
// one author may publish on it. A message that fails to decode is rejected, which is not forwarded and, with
// the topic score parameters in gossip-scoring.ts, costs its sender peer score until it is graylisted. A
// message over its author's rate is dropped; it also costs score when the author sent it to us directly.
import { TopicValidatorResult, type GossipSub, type Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { DecodeError } from '../errors.ts'
import { decodePresence, MAX_PRESENCE_BYTES } from './presence.ts'
import { TOPIC_PRESENCE } from './topics.ts'
import { decodeAnnouncement, decodeHead, decodeMetrics, MAX_HEAD_BYTES, MAX_JOB_MESSAGE_BYTES, MAX_METRICS_BYTES, TOPIC_HEADS, TOPIC_JOBS, TOPIC_METRICS } from './job-topics.ts'
import { RateLimiter, type RateLimit } from './rate-limiter.ts'

export interface TopicRule {
  decode: (data: Uint8Array, from: string) => unknown
  maxBytes: number
  /** Per author. Honest publishers stay well inside it (presence: one per second at most, see swarm.ts). */
  authorRate: RateLimit
}

export const TOPIC_RULES: Readonly<Record<string, TopicRule>> = {
  // Every 3 s, plus when a neighbour subscribes (coalesced to 1 per second).
  [TOPIC_PRESENCE]: { decode: decodePresence, maxBytes: MAX_PRESENCE_BYTES, authorRate: { burst: 10, perSecond: 1 } },
  // Every 2 s per job; room for a coordinator running a few jobs under one key.
  [TOPIC_JOBS]: { decode: decodeAnnouncement, maxBytes: MAX_JOB_MESSAGE_BYTES, authorRate: { burst: 20, perSecond: 2 } },
  // On every round close; a tiny test job can close several rounds a second.
  [TOPIC_HEADS]: { decode: decodeHead, maxBytes: MAX_HEAD_BYTES, authorRate: { burst: 30, perSecond: 5 } },
  // Every 3 s and on every round close, per job.
  [TOPIC_METRICS]: { decode: decodeMetrics, maxBytes: MAX_METRICS_BYTES, authorRate: { burst: 30, perSecond: 5 } },
}

/** The largest message any topic accepts: what a gossip frame must be able to carry. */
export const MAX_GOSSIP_MESSAGE_BYTES = Math.max(...Object.values(TOPIC_RULES).map((r) => r.maxBytes))

/**
 * Everything one neighbour may forward to us per second, over all authors: a swarm of ~3,000 tabs at one
 * presence every 3 s. Beyond it messages are ignored (not penalised: an honest hub forwards for everyone).
 */
export const FORWARDER_RATE: RateLimit = { burst: 5000, perSecond: 1000 }

/** Authors and neighbours remembered for rate limiting; ~100 bytes each. */
const MAX_RATE_KEYS = 50_000

export function validateGossip(topic: string, message: Message): TopicValidatorResult {
  const rule = TOPIC_RULES[topic]
  if (rule === undefined || message.type !== 'signed') return TopicValidatorResult.Reject
  try {
    rule.decode(message.data, message.from.toString())
    return TopicValidatorResult.Accept
  } catch (error) {
    if (error instanceof DecodeError) return TopicValidatorResult.Reject
    throw error
  }
}

/** Decoding plus rate limits per author (per topic) and per neighbour that forwarded the message. */
export function gossipValidator(limiter = new RateLimiter({ maxKeys: MAX_RATE_KEYS })) {
  return (topic: string, propagationSource: PeerId, message: Message): TopicValidatorResult => {
    const rule = TOPIC_RULES[topic]
    if (rule === undefined || message.type !== 'signed') return TopicValidatorResult.Reject
    const source = propagationSource.toString()
    const author = message.from.toString()
    // Rates first: a flood costs a map lookup per message, not a JSON parse.
    if (!limiter.take(`forwarded-by ${source}`, FORWARDER_RATE)) return TopicValidatorResult.Ignore
    if (!limiter.take(`${topic} ${author}`, rule.authorRate)) return author === source ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
    return validateGossip(topic, message)
  }
}

export function installTopicValidators(pubsub: GossipSub): void {
  const validate = gossipValidator()
  for (const topic of Object.keys(TOPIC_RULES)) {
    pubsub.topicValidators.set(topic, (source, message) => validate(topic, source, message))
  }
}
