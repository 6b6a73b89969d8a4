// The swarm end to end in Node: a real relay, a coordinator and four volunteers (one Byzantine) talking
// libp2p over loopback WebSockets, Bitswap for parameters, shards and deltas, ORT wasm for every unit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRelayNode, relayAddrs } from '../../src/p2p/relay-node.ts'
import { loadFashionMnist } from '../fashion-mnist.ts'
import { startHeadlessCoordinator, startHeadlessVolunteer } from './headless.ts'
import { subset } from './subset.ts'
import { ATTACKS } from '../../src/training/testing/adversaries.ts'

type Relay = Awaited<ReturnType<typeof createRelayNode>>
type CoordinatorPeer = Awaited<ReturnType<typeof startHeadlessCoordinator>>
type VolunteerPeer = Awaited<ReturnType<typeof startHeadlessVolunteer>>

const ROUNDS = 5

describe('swarm training over libp2p', () => {
  let relay: Relay
  let dataDir: string
  let coordinator: CoordinatorPeer
  const volunteers: VolunteerPeer[] = []
  const log: string[] = []

  beforeAll(async () => {
    relay = await createRelayNode({ host: '127.0.0.1', port: 0 })
    dataDir = await mkdtemp(join(tmpdir(), 'tesserae-coordinator-'))
    const [train, test] = await Promise.all([loadFashionMnist('train'), loadFashionMnist('test')])
    coordinator = await startHeadlessCoordinator({
      relayAddrs: relayAddrs(relay),
      dataDir,
      host: '127.0.0.1',
      train: subset(train, 0, 4096),
      test: subset(test, 0, 1000),
      shardSize: 256,
      overrides: { model: 'mlp', batchSize: 32, innerSteps: 16, unitsPerRound: 4, auditRate: 1, roundMs: 30_000, rounds: ROUNDS },
      log: (line) => log.push(`coordinator: ${line}`),
    })
    for (const byzantine of [undefined, undefined, undefined, 'flip'] as const) {
      volunteers.push(await startHeadlessVolunteer({ relayAddrs: relayAddrs(relay), dataDir: null, attack: byzantine && ATTACKS[byzantine](), log: (line) => log.push(`${byzantine ?? 'honest'}: ${line}`) }))
    }
  }, 60_000)

  afterAll(async () => {
    for (const v of volunteers) await v.stop()
    await coordinator?.stop()
    await relay?.stop()
    await rm(dataDir, { recursive: true, force: true })
  }, 60_000)

  it('trains for several rounds, rejects the Byzantine volunteer and accepts every honest unit', async () => {
    const deadline = Date.now() + 150_000
    while (!coordinator.coordinator.view.finished && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250))
    const view = coordinator.coordinator.view
    expect(view.finished, log.slice(-20).join('\n')).toBe(true)
    expect(view.history).toHaveLength(ROUNDS)
    const accuracies = view.history.map((r) => r.testAccuracy!)
    expect(accuracies.at(-1)!).toBeGreaterThan(view.initialAccuracy! + 0.3)
    const byzantine = view.peers[volunteers[3]!.node.peerId.toString()]!
    expect(byzantine.accepted).toBe(0)
    expect(byzantine.rejected).toBeGreaterThan(0)
    for (const honest of volunteers.slice(0, 3)) {
      const record = view.peers[honest.node.peerId.toString()]
      expect(record?.rejected ?? 0, JSON.stringify(view.history.flatMap((r) => r.rejections), null, 1)).toBe(0)
      expect(coordinator.coordinator.credits.volunteer(honest.node.peerId.toString()).units).toBe(record?.accepted ?? 0)
    }
    expect(view.history.reduce((n, r) => n + r.accepted, 0)).toBeGreaterThanOrEqual(ROUNDS * 3)
    expect(coordinator.coordinator.credits.dataOwner(coordinator.node.peerId.toString()).samples).toBe(view.history.reduce((n, r) => n + r.samples, 0))
  }, 180_000)
})
