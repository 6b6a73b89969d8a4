import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import { createPeerScoreParams, createPeerScoreThresholds, validatePeerScoreParams, validatePeerScoreThresholds } from '@libp2p/gossipsub/score'
import type { PeerId } from '@libp2p/interface'
import { FORWARDER_RATE, gossipValidator, TOPIC_RULES } from './gossip-validators.ts'
import { SCORE_THRESHOLDS, scoreParams } from './gossip-scoring.ts'
import { RateLimiter } from './rate-limiter.ts'
import { encodePresence } from './presence.ts'
import { ALL_TOPICS, TOPIC_PRESENCE } from './topics.ts'

const newPeer = async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

function presenceFrom(author: PeerId, sentAtMs: number): Message {
  const data = encodePresence({ peerId: author.toString(), addrs: [], backend: 'wasm', sentAtMs })
  return { type: 'signed', from: author, topic: TOPIC_PRESENCE, data, sequenceNumber: BigInt(sentAtMs), signature: new Uint8Array(64), key: author.publicKey! }
}

describe('gossip validators', () => {
  it('has a rule for every topic, and score parameters gossipsub accepts for each', () => {
    expect(Object.keys(TOPIC_RULES).sort()).toEqual([...ALL_TOPICS].sort())
    expect(() => validatePeerScoreParams(createPeerScoreParams(scoreParams))).not.toThrow()
    expect(() => validatePeerScoreThresholds(createPeerScoreThresholds(SCORE_THRESHOLDS))).not.toThrow()
    for (const topic of ALL_TOPICS) expect(scoreParams.topics[topic]!.invalidMessageDeliveriesWeight).toBeLessThan(0)
  })

  it('rejects a flood from its author but only ignores the same flood forwarded by a neighbour', async () => {
    const [author, forwarder] = [await newPeer(), await newPeer()]
    const { burst } = TOPIC_RULES[TOPIC_PRESENCE]!.authorRate
    const direct = gossipValidator(new RateLimiter({ maxKeys: 100, now: () => 0 }))
    const verdicts = Array.from({ length: burst + 2 }, (_, i) => direct(TOPIC_PRESENCE, author, presenceFrom(author, i)))
    expect(verdicts.slice(0, burst).every((v) => v === TopicValidatorResult.Accept)).toBe(true)
    expect(verdicts.slice(burst)).toEqual([TopicValidatorResult.Reject, TopicValidatorResult.Reject])

    const forwarded = gossipValidator(new RateLimiter({ maxKeys: 100, now: () => 0 }))
    for (let i = 0; i < burst; i++) forwarded(TOPIC_PRESENCE, forwarder, presenceFrom(author, i))
    expect(forwarded(TOPIC_PRESENCE, forwarder, presenceFrom(author, burst))).toBe(TopicValidatorResult.Ignore)
  })

  it('ignores whatever one neighbour forwards beyond its overall allowance, from however many authors', async () => {
    const forwarder = await newPeer()
    const perAuthor = TOPIC_RULES[TOPIC_PRESENCE]!.authorRate.burst
    const authors = await Promise.all(Array.from({ length: Math.ceil(FORWARDER_RATE.burst / perAuthor) + 20 }, newPeer))
    const validate = gossipValidator(new RateLimiter({ maxKeys: 10_000, now: () => 0 }))
    let accepted = 0
    for (const author of authors) for (let i = 0; i < perAuthor; i++) if (validate(TOPIC_PRESENCE, forwarder, presenceFrom(author, i)) === TopicValidatorResult.Accept) accepted++
    expect(authors.length * perAuthor).toBeGreaterThan(FORWARDER_RATE.burst)
    expect(accepted).toBe(FORWARDER_RATE.burst)
  })

  it('rejects unknown topics, unsigned messages and anything its decoder refuses', async () => {
    const author = await newPeer()
    const validate = gossipValidator()
    expect(validate('tesserae/other/1', author, presenceFrom(author, 1))).toBe(TopicValidatorResult.Reject)
    expect(validate(TOPIC_PRESENCE, author, { type: 'unsigned', topic: TOPIC_PRESENCE, data: new Uint8Array() })).toBe(TopicValidatorResult.Reject)
    expect(validate(TOPIC_PRESENCE, author, { ...presenceFrom(author, 1), data: new TextEncoder().encode('{}') })).toBe(TopicValidatorResult.Reject)
  })
})
