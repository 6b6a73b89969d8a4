// The coordinator host's side of reviewing offers, over real libp2p: what it logs, the sample grid it keeps,
// how a failed review is retried, what each dataset policy decides on its own, and what a rejection or an
// owner's second offer changes in the figures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { generateKeyPair } from '@libp2p/crypto/keys'
import type { NodePeer } from '../p2p/node-peer.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import { callWork } from '../p2p/work-protocol.ts'
import { signManifest } from '../p2p/manifest-signature.ts'
import { buildDataset } from '../data/build-dataset.ts'
import { FASHION_MNIST_SHAPE, type SampleSet } from '../data/samples.ts'
import { Coordinator } from '../training/coordinator.ts'
import { MemoryCheckpointStore } from '../training/memory-checkpoints.ts'
import { quadraticReferee } from '../training/testing/coordinator-harness.ts'
import { MemoryLogStore, MemoryVectorStore } from '../training/testing/memory-stores.ts'
import { testJob } from '../training/testing/job-fixture.ts'
import { CoordinatorHost } from './coordinator-host.ts'
import { startOfferPeers, type OfferPeers } from './testing/offer-peers.ts'
import { seededRandom } from '../random.ts'

/** Every 16th image repeats: the review flags near-duplicates. */
const repeating = (count: number): SampleSet => ({
  shape: FASHION_MNIST_SHAPE, count, sources: [],
  pixels: Uint8Array.from({ length: count * 784 }, (_, i) => (i * 7) & 255),
  labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
})
const distinct = (count: number, seed: number): SampleSet => {
  const r = seededRandom(seed)
  return { ...repeating(count), pixels: Uint8Array.from({ length: count * 784 }, () => Math.floor(r() * 256)) }
}

describe('coordinator host: reviewing and deciding offers', () => {
  const log: string[] = []
  let peers: OfferPeers
  let server: NodePeer
  let contributor: NodePeer
  let key: Awaited<ReturnType<typeof generateKeyPair>>
  let exchanges: BlockExchange[]
  let coordinator: Coordinator
  let host: CoordinatorHost
  let owner: string
  let seed = 10

  /** Offers `set` as the contributor, its chunks served (or not); resolves once the offer is recorded. */
  async function offer(set: SampleSet, name: string, options: { serve?: boolean; declare?: Partial<{ height: number; width: number }> } = {}) {
    const { manifest, chunks } = await buildDataset(set, { name, licence: 'MIT', description: '' }, owner, seed++)
    if (options.serve ?? true) for (const c of chunks) await exchanges[1]!.put(c.bytes)
    const signed = await signManifest(key, { ...manifest, ...options.declare })
    const reply = await callWork(contributor, server.peerId, { type: 'offer', jobId: coordinator.job.id, dataset: signed })
    if (reply.type !== 'dataset') throw new Error(JSON.stringify(reply))
    return { id: reply.id, reply, signed, chunks }
  }
  const entry = (id: string) => coordinator.datasets.find((d) => d.id === id)!

  beforeAll(async () => {
    peers = await startOfferPeers()
    ;({ key, server, contributor, owner, exchanges } = peers)
    const job = testJob({ coordinator: server.peerId.toString(), auditRate: 0, classes: [...FASHION_MNIST_SHAPE.classes] })
    coordinator = await Coordinator.open({ job, dim: 16, initialParams: () => new Float32Array(16), flopsPerStep: 1, vectors: new MemoryVectorStore(), checkpoints: new MemoryCheckpointStore(), log: new MemoryLogStore(), referee: quadraticReferee() })
    host = await CoordinatorHost.start({ node: server, exchange: exchanges[0]!, coordinator, dim: 16, announceEveryMs: 60_000, tickEveryMs: 60_000, log: (line) => log.push(line) })
  }, 30_000)

  afterAll(async () => {
    await host?.stop()
    await peers?.stop()
  })

  it('logs each offer and its review, and keeps a grid of exactly the images the review picked', async () => {
    const set = distinct(20, 1)
    const { id, reply } = await offer(set, 'Clean')
    expect(reply).toMatchObject({ status: 'pending' })
    expect(log).toContain(`dataset "Clean" (20 samples) offered by ${owner}: pending`)
    await expect.poll(() => entry(id).review, { timeout: 20_000 }).toBeDefined()
    await expect.poll(() => log.includes('dataset "Clean" reviewed: no flags'), { timeout: 5000 }).toBe(true)
    const grid = host.sampleGrid(id)!
    if (grid.kind !== 'images') throw new Error('an image job\'s offer is previewed as images')
    const picked = entry(id).review!.grid
    expect(grid.count).toBe(picked.length)
    picked.forEach((i, k) => {
      expect(grid.pixels.subarray(k * 784, (k + 1) * 784)).toEqual(set.pixels.subarray(i * 784, (i + 1) * 784))
      expect(grid.labels[k]).toBe(coordinator.job.classes[set.labels[i]!])
    })
    const flagged = await offer(repeating(48), 'Repeats')
    await expect.poll(() => log.find((line) => line.startsWith('dataset "Repeats" reviewed:')), { timeout: 20_000 }).toMatch(/reviewed: (\w+, )*NEAR_DUPLICATES/)
    // Under the owner's policy (the default) neither is decided by the host itself.
    expect([entry(id).status, entry(flagged.id).status]).toEqual(['pending', 'pending'])
  }, 60_000)

  it('logs a review that fails, leaves the offer to the owner, and runs it again when asked (one run at a time)', async () => {
    // Chunks of 14×14 images under a manifest declaring the job's 28×28: the review's chunk check fails.
    const small: SampleSet = { ...distinct(12, 2), shape: { ...FASHION_MNIST_SHAPE, height: 14, width: 14 }, pixels: new Uint8Array(12 * 196).fill(9) }
    const { id } = await offer(small, 'Misfit', { declare: { height: 28, width: 28 } })
    await expect.poll(() => log.find((line) => line.startsWith('reviewing dataset "Misfit" failed:')), { timeout: 20_000 }).toContain('holds 14×14 images of 10 classes; this job\'s are 28×28')
    expect(entry(id).status).toBe('pending')
    expect(host.sampleGrid(id)).toBeNull()
    // Asked again, it runs again (a failed review is not remembered); two asks at once share one run.
    const again = host.reviewDataset(id)
    expect(host.reviewDataset(id)).toBe(again)
    await expect(again).rejects.toThrow('holds 14×14')
    const third = host.reviewDataset(id)
    expect(third).not.toBe(again)
    await expect(third).rejects.toThrow('holds 14×14')
    expect(entry(id).status).toBe('pending')
  }, 60_000)

  it('names an unknown dataset when asked to review or decide it', async () => {
    await expect(host.reviewDataset('bafynotadataset')).rejects.toMatchObject({ code: 'UNKNOWN_DATASET', message: 'no dataset bafynotadataset… was offered to this job' })
    await expect(host.decideDataset('bafynotadataset', true)).rejects.toMatchObject({ code: 'UNKNOWN_DATASET', message: 'no dataset bafynotadataset… was offered to this job' })
  })

  it('rejects without fetching or keeping anything, and automatic acceptance never takes back an owner\'s rejection', async () => {
    // Nobody serves these chunks: a rejection must not wait for them (accepting would).
    const unserved = await offer(distinct(10, 3), 'Unserved', { serve: false })
    const started = Date.now()
    await host.decideDataset(unserved.id, false)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(entry(unserved.id)).toMatchObject({ status: 'rejected', reason: 'rejected by the job owner' })
    expect(host.metrics().datasets.find((d) => d.id === unserved.id)).toMatchObject({ status: 'rejected', copies: 0 })
    // A clean offer the owner rejected after its review stays rejected when the owner then turns on 'auto'.
    const clean = await offer(distinct(16, 4), 'Clean but unwanted')
    await expect.poll(() => entry(clean.id).review?.flags.length, { timeout: 20_000 }).toBe(0)
    await host.decideDataset(clean.id, false, 'not this kind of coat')
    // Setting 'owner' decides nothing; setting 'auto' accepts clean pending offers only.
    host.setDatasetPolicy('owner')
    const waiting = await offer(distinct(16, 5), 'Clean and waiting')
    await expect.poll(() => entry(waiting.id).review?.flags.length, { timeout: 20_000 }).toBe(0)
    host.setDatasetPolicy('owner')
    await new Promise((r) => setTimeout(r, 500))
    expect(entry(waiting.id).status).toBe('pending')
    host.setDatasetPolicy('auto')
    try {
      await expect.poll(() => entry(waiting.id).status, { timeout: 20_000 }).toBe('accepted')
      expect(entry(clean.id)).toMatchObject({ status: 'rejected', reason: 'not this kind of coat' })
      expect(entry(unserved.id).status).toBe('rejected')
    } finally {
      host.setDatasetPolicy('owner')
    }
  }, 60_000)

  it('never accepts on its own an offer the owner rejected while its review was still running', async () => {
    host.setDatasetPolicy('auto')
    try {
      // The review waits for chunks nobody serves yet; the owner rejects meanwhile; then the chunks arrive and
      // the review finishes with no flag, which under 'auto' would accept an offer still pending.
      const late = await offer(distinct(10, 7), 'Rejected mid-review', { serve: false })
      expect(host.metrics().datasets.find((d) => d.id === late.id)).toMatchObject({ status: 'pending', copies: 0 })
      await host.decideDataset(late.id, false, 'not this one')
      for (const c of late.chunks) await exchanges[1]!.put(c.bytes)
      await expect.poll(() => entry(late.id).review?.flags.length, { timeout: 30_000 }).toBe(0)
      await expect.poll(() => log.includes('dataset "Rejected mid-review" reviewed: no flags'), { timeout: 5000 }).toBe(true)
      expect(entry(late.id)).toMatchObject({ status: 'rejected', reason: 'not this one' })
    } finally {
      host.setDatasetPolicy('owner')
    }
  }, 60_000)

  it('counts an owner who offers an accepted dataset again as its provider again', async () => {
    const { id, signed } = await offer(distinct(12, 6), 'Returning')
    await host.decideDataset(id, true)
    const copies = () => host.metrics().datasets.find((d) => d.id === id)!.copies
    expect(copies()).toBe(2)
    // The owner's tab closed: only the coordinator's copy is left.
    await coordinator.peerLeft(owner)
    expect(copies()).toBe(1)
    // Reopened, it offers again and serves its chunks again.
    expect(await callWork(contributor, server.peerId, { type: 'offer', jobId: coordinator.job.id, dataset: signed })).toMatchObject({ status: 'accepted' })
    expect(copies()).toBe(2)
  }, 60_000)

  it('after a restart, names itself and each connected owner as providers of accepted chunks, and reviews waiting offers again', async () => {
    const accepted = coordinator.datasets.filter((d) => d.status === 'accepted')
    const waiting = coordinator.datasets.find((d) => d.name === 'Repeats')!
    expect(accepted.length).toBeGreaterThan(0)
    expect(waiting.status).toBe('pending')
    const copies = () => host.metrics().datasets.filter((d) => d.status === 'accepted').map((d) => d.copies)
    // Both providers forgotten (as a coordinator restored from a checkpoint taken before they announced would).
    await coordinator.peerLeft(server.peerId.toString())
    await coordinator.peerLeft(owner)
    expect(copies().every((n) => n === 0)).toBe(true)
    await host.stop()
    host = await CoordinatorHost.start({ node: server, exchange: exchanges[0]!, coordinator, dim: 16, announceEveryMs: 60_000, tickEveryMs: 60_000, log: (line) => log.push(line) })
    expect(copies()).toEqual(accepted.map(() => 2))
    // The grid of a waiting offer lives with the session: the new host reviews it again.
    expect(waiting.status).toBe('pending')
    await expect.poll(() => { const g = host.sampleGrid(waiting.id); return g?.kind === 'images' ? g.count : null }, { timeout: 20_000 }).toBe(32)
    // An owner no longer connected is not counted on the next restart; the coordinator's own copy is.
    await coordinator.peerLeft(server.peerId.toString())
    await coordinator.peerLeft(owner)
    await contributor.hangUp(server.peerId)
    await expect.poll(() => server.getConnections(contributor.peerId).length, { timeout: 5000 }).toBe(0)
    await host.stop()
    host = await CoordinatorHost.start({ node: server, exchange: exchanges[0]!, coordinator, dim: 16, announceEveryMs: 60_000, tickEveryMs: 60_000, log: (line) => log.push(line) })
    expect(copies()).toEqual(accepted.map(() => 1))
  }, 60_000)
})
