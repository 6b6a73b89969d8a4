// A contributor's data outlives the contributor's tab: a real relay, a headless coordinator (on disk) and two
// headless volunteers over loopback libp2p. The contributor offers a dataset, the owner accepts it after its
// chunks check out, the volunteers train on it and pin what they fetched; then the contributor leaves. The
// next three rounds must close on time and keep using its data from the other copies, and so must three
// rounds after the whole stack restarts from the coordinator's checkpoint with fresh volunteers.
import { afterAll, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createRelayNode, relayAddrs } from '../../src/p2p/relay-node.ts'
import { createNodePeer } from '../../src/p2p/node-peer.ts'
import { BlockExchange } from '../../src/p2p/block-exchange.ts'
import { callWork } from '../../src/p2p/work-protocol.ts'
import { signManifest } from '../../src/p2p/manifest-signature.ts'
import { buildDataset } from '../../src/data/build-dataset.ts'
import { FASHION_MNIST_SHAPE } from '../../src/data/samples.ts'
import type { RoundReport } from '../../src/training/coordinator-state.ts'
import { loadFashionMnist } from '../fashion-mnist.ts'
import { subset } from './subset.ts'
import { startHeadlessCoordinator, startHeadlessVolunteer } from './headless.ts'

const ROUND_MS = 20_000
/** A round closes within a tick (1 s) of its deadline, plus aggregation and evaluation on a busy machine. */
const CLOSE_SLACK_MS = 6_000

type Stoppable = { stop(): unknown }
const running: Stoppable[] = []
let dataDir = ''

afterAll(async () => {
  for (const p of running.reverse()) await Promise.resolve(p.stop()).catch(() => undefined)
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

it('keeps every round on time and keeps training on a contributor\'s data after the contributor leaves, across a coordinator restart', async () => {
  const log: string[] = []
  const note = (who: string) => (line: string) => log.push(`${Math.round(performance.now())} ${who}: ${line}`)
  const [train, test] = await Promise.all([loadFashionMnist('train'), loadFashionMnist('test')])
  dataDir = await mkdtemp(join(tmpdir(), 'tesserae-availability-'))
  const overrides = { model: 'mlp' as const, batchSize: 32, innerSteps: 16, unitsPerRound: 4, roundMs: ROUND_MS, auditRate: 0.25, replication: 3 }
  const startStack = async () => {
    const relay = await createRelayNode({ host: '127.0.0.1', port: 0 })
    running.push(relay)
    const coordinator = await startHeadlessCoordinator({ relayAddrs: relayAddrs(relay), dataDir, host: '127.0.0.1', train: subset(train, 0, 1024), test: subset(test, 0, 500), evalLimit: 500, shardSize: 256, overrides, log: note('coordinator') })
    running.push(coordinator)
    const volunteers: Array<Awaited<ReturnType<typeof startHeadlessVolunteer>>> = []
    for (const name of ['v0', 'v1']) {
      const v = await startHeadlessVolunteer({ relayAddrs: relayAddrs(relay), dataDir: null, log: note(name) })
      running.push(v)
      volunteers.push(v)
    }
    return { relay, coordinator, volunteers, async stop() {
      for (const v of volunteers) await v.stop()
      await coordinator.stop()
      await relay.stop()
      running.length = 0
    } }
  }
  let stack = await startStack()
  const copies = () => stack.coordinator.host.metrics().datasets[0]?.copies ?? 0
  const owned = () => stack.coordinator.coordinator.credits.dataOwner(owner).samples
  /** The next `n` rounds to close, or whatever closed before `limitMs` ran out. */
  const nextRounds = async (n: number, limitMs: number): Promise<RoundReport[]> => {
    const start = stack.coordinator.coordinator.view.history.length
    const end = Date.now() + limitMs
    while (stack.coordinator.coordinator.view.history.length < start + n && Date.now() < end) await new Promise((r) => setTimeout(r, 250))
    return stack.coordinator.coordinator.view.history.slice(start, start + n)
  }
  const explain = (rounds: RoundReport[]) => `${JSON.stringify(rounds.map((r) => ({ round: r.round, ms: r.closedAtMs - r.startedAtMs, accepted: r.accepted, dropped: r.dropped })))}\n${log.slice(-30).join('\n')}`

  // The contributor: its own peer and block store, dialled straight to the coordinator.
  const key = await generateKeyPair('Ed25519')
  const contributor = await createNodePeer({ privateKey: key })
  const contributorBlocks = await BlockExchange.start(contributor, new MemoryBlockstore())
  running.push(contributor, contributorBlocks)
  const owner = contributor.peerId.toString()
  await contributor.dial(multiaddr(stack.coordinator.node.getMultiaddrs().find((a) => a.toString().includes('/ws/'))!.toString()))
  const part = subset(train, 5000, 2048)
  const { manifest, chunks } = await buildDataset({ shape: FASHION_MNIST_SHAPE, count: part.count, pixels: part.pixels, labels: part.labels, sources: [] }, { name: 'Contributed', licence: 'CC0-1.0', description: '' }, owner, 1)
  for (const chunk of chunks) await contributorBlocks.put(chunk.bytes)
  const reply = await callWork(contributor, stack.coordinator.node.peerId, { type: 'offer', jobId: stack.coordinator.job.id, dataset: await signManifest(key, manifest) })
  expect(reply).toMatchObject({ type: 'dataset', status: 'pending' })
  await stack.coordinator.host.decideDataset(reply.type === 'dataset' ? reply.id : '', true)
  // Owner and coordinator hold it from the moment it is accepted; volunteers add copies as they train and copy.
  expect(copies()).toBe(2)

  const before = await nextRounds(2, 4 * ROUND_MS)
  expect(before, explain(before)).toHaveLength(2)
  expect(owned(), 'the contributed data was trained on').toBeGreaterThan(0)
  await expect.poll(copies, { timeout: 2 * ROUND_MS, interval: 250 }).toBeGreaterThanOrEqual(3)

  await contributorBlocks.stop()
  await contributor.stop()
  const leftAt = Date.now()
  await expect.poll(copies, { timeout: 5_000, interval: 100 }).toBeGreaterThanOrEqual(2)
  const usedBeforeLeaving = owned()
  const after = await nextRounds(3, 3 * (ROUND_MS + CLOSE_SLACK_MS))
  expect(after, explain(after)).toHaveLength(3)
  for (const r of after) {
    expect(r.closedAtMs - Math.max(r.startedAtMs, leftAt), `round ${r.round}\n${explain(after)}`).toBeLessThan(ROUND_MS + CLOSE_SLACK_MS)
    expect(r.accepted, `round ${r.round}\n${explain(after)}`).toBeGreaterThan(0)
  }
  expect(owned(), 'its data kept being trained on from other peers\' copies').toBeGreaterThan(usedBeforeLeaving)

  // Restart everything but the contributor: the coordinator resumes from its checkpoint and serves its own copy.
  await stack.stop()
  stack = await startStack()
  const restartedAt = Date.now()
  expect(copies()).toBeGreaterThanOrEqual(1)
  const usedBeforeRestart = owned()
  const restarted = await nextRounds(3, 3 * (ROUND_MS + CLOSE_SLACK_MS) + 10_000)
  expect(restarted, explain(restarted)).toHaveLength(3)
  for (const r of restarted) expect(r.closedAtMs - Math.max(r.startedAtMs, restartedAt), `round ${r.round}\n${explain(restarted)}`).toBeLessThan(ROUND_MS + CLOSE_SLACK_MS)
  expect(restarted.slice(1).every((r) => r.accepted > 0), explain(restarted)).toBe(true)
  expect(owned(), explain(restarted)).toBeGreaterThan(usedBeforeRestart)
  console.log(`round close times (ms): after leaving ${after.map((r) => r.closedAtMs - r.startedAtMs).join(', ')}; after restart ${restarted.map((r) => r.closedAtMs - Math.max(r.startedAtMs, restartedAt)).join(', ')}; copies ${copies()}`)
}, 300_000)
