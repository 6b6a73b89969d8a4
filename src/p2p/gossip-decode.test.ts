// The gossip topic validators decoding in isolation: only signed messages that decode on a known topic, from
// the identity they claim, are forwarded; everything else is rejected (and costs its sender peer score).
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { validateGossip } from './gossip-validators.ts'
import { encodePresence } from './presence.ts'
import { TOPIC_PRESENCE } from './topics.ts'
import { encodeAnnouncement, encodeHead, encodeMetrics, TOPIC_HEADS, TOPIC_JOBS, TOPIC_METRICS, type Head } from './job-topics.ts'
import { testJob } from '../training/testing/job-fixture.ts'

const signed = (from: PeerId, data: Uint8Array): Message => ({ type: 'signed', from, data, topic: 't', sequenceNumber: 1n, signature: new Uint8Array(64), key: from.publicKey! })

describe('gossip validators', async () => {
  const alice = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const mallory = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const presence = encodePresence({ peerId: alice.toString(), addrs: [], backend: 'wasm', sentAtMs: 1 })
  const head: Head = { jobId: 'job-test', coordinator: alice.toString(), round: 0, version: 0, paramsCid: 'bafk', finished: false, auditCommitment: 'ab'.repeat(32), sentAtMs: 1 }
  const messages: Array<[string, Uint8Array]> = [
    [TOPIC_PRESENCE, presence],
    [TOPIC_JOBS, encodeAnnouncement({ job: testJob({ coordinator: alice.toString() }), head, addrs: [] })],
    [TOPIC_HEADS, encodeHead(head)],
    [TOPIC_METRICS, encodeMetrics({ jobId: 'job-test', coordinator: alice.toString(), sentAtMs: 1, round: 0, version: 0, deadlineMs: 1, units: { total: 1, assigned: 0, verifying: 0, accepted: 0 }, initialAccuracy: null, reports: [], peers: [], datasets: [], roundDatasets: [] })],
  ]

  it('accepts each topic\'s message from its own sender and rejects the same bytes from anyone else', () => {
    for (const [topic, data] of messages) {
      expect(validateGossip(topic, signed(alice, data)), topic).toBe(TopicValidatorResult.Accept)
      expect(validateGossip(topic, signed(mallory, data)), topic).toBe(TopicValidatorResult.Reject)
    }
  })

  it('rejects a message that does not decode, on every topic', () => {
    for (const [topic] of messages) expect(validateGossip(topic, signed(alice, new TextEncoder().encode('{"not":"it"'))), topic).toBe(TopicValidatorResult.Reject)
  })

  it('rejects unsigned messages and topics it does not know', () => {
    expect(validateGossip(TOPIC_PRESENCE, { type: 'unsigned', data: presence, topic: TOPIC_PRESENCE } as Message)).toBe(TopicValidatorResult.Reject)
    expect(validateGossip('tesserae/elsewhere/1', signed(alice, presence))).toBe(TopicValidatorResult.Reject)
  })
})
