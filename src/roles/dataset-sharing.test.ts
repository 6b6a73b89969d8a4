// Sharing a contributed dataset over real libp2p between Node peers: the contributor offers a signed
// manifest, the coordinator refuses forgeries and misfits, checks every chunk before accepting, and a
// volunteer gets honest chunks even when a connected peer serves tampered copies of the same CIDs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'
import { createNodePeer, type NodePeer } from '../p2p/node-peer.ts'
import { BlockExchange } from '../p2p/block-exchange.ts'
import { callWork } from '../p2p/work-protocol.ts'
import { signManifest } from '../p2p/manifest-signature.ts'
import { buildDataset } from '../data/build-dataset.ts'
import { parseCid } from '../data/cid.ts'
import { FASHION_MNIST_SHAPE, type SampleSet } from '../data/samples.ts'
import { Coordinator } from '../training/coordinator.ts'
import { MemoryCheckpointStore } from '../training/memory-checkpoints.ts'
import { quadraticReferee } from '../training/testing/coordinator-harness.ts'
import { MemoryLogStore, MemoryVectorStore } from '../training/testing/memory-stores.ts'
import { testJob } from '../training/testing/job-fixture.ts'
import { CoordinatorHost } from './coordinator-host.ts'
import { fetchShard } from './dataset-chunks.ts'
import { seededRandom } from '../random.ts'

/** Serves every block with its last byte flipped: the CID it is asked for no longer matches. */
class TamperingBlockstore extends MemoryBlockstore {
  served = 0
  override *get(key: CID, options?: Parameters<MemoryBlockstore['get']>[1]) {
    for (const chunk of super.get(key, options) as Generator<Uint8Array>) {
      const bad = chunk.slice()
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff
      this.served++
      yield bad
    }
  }
}

const samples = (count: number): SampleSet => ({
  shape: FASHION_MNIST_SHAPE,
  count,
  pixels: Uint8Array.from({ length: count * 784 }, (_, i) => (i * 7) & 255),
  labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
  sources: [],
})

describe('dataset sharing over libp2p', () => {
  const peers: NodePeer[] = []
  const exchanges: BlockExchange[] = []
  let coordinatorPeer: NodePeer
  let contributor: NodePeer
  let forger: NodePeer
  let volunteer: NodePeer
  let host: CoordinatorHost
  let coordinator: Coordinator
  let contributorKey: Awaited<ReturnType<typeof generateKeyPair>>
  let tampering: TamperingBlockstore
  let exchange: { coordinator: BlockExchange; contributor: BlockExchange; volunteer: BlockExchange }

  beforeAll(async () => {
    contributorKey = await generateKeyPair('Ed25519')
    coordinatorPeer = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
    contributor = await createNodePeer({ privateKey: contributorKey, listenWs: { host: '127.0.0.1', port: 0 } })
    forger = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
    volunteer = await createNodePeer()
    peers.push(coordinatorPeer, contributor, forger, volunteer)
    tampering = new TamperingBlockstore()
    exchange = {
      coordinator: await BlockExchange.start(coordinatorPeer, new MemoryBlockstore()),
      contributor: await BlockExchange.start(contributor, new MemoryBlockstore()),
      volunteer: await BlockExchange.start(volunteer, new MemoryBlockstore()),
    }
    exchanges.push(exchange.coordinator, exchange.contributor, exchange.volunteer, await BlockExchange.start(forger, tampering))
    for (const [from, to] of [[contributor, coordinatorPeer], [forger, coordinatorPeer], [volunteer, forger], [volunteer, contributor], [coordinatorPeer, forger]] as const) await from.dial(multiaddr(to.getMultiaddrs()[0]!.toString()))
    const job = testJob({ coordinator: coordinatorPeer.peerId.toString(), auditRate: 0, classes: [...FASHION_MNIST_SHAPE.classes] })
    coordinator = await Coordinator.open({ job, dim: 16, initialParams: () => new Float32Array(16), flopsPerStep: 1, vectors: new MemoryVectorStore(), checkpoints: new MemoryCheckpointStore(), log: new MemoryLogStore(), referee: quadraticReferee() })
    host = await CoordinatorHost.start({ node: coordinatorPeer, exchange: exchange.coordinator, coordinator, dim: 16, announceEveryMs: 60_000, tickEveryMs: 60_000 })
  }, 30_000)

  afterAll(async () => {
    await host.stop()
    for (const e of exchanges) await e.stop()
    for (const p of peers) await p.stop()
  })

  it('takes a signed offer, refuses forgeries and misfits, checks every chunk, and volunteers get honest chunks', async () => {
    const owner = contributor.peerId.toString()
    const { manifest, chunks } = await buildDataset(samples(1500), { name: 'Stripes', licence: 'CC0-1.0', description: '' }, owner, 1)
    expect(chunks.map((c) => c.samples)).toEqual([1024, 476])
    for (const c of chunks) await exchange.contributor.put(c.bytes)
    // The forger holds the same CIDs but serves tampered bytes for them.
    for (const c of chunks) await tampering.put(parseCid(c.cid), c.bytes)
    const signed = await signManifest(contributorKey, manifest)
    const jobId = coordinator.job.id

    await expect(callWork(forger, coordinatorPeer.peerId, { type: 'offer', jobId, dataset: signed })).rejects.toThrow('the coordinator refused the offer: a dataset can only be offered by its owner')
    const edited = { ...signed, manifest: { ...manifest, licence: 'MIT' } }
    await expect(callWork(contributor, coordinatorPeer.peerId, { type: 'offer', jobId, dataset: edited })).rejects.toThrow('the manifest of "Stripes" is not signed by its owner')
    await expect(callWork(contributor, coordinatorPeer.peerId, { type: 'offer', jobId: 'other', dataset: signed })).rejects.toThrow(/runs job "job-test", not "other"/)
    const misfit = await signManifest(contributorKey, { ...manifest, classes: manifest.classes.map((c) => c.toUpperCase()) })
    expect(await callWork(contributor, coordinatorPeer.peerId, { type: 'offer', jobId, dataset: misfit })).toMatchObject({ type: 'dataset', status: 'rejected', reason: expect.stringContaining('are not this job\'s classes') })

    const reply = await callWork(contributor, coordinatorPeer.peerId, { type: 'offer', jobId, dataset: signed })
    expect(reply).toMatchObject({ type: 'dataset', status: 'pending' })
    const id = reply.type === 'dataset' ? reply.id : ''
    expect(host.metrics().datasets.find((d) => d.id === id)).toMatchObject({ name: 'Stripes', status: 'pending', samples: 1500, copies: 0 })

    await host.decideDataset(id, true)
    expect(coordinator.datasets.find((d) => d.id === id)?.status).toBe('accepted')
    // Two copies once accepted: the owner's and the coordinator's, which fetched and kept every chunk.
    expect(host.metrics().datasets.find((d) => d.id === id)!.copies).toBe(2)
    expect(await callWork(contributor, coordinatorPeer.peerId, { type: 'offer', jobId, dataset: signed })).toMatchObject({ type: 'dataset', id, status: 'accepted' })
    // Kept: the referee re-runs units on these chunks, and the coordinator serves them alongside the contributor.
    for (const c of chunks) expect(await exchange.coordinator.has(parseCid(c.cid))).toBe(true)

    // The volunteer asks the tampering peer first; its copies never match their CIDs, the owner's do.
    const got = await fetchShard(exchange.volunteer, chunks[1]!, [forger.peerId, contributor.peerId], 20_000)
    expect(got.count).toBe(476)
    expect(got.pixels).toEqual(samples(1500).pixels.subarray(1024 * 784))
    expect(tampering.served).toBeGreaterThan(0)
  }, 60_000)

  it('an unattended coordinator accepts a fitting dataset once its chunks check out and its review is clean, and leaves a flagged one to the owner', async () => {
    const node = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
    peers.push(node)
    const ex = await BlockExchange.start(node, new MemoryBlockstore())
    exchanges.push(ex)
    await contributor.dial(multiaddr(node.getMultiaddrs()[0]!.toString()))
    const job = testJob({ id: 'auto-job', coordinator: node.peerId.toString(), classes: [...FASHION_MNIST_SHAPE.classes] })
    const auto = await Coordinator.open({ job, dim: 16, initialParams: () => new Float32Array(16), flopsPerStep: 1, vectors: new MemoryVectorStore(), checkpoints: new MemoryCheckpointStore(), log: new MemoryLogStore(), referee: quadraticReferee() })
    const autoHost = await CoordinatorHost.start({ node, exchange: ex, coordinator: auto, dim: 16, datasetPolicy: 'auto', announceEveryMs: 60_000, tickEveryMs: 60_000 })
    try {
      const r = seededRandom(3)
      const distinct: SampleSet = { ...samples(30), pixels: Uint8Array.from({ length: 30 * 784 }, () => Math.floor(r() * 256)) }
      const { manifest, chunks } = await buildDataset(distinct, { name: 'Auto', licence: 'MIT', description: '' }, contributor.peerId.toString(), 3)
      await exchange.contributor.put(chunks[0]!.bytes)
      const reply = await callWork(contributor, node.peerId, { type: 'offer', jobId: 'auto-job', dataset: await signManifest(contributorKey, manifest) })
      expect(reply).toMatchObject({ type: 'dataset', status: 'pending' })
      await expect.poll(() => auto.datasets[0]?.status, { timeout: 20_000 }).toBe('accepted')
      expect(auto.datasets[0]!.review!.flags).toEqual([])
      // samples() repeats every 16th image: the review flags it, and it waits for the owner.
      const copies = await buildDataset(samples(64), { name: 'Repeats', licence: 'MIT', description: '' }, contributor.peerId.toString(), 4)
      for (const c of copies.chunks) await exchange.contributor.put(c.bytes)
      await callWork(contributor, node.peerId, { type: 'offer', jobId: 'auto-job', dataset: await signManifest(contributorKey, copies.manifest) })
      await expect.poll(() => auto.datasets[1]?.review?.flags.map((f) => f.code), { timeout: 20_000 }).toContain('NEAR_DUPLICATES')
      expect(auto.datasets[1]!.status).toBe('pending')
      expect(autoHost.sampleGrid(auto.datasets[1]!.id)).toMatchObject({ kind: 'images', count: 32 })
      // A manifest that declares the job's 28×28 over chunks that hold 14×14 images: unattended, the offer is
      // refused with the reason, not left waiting, and nothing of it is shown as reviewed.
      const small = await buildDataset({ shape: { ...FASHION_MNIST_SHAPE, height: 14, width: 14 }, count: 30, pixels: Uint8Array.from({ length: 30 * 196 }, () => Math.floor(r() * 256)), labels: Uint8Array.from({ length: 30 }, (_, i) => i % 10), sources: [] }, { name: 'Misfit', licence: 'MIT', description: '' }, contributor.peerId.toString(), 7)
      for (const c of small.chunks) await exchange.contributor.put(c.bytes)
      const misfit = await callWork(contributor, node.peerId, { type: 'offer', jobId: 'auto-job', dataset: await signManifest(contributorKey, { ...small.manifest, height: 28, width: 28 }) })
      expect(misfit).toMatchObject({ type: 'dataset', status: 'pending' })
      await expect.poll(() => auto.datasets[2]?.status, { timeout: 20_000 }).toBe('rejected')
      expect(auto.datasets[2]!.reason).toBe(`its chunks could not be checked: chunk 0 of "Misfit" holds 14×14 images of 10 classes; this job's are 28×28 with 10`)
      expect(autoHost.sampleGrid(auto.datasets[2]!.id)).toBeNull()
    } finally {
      await autoHost.stop()
    }
  }, 60_000)

  it('an owner who turns on automatic acceptance gets every clean offer waiting for it accepted, and no flagged one', async () => {
    const r = seededRandom(5)
    const clean: SampleSet = { ...samples(20), pixels: Uint8Array.from({ length: 20 * 784 }, () => Math.floor(r() * 256)) }
    const owner = contributor.peerId.toString()
    const offers = [await buildDataset(clean, { name: 'Clean', licence: 'MIT', description: '' }, owner, 5), await buildDataset(samples(48), { name: 'Flagged', licence: 'MIT', description: '' }, owner, 6)]
    const ids: string[] = []
    for (const { manifest, chunks } of offers) {
      for (const c of chunks) await exchange.contributor.put(c.bytes)
      const reply = await callWork(contributor, coordinatorPeer.peerId, { type: 'offer', jobId: coordinator.job.id, dataset: await signManifest(contributorKey, manifest) })
      if (reply.type !== 'dataset') throw new Error(JSON.stringify(reply))
      ids.push(reply.id)
    }
    const entry = (id: string) => coordinator.datasets.find((d) => d.id === id)!
    await expect.poll(() => ids.map((id) => entry(id).review?.flags.length ?? null), { timeout: 20_000 }).toEqual([0, 1])
    // Reviewed, but under the owner's policy both wait.
    expect(ids.map((id) => entry(id).status)).toEqual(['pending', 'pending'])
    expect(host.datasetPolicy).toBe('owner')
    host.setDatasetPolicy('auto')
    try {
      expect(host.datasetPolicy).toBe('auto')
      await expect.poll(() => entry(ids[0]!).status, { timeout: 20_000 }).toBe('accepted')
      expect(entry(ids[1]!).status).toBe('pending')
    } finally {
      host.setDatasetPolicy('owner')
    }
  }, 60_000)

  it('never accepts a tampered chunk when only the tampering peer has it', async () => {
    const { chunks } = await buildDataset(samples(10), { name: 'Only forged', licence: 'MIT', description: '' }, 'x', 2)
    await tampering.put(parseCid(chunks[0]!.cid), chunks[0]!.bytes)
    const before = tampering.served
    await expect(fetchShard(exchange.volunteer, chunks[0]!, [forger.peerId], 3000)).rejects.toThrow(/no peer delivered block/)
    expect(tampering.served).toBeGreaterThan(before)
    expect(await exchange.volunteer.has(parseCid(chunks[0]!.cid))).toBe(false)
  }, 30_000)

  it('takes the coordinator\'s own dataset through the same checks as anyone\'s, and refuses one it does not own or that does not fit', async () => {
    const key = await generateKeyPair('Ed25519')
    const node = await createNodePeer({ privateKey: key })
    peers.push(node)
    const ex = await BlockExchange.start(node, new MemoryBlockstore())
    exchanges.push(ex)
    const job = testJob({ id: 'own-data-job', coordinator: node.peerId.toString(), classes: [...FASHION_MNIST_SHAPE.classes] })
    const own = await Coordinator.open({ job, dim: 16, initialParams: () => new Float32Array(16), flopsPerStep: 1, vectors: new MemoryVectorStore(), checkpoints: new MemoryCheckpointStore(), log: new MemoryLogStore(), referee: quadraticReferee() })
    const ownHost = await CoordinatorHost.start({ node, exchange: ex, coordinator: own, dim: 16, announceEveryMs: 60_000, tickEveryMs: 60_000 })
    try {
      const { manifest, chunks } = await buildDataset(samples(40), { name: 'Mine', licence: 'CC0-1.0', description: '' }, node.peerId.toString(), 7)
      for (const c of chunks) await ex.put(c.bytes)
      await ownHost.includeOwnDataset(await signManifest(key, manifest))
      expect(own.datasets.map((d) => [d.name, d.status])).toEqual([['Mine', 'accepted']])
      const theirs = await buildDataset(samples(40), { name: 'Theirs', licence: 'CC0-1.0', description: '' }, contributor.peerId.toString(), 8)
      await expect(ownHost.includeOwnDataset(await signManifest(contributorKey, theirs.manifest))).rejects.toMatchObject({ code: 'DATASET_REFUSED', message: 'a dataset can only be offered by its owner' })
      const misfit = await signManifest(key, { ...manifest, name: 'Misfit', classes: manifest.classes.map((c) => c.toUpperCase()) })
      await expect(ownHost.includeOwnDataset(misfit)).rejects.toMatchObject({ code: 'DATASET_REFUSED', message: expect.stringContaining('are not this job\'s classes') })
      expect(own.datasets.map((d) => d.status)).toEqual(['accepted', 'rejected'])
    } finally {
      await ownHost.stop()
    }
  }, 30_000)
})
