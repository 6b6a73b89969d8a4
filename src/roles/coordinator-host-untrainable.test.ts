// The coordinator host refuses an offered table holding a sample no model could train on (a value the job's
// statistics put beyond 10⁴ standard deviations), whoever decides: the automatic review refuses it, and the
// owner cannot accept it. An owner's refusal fetches nothing, so it works when the contributor is gone. The
// review compares an offer with the job's own first REVIEW_REFERENCE_SAMPLES (1000) samples, and no more.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createNodePeer, type NodePeer } from '../p2p/node-peer.ts'
import { BlockExchange } from '../p2p/block-exchange.ts'
import { callWork } from '../p2p/work-protocol.ts'
import { signManifest, verifySignedManifest } from '../p2p/manifest-signature.ts'
import { buildTaskDataset } from '../data/build-dataset.ts'
import { chunkBlock } from '../data/chunks.ts'
import { formatClasses, sampleFormat } from '../data/sample-format.ts'
import { makeBlock } from '../data/task-block.ts'
import type { TabularTask } from '../data/task.ts'
import type { ModelRecipe } from '../graph/model-recipe.ts'
import { Coordinator } from '../training/coordinator.ts'
import { taskJobFields } from '../training/job.ts'
import { MemoryCheckpointStore } from '../training/memory-checkpoints.ts'
import { quadraticReferee } from '../training/testing/coordinator-harness.ts'
import { MemoryLogStore, MemoryVectorStore } from '../training/testing/memory-stores.ts'
import { testJob } from '../training/testing/job-fixture.ts'
import { CoordinatorHost } from './coordinator-host.ts'
import { startOfferPeers, type OfferPeers } from './testing/offer-peers.ts'
import { firstUntrainable } from './review-samples.ts'
import { seededRandom } from '../random.ts'

const WINE: TabularTask = {
  kind: 'tabular',
  schema: { kind: 'tabular', features: [{ name: 'alcohol', kind: 'numeric' }, { name: 'hue', kind: 'numeric' }], label: 'cultivar', target: { kind: 'classification', classes: ['class_0', 'class_1', 'class_2'] } },
  stats: { features: [{ mean: 13, std: 0.8 }, { mean: 1, std: 0.2 }] },
  target: null,
}
const WINE_MODEL: ModelRecipe = { spec: { kind: 'mlp', hidden: [16] }, input: { kind: 'vector', width: 2 }, outputs: 3, objective: 'classes' }
const FORMAT = sampleFormat(WINE)

/**
 * `count` rows within 4 standard deviations of the job's statistics (spread out enough that the review finds
 * no copies of the job's rows); `far`, if given, puts 10⁹ in that row's alcohol (sample far + 1).
 */
function rows(count: number, seed: number, far?: number) {
  const r = seededRandom(seed)
  const x = Float32Array.from({ length: count * 2 }, (_, i) => (i % 2 === 0 ? 13 + (r() - 0.5) * 6.4 : 1 + (r() - 0.5) * 1.6))
  if (far !== undefined) x[far * 2] = 1e9
  return makeBlock(WINE, x, Float32Array.from({ length: count }, () => Math.floor(r() * 3)))
}

describe('coordinator host: offers no model could train on', () => {
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

  async function build(count: number, name: string, far?: number, signer = key, by = owner) {
    const block = rows(count, seed, far)
    const { manifest, chunks } = await buildTaskDataset({ format: FORMAT, block, sources: [] }, { name, licence: 'MIT', description: '' }, by, seed++)
    return { block, chunks, signed: await signManifest(signer, manifest) }
  }
  /** Offers a table as the contributor, its chunks served; resolves once the offer is recorded (and its review started). */
  async function offer(count: number, name: string, far?: number) {
    const built = await build(count, name, far)
    for (const c of built.chunks) await exchanges[1]!.put(c.bytes)
    const reply = await callWork(contributor, server.peerId, { type: 'offer', jobId: coordinator.job.id, dataset: built.signed })
    if (reply.type !== 'dataset') throw new Error(JSON.stringify(reply))
    return { ...built, id: reply.id, reply }
  }
  const entry = (id: string) => coordinator.datasets.find((d) => d.id === id)!
  const reviewed = (name: string) => log.find((line) => line.startsWith(`dataset "${name}" reviewed:`) || line.startsWith(`reviewing dataset "${name}" failed:`))

  beforeAll(async () => {
    peers = await startOfferPeers()
    ;({ key, server, contributor, owner, exchanges } = peers)
    // The job's own data: exactly REVIEW_REFERENCE_SAMPLES rows the coordinator holds, then a shard that cannot be
    // fetched at all; a review that read past the first (or stopped before it) would go without a reference.
    const [own] = await chunkBlock(WINE, rows(1000, 1))
    await exchanges[0]!.put(own!.bytes)
    const train = [{ cid: own!.cid, samples: 1000, owner: 'alice' }, { cid: 'not-a-cid', samples: 64, owner: 'bob' }]
    const job = testJob({ coordinator: server.peerId.toString(), auditRate: 0, train, ...taskJobFields(WINE, WINE_MODEL) })
    coordinator = await Coordinator.open({ job, dim: 16, initialParams: () => new Float32Array(16), flopsPerStep: 1, vectors: new MemoryVectorStore(), checkpoints: new MemoryCheckpointStore(), log: new MemoryLogStore(), referee: quadraticReferee() })
    host = await CoordinatorHost.start({ node: server, exchange: exchanges[0]!, coordinator, dim: 16, announceEveryMs: 60_000, tickEveryMs: 60_000, log: (line) => log.push(line) })
  }, 30_000)

  afterAll(async () => {
    await host?.stop()
    await peers?.stop()
  })

  it('under the \'auto\' policy, refuses an offer with one untrainable row and accepts a clean one, compared with the job\'s first 1000 rows', async () => {
    host.setDatasetPolicy('auto')
    try {
      const bad = await offer(40, 'Spiked', 17)
      const reason = firstUntrainable(WINE, bad.block)!
      expect(reason).toMatch(/^sample 18 has a value 1\.3e\+9 standard deviations out in its inputs; the job cannot train on it$/)
      expect(bad.reply).toMatchObject({ status: 'pending' })
      await expect.poll(() => entry(bad.id).status, { timeout: 20_000 }).toBe('rejected')
      expect(entry(bad.id).reason).toBe(reason)
      await expect.poll(() => reviewed('Spiked'), { timeout: 5000 }).toBe(`reviewing dataset "Spiked" failed: dataset "Spiked": ${reason}`)
      // Never trained on: no review recorded, no grid kept, no copy counted.
      expect(entry(bad.id).review).toBeUndefined()
      expect(host.sampleGrid(bad.id)).toBeNull()
      expect(host.metrics().datasets.find((d) => d.id === bad.id)).toMatchObject({ status: 'rejected', copies: 0 })
      const clean = await offer(40, 'Clean')
      expect(firstUntrainable(WINE, clean.block)).toBeNull()
      await expect.poll(() => entry(clean.id).status, { timeout: 20_000 }).toBe('accepted')
      expect(reviewed('Clean')).toBe('dataset "Clean" reviewed: no flags')
      expect(host.sampleGrid(clean.id)?.kind).toBe('lines')
      // The job's own first shard held the 1000 reference rows: the second (unfetchable) one was never asked for.
      expect(log.filter((line) => line.startsWith('reviewing without'))).toEqual([])
    } finally {
      host.setDatasetPolicy('owner')
    }
  }, 60_000)

  it('under the owner\'s policy, the owner cannot accept an untrainable offer, and its review refuses it', async () => {
    expect(host.datasetPolicy).toBe('owner')
    const { block, chunks, signed } = await build(30, 'Spiked again', 4)
    for (const c of chunks) await exchanges[1]!.put(c.bytes)
    // Recorded as the host records an offer, without starting its review: the owner decides first.
    const id = await verifySignedManifest(signed)
    const m = signed.manifest
    await coordinator.offerDataset({ id, name: m.name, licence: m.licence, owner: m.owner, height: 0, width: 0, classes: formatClasses(FORMAT) ?? [], chunks: m.chunks, merkleRoot: m.merkleRoot, samples: m.samples, signed, format: FORMAT })
    const reason = firstUntrainable(WINE, block)!
    expect(reason).toMatch(/^sample 5 has a value /)
    await expect(host.decideDataset(id, true)).rejects.toMatchObject({ code: 'DATASET_UNTRAINABLE', message: `dataset "Spiked again" cannot be accepted: ${reason}` })
    expect(entry(id)).toMatchObject({ status: 'pending' })
    expect(host.metrics().datasets.find((d) => d.id === id)).toMatchObject({ status: 'pending', copies: 0 })
    // The review refuses it although the owner decides.
    await expect(host.reviewDataset(id)).rejects.toMatchObject({ code: 'DATASET_UNTRAINABLE', message: `dataset "Spiked again": ${reason}` })
    expect(entry(id)).toMatchObject({ status: 'rejected', reason })
    expect(entry(id).review).toBeUndefined()
  }, 60_000)

  it('records an owner\'s refusal without fetching anything, though the contributor is gone', async () => {
    const leaverKey = await generateKeyPair('Ed25519')
    const leaver = await createNodePeer({ privateKey: leaverKey })
    const leaverExchange = await BlockExchange.start(leaver, new MemoryBlockstore())
    let id: string
    try {
      await leaver.dial(multiaddr(server.getMultiaddrs()[0]!.toString()))
      // Its chunks are never served: with the contributor there, the review just waits for them.
      const { signed } = await build(20, 'Gone', undefined, leaverKey, leaver.peerId.toString())
      const reply = await callWork(leaver, server.peerId, { type: 'offer', jobId: coordinator.job.id, dataset: signed })
      if (reply.type !== 'dataset') throw new Error(JSON.stringify(reply))
      id = reply.id
    } finally {
      await leaverExchange.stop()
      await leaver.stop()
    }
    const started = Date.now()
    await host.decideDataset(id, false, 'not wanted')
    expect(Date.now() - started).toBeLessThan(5000)
    expect(entry(id)).toMatchObject({ status: 'rejected', reason: 'not wanted' })
    expect(host.metrics().datasets.find((d) => d.id === id)).toMatchObject({ status: 'rejected', copies: 0 })
  }, 60_000)
})
