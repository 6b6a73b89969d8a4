// The coordinator's host over real libp2p between Node peers: a volunteer whose connection closes loses its
// unit to the next peer at once, and submissions the host refuses before they reach the coordinator (a
// forged signature, a delta that does not decode) open the unit to others and cost the sender.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import type { NodePeer } from '../p2p/node-peer.ts'
import { callWork } from '../p2p/work-protocol.ts'
import { putChunked } from '../p2p/chunked.ts'
import { toHex } from '../hex.ts'
import type { Coordinator } from '../training/coordinator.ts'
import { buildDataset } from '../data/build-dataset.ts'
import { cidOf } from '../data/cid.ts'
import { signManifest } from '../p2p/manifest-signature.ts'
import { resultSigningBytes, type UnitAssignment, type UnitResult } from '../training/unit.ts'
import type { CoordinatorHost } from './coordinator-host.ts'
import { startHostHarness, type HostHarness, type Volunteer } from './testing/coordinator-host-harness.ts'

describe('coordinator host over libp2p', () => {
  let h: HostHarness
  let server: NodePeer
  let coordinator: Coordinator
  const volunteer = () => h.volunteer()

  async function unitFor(node: NodePeer): Promise<UnitAssignment> {
    const reply = await callWork(node, server.peerId, { type: 'request', jobId: coordinator.job.id, backend: 'wasm' })
    if (reply.type !== 'unit') throw new Error(`expected a unit, got ${JSON.stringify(reply)}`)
    return reply.unit
  }

  const holderOf = (unitId: string, peer: string) => coordinator.view.current.units.find((u) => u.id === unitId)?.holders.find((h) => h.peer === peer)

  beforeAll(async () => {
    h = await startHostHarness({ unitsPerRound: 3, auditRate: 0 })
    ;({ server, coordinator } = h)
  }, 30_000)

  afterAll(async () => h?.stop())

  it('releases a volunteer\'s unit the moment its connection closes, and gives it to the next peer', async () => {
    const leaver = await volunteer()
    const unit = await unitFor(leaver.node)
    const id = leaver.node.peerId.toString()
    expect(holderOf(unit.unitId, id)?.status).toBe('assigned')
    await leaver.node.stop()
    await expect.poll(() => holderOf(unit.unitId, id)?.status, { timeout: 5000 }).toBe('released')
    expect(coordinator.view.peers[id]?.left).toBe(true)
    const next = await volunteer()
    expect((await unitFor(next.node)).unitId).toBe(unit.unitId)
  })

  it('refuses a forged signature and an undecodable delta, reopening the unit and costing the sender', async () => {
    const cheat = await volunteer()
    const id = cheat.node.peerId.toString()
    const unit = await unitFor(cheat.node)
    const deltaCid = await putChunked(cheat.exchange, 'delta', new Uint8Array(20))
    const result: UnitResult = {
      unitId: unit.unitId, jobId: unit.jobId, round: unit.round, version: unit.version, deltaCid, deltaBytes: 20, lossBefore: 1, lossAfter: 0.5,
      samples: unit.batchSize * unit.innerSteps, flops: 1, trajectoryHash: 'ab', checkpoints: [], segmentLosses: [1], backend: 'wasm', elapsedMs: 1,
    }
    const forged = await callWork(cheat.node, server.peerId, { type: 'submit', result, signature: '00'.repeat(64) })
    expect(forged).toMatchObject({ type: 'ack', accepted: false, verdict: { code: 'BAD_SIGNATURE' } })
    expect(holderOf(unit.unitId, id)?.status).toBe('rejected')
    const again = await unitFor(cheat.node)
    expect(again.unitId).not.toBe(unit.unitId)
    const garbled = { ...result, unitId: again.unitId }
    const signature = toHex(await cheat.key.sign(resultSigningBytes(garbled)))
    const refused = await callWork(cheat.node, server.peerId, { type: 'submit', result: garbled, signature })
    expect(refused).toMatchObject({ type: 'ack', accepted: false, verdict: { code: 'MALFORMED_DELTA' } })
    expect(coordinator.view.peers[id]!.reputation).toBeLessThan(0.35)
    expect(coordinator.view.peers[id]!.banned).toBe(true)
    // The figures name why: what a volunteer's own page shows it.
    expect(coordinator.view.peers[id]!.ban?.code).toBe('MALFORMED_DELTA')
    expect(h.host.metrics().peers.find((p) => p.peer === id)).toMatchObject({ banned: true, bannedFor: 'MALFORMED_DELTA', rejected: 2 })
  })
})

// An honest volunteer's unit over libp2p end to end, and every way the host refuses a submission before the
// coordinator sees it: the signature is checked against the connection's own peer key over exactly the
// fields submitted, and the evidence is fetched from that volunteer only while it is connected.
describe('coordinator host: signatures and evidence', () => {
  let h: HostHarness
  let server: NodePeer
  let host: CoordinatorHost
  let coordinator: Coordinator
  const volunteer = () => h.volunteer()
  const work = (v: Volunteer, serveCheckpoints = true) => h.work(v, serveCheckpoints)
  const sign = (key: PrivateKey, result: UnitResult) => h.sign(key, result)
  const holder = (unitId: string, peer: string) => coordinator.view.current.units.find((u) => u.id === unitId)?.holders.find((h) => h.peer === peer)

  beforeAll(async () => {
    h = await startHostHarness({ unitsPerRound: 6, auditRate: 0, innerSteps: 48, innerLr: 0.05 })
    ;({ server, host, coordinator } = h)
  }, 30_000)

  afterAll(async () => h?.stop())

  it('takes an honest unit signed by the sender\'s own key, and verifies it from the sender\'s checkpoints', async () => {
    const v = await volunteer()
    const result = await work(v)
    const ack = await callWork(v.node, server.peerId, { type: 'submit', result, signature: await sign(v.key, result) })
    expect(ack).toEqual({ type: 'ack', accepted: true, verdict: { code: 'RECEIVED', params: {} } })
    await coordinator.settled()
    // A new peer's first unit is always audited: every checkpoint came from the volunteer over Bitswap.
    expect(holder(result.unitId, v.id)).toMatchObject({ status: 'accepted', audit: { reason: 'probation', outcome: 'passed', segments: 3 } })
    expect(host.metrics().peers.find((p) => p.peer === v.id)).toMatchObject({ accepted: 1, rejected: 0, auditsPassed: 1, flops: 48, pendingFlops: 0, banned: false, backend: 'js' })
  }, 30_000)

  it('refuses a valid signature by another key, and the sender\'s signature over different fields', async () => {
    const v = await volunteer()
    const result = await work(v)
    const other = await generateKeyPair('Ed25519')
    expect(await callWork(v.node, server.peerId, { type: 'submit', result, signature: await sign(other, result) })).toMatchObject({ type: 'ack', accepted: false, verdict: { code: 'BAD_SIGNATURE' } })
    expect(holder(result.unitId, v.id)).toMatchObject({ status: 'rejected', verdict: { code: 'BAD_SIGNATURE' } })
    const w = await volunteer()
    const honest = await work(w)
    const signature = await sign(w.key, honest)
    for (const changed of [{ lossAfter: honest.lossAfter / 2 }, { samples: honest.samples + 1 }, { checkpoints: [...honest.checkpoints].reverse() }, { deltaCid: result.deltaCid }]) {
      expect(await callWork(w.node, server.peerId, { type: 'submit', result: { ...honest, ...changed }, signature }), JSON.stringify(changed)).toMatchObject({ accepted: false, verdict: { code: 'BAD_SIGNATURE' } })
    }
    expect(coordinator.view.peers[w.id]).toMatchObject({ rejected: 1, reputation: 0.5 })
  }, 30_000)

  it('refuses a delta that cannot be fetched as unavailable, opening the unit again', async () => {
    const v = await volunteer()
    const result = { ...(await work(v)), deltaCid: 'not-a-cid' }
    const ack = await callWork(v.node, server.peerId, { type: 'submit', result, signature: await sign(v.key, result) })
    expect(ack).toMatchObject({ accepted: false, verdict: { code: 'DELTA_UNAVAILABLE', params: { detail: expect.stringContaining('not-a-cid') } } })
    expect(holder(result.unitId, v.id)?.status).toBe('rejected')
    expect(coordinator.view.peers[v.id]!.reputation).toBe(1)
  }, 30_000)

  it('holds nothing against a volunteer that disconnects while its evidence is being fetched', async () => {
    const v = await volunteer()
    const result = await work(v, false)
    const ack = await callWork(v.node, server.peerId, { type: 'submit', result, signature: await sign(v.key, result) })
    expect(ack).toMatchObject({ accepted: true })
    await v.node.stop()
    await coordinator.settled()
    expect(holder(result.unitId, v.id)).toMatchObject({ status: 'rejected', verdict: { code: 'UNVERIFIED' }, audit: { outcome: 'error' } })
    expect(coordinator.view.peers[v.id]).toMatchObject({ rejected: 0, reputation: 1, banned: false })
  }, 30_000)

  it('goes on fetching a volunteer\'s evidence when another peer disconnects', async () => {
    const v = await volunteer()
    const bystander = await volunteer()
    const result = await work(v, false)
    expect(await callWork(v.node, server.peerId, { type: 'submit', result, signature: await sign(v.key, result) })).toMatchObject({ accepted: true })
    // The checkpoints are being fetched (nobody serves them yet) when someone else leaves.
    await new Promise((r) => setTimeout(r, 300))
    await bystander.node.stop()
    await new Promise((r) => setTimeout(r, 300))
    await h.serveHeldCheckpoints(v)
    await coordinator.settled()
    expect(holder(result.unitId, v.id)).toMatchObject({ status: 'accepted', audit: { outcome: 'passed' } })
  }, 30_000)

  it('answers requests for another job, bindings without settlement, and offers for another job or by a non-owner with an error', async () => {
    const v = await volunteer()
    await expect(callWork(v.node, server.peerId, { type: 'request', jobId: 'other', backend: 'wasm' })).rejects.toThrow(`the coordinator refused the request: this coordinator runs job "${coordinator.job.id}", not "other"`)
    // A chunk reported missing for another job moves nothing here; for this job, only a unit the peer holds moves.
    const reply = await callWork(v.node, server.peerId, { type: 'request', jobId: coordinator.job.id, backend: 'wasm' })
    if (reply.type !== 'unit') throw new Error(`expected a unit, got ${JSON.stringify(reply)}`)
    const cid = (await cidOf(Uint8Array.of(1))).toString()
    await expect(callWork(v.node, server.peerId, { type: 'missing', jobId: 'other', unitId: reply.unit.unitId, cid })).rejects.toThrow(`this coordinator runs job "${coordinator.job.id}", not "other"`)
    expect(holder(reply.unit.unitId, v.id)).toMatchObject({ status: 'assigned' })
    expect(await callWork(v.node, server.peerId, { type: 'missing', jobId: coordinator.job.id, unitId: 'no-such-unit', cid })).toEqual({ type: 'ack', accepted: false, verdict: { code: 'RECEIVED', params: {} } })
    expect(holder(reply.unit.unitId, v.id)).toMatchObject({ status: 'assigned' })
    await expect(callWork(v.node, server.peerId, { type: 'bind', binding: { job: coordinator.job.id, peer: v.id, wallet: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', expiry: 2e9, signature: '0x12' } })).rejects.toThrow('this job pays no on-chain rewards, so there is nothing to bind a wallet to')
    const shape = { height: 28, width: 28, classes: coordinator.job.classes }
    const { manifest } = await buildDataset({ shape, count: 1, pixels: new Uint8Array(784), labels: Uint8Array.of(0), sources: [{ file: 'f', row: 1 }] }, { name: 'one', licence: 'MIT', description: '' }, v.id, 1)
    const signed = await signManifest(v.key, manifest)
    await expect(callWork(v.node, server.peerId, { type: 'offer', jobId: 'other', dataset: signed })).rejects.toThrow(`this coordinator runs job "${coordinator.job.id}", not "other"`)
    const stranger = await volunteer()
    await expect(callWork(stranger.node, server.peerId, { type: 'offer', jobId: coordinator.job.id, dataset: signed })).rejects.toThrow('a dataset can only be offered by its owner')
    expect(coordinator.datasets).toHaveLength(0)
    await expect(host.decideDataset('missing', true)).rejects.toMatchObject({ code: 'UNKNOWN_DATASET' })
  }, 30_000)

  it('announces its head and metrics as the coordinator it is', () => {
    const head = host.head()
    const round = coordinator.view.current
    expect(head).toMatchObject({ jobId: coordinator.job.id, coordinator: server.peerId.toString(), round: round.round, version: round.version, paramsCid: round.paramsCid, finished: false, auditCommitment: round.secretCommitment })
    const metrics = host.metrics()
    expect(metrics).toMatchObject({ jobId: coordinator.job.id, coordinator: server.peerId.toString(), round: round.round, deadlineMs: round.deadlineMs, units: { total: 6 } })
    const holders = round.units.flatMap((u) => u.holders)
    expect(metrics.units).toEqual({ total: 6, assigned: holders.filter((h) => h.status === 'assigned').length, verifying: 0, accepted: round.units.filter((u) => u.outcome === 'accepted').length })
    expect(metrics.units.accepted).toBeGreaterThan(0)
  })
})

