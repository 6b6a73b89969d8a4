// The coordinator host's figures (what the dashboard and every volunteer's credit line read) as they follow
// the work: units assigned and being checked, a volunteer's speed as published, and a chunk reported missing
// by a peer that holds no unit on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callWork } from '../p2p/work-protocol.ts'
import { decodeAnnouncement, TOPIC_JOBS, TOPIC_METRICS } from '../p2p/job-topics.ts'
import { startHostHarness, type HostHarness } from './testing/coordinator-host-harness.ts'

describe('coordinator host: figures', () => {
  let h: HostHarness
  const log: string[] = []

  beforeAll(async () => {
    h = await startHostHarness({ unitsPerRound: 2, auditRate: 0, innerSteps: 48, innerLr: 0.05, roundMs: 600_000 }, { log: (line) => log.push(line) })
  }, 30_000)

  afterAll(async () => h?.stop())

  it('counts a unit handed out as assigned, not as being checked or accepted', async () => {
    expect(h.host.metrics().units).toEqual({ total: 2, assigned: 0, verifying: 0, accepted: 0 })
    const v = await h.volunteer()
    const reply = await callWork(v.node, h.server.peerId, { type: 'request', jobId: h.coordinator.job.id, backend: 'wasm' })
    expect(reply.type).toBe('unit')
    expect(h.host.metrics().units).toEqual({ total: 2, assigned: 1, verifying: 0, accepted: 0 })
  })

  it('refuses to move a unit off a chunk for a peer that holds no unit on it, and logs no move', async () => {
    const v = await h.volunteer()
    const unitId = h.coordinator.view.current.units[0]!.id
    const cid = h.coordinator.job.train[0]!.cid
    expect(await callWork(v.node, h.server.peerId, { type: 'missing', jobId: h.coordinator.job.id, unitId, cid })).toMatchObject({ type: 'ack', accepted: false })
    expect(log.some((line) => line.includes('moved off chunk'))).toBe(false)
  })

  it('publishes a volunteer\'s speed to one decimal, as the coordinator measured it', async () => {
    const v = await h.volunteer()
    for (let i = 0; i < 3 && !(h.coordinator.view.peers[v.id]?.samplesPerSecond); i++) {
      const result = await h.work(v)
      await callWork(v.node, h.server.peerId, { type: 'submit', result, signature: await h.sign(v.key, result) })
      await h.coordinator.settled()
    }
    const measured = h.coordinator.view.peers[v.id]!.samplesPerSecond!
    expect(measured).toBeGreaterThan(0)
    const published = h.host.metrics().peers.find((p) => p.peer === v.id)!
    expect(published.samplesPerSecond).toBe(Math.round(measured * 10) / 10)
    expect(Math.abs(published.samplesPerSecond - measured)).toBeLessThanOrEqual(0.05)
  }, 30_000)
})

describe('coordinator host: its own tab, and settlement in turn', () => {
  let h: HostHarness
  const log: string[] = []
  const calls: string[] = []
  let epochs: Array<() => Promise<{ posted: false; reason: string }>> = []
  let release: () => void = () => undefined

  beforeAll(async () => {
    const settlement = {
      closeEpoch: async () => {
        calls.push('epoch:start')
        const next = epochs.shift()
        try {
          return next ? await next() : { posted: false as const, reason: 'nothing to post' }
        } finally {
          calls.push('epoch:end')
        }
      },
      followGovernance: async () => {
        calls.push('governance')
        if (calls.filter((c) => c === 'governance').length === 2) throw new Error('chain unreachable')
        return []
      },
    }
    h = await startHostHarness({ unitsPerRound: 1, auditRate: 0, innerSteps: 48, innerLr: 0.05, roundMs: 600_000 }, {
      // 20 addresses: an announcement carries at most 16.
      addrs: () => Array.from({ length: 20 }, (_, i) => `/ip4/127.0.0.1/tcp/${1000 + i}/ws`),
      settlement: () => settlement as never,
      governanceEveryMs: 150,
      log: (line) => log.push(line),
    })
  }, 30_000)

  afterAll(async () => {
    release()
    await h?.stop()
  })

  it('reads governance decisions at once and then periodically, and logs a failed read', async () => {
    expect(calls[0]).toBe('governance')
    await expect.poll(() => calls.filter((c) => c === 'governance').length, { timeout: 5000 }).toBeGreaterThanOrEqual(3)
    expect(log).toContain('reading governance decisions failed: chain unreachable')
  })

  it('delivers its own announcements to its own tab (gossip never echoes them), with at most 16 addresses', async () => {
    const own: Array<{ topic: string; data: Uint8Array }> = []
    h.server.services.pubsub.addEventListener('message', (event) => own.push(event.detail as { topic: string; data: Uint8Array }))
    // A subscriber appearing makes the host announce at once.
    const v = await h.volunteer()
    v.node.services.pubsub.subscribe(TOPIC_JOBS)
    await expect.poll(() => own.find((m) => m.topic === TOPIC_JOBS), { timeout: 10_000 }).toBeDefined()
    const announcement = decodeAnnouncement(own.find((m) => m.topic === TOPIC_JOBS)!.data, h.server.peerId.toString())
    expect(announcement.addrs).toEqual(Array.from({ length: 16 }, (_, i) => `/ip4/127.0.0.1/tcp/${1000 + i}/ws`))
  })

  it('closes an epoch after each round one at a time, never beside a governance read, and logs why none was posted or a failure', async () => {
    let finish: () => void = () => undefined
    epochs = [() => new Promise((resolve) => (finish = () => resolve({ posted: false, reason: 'below the minimum' }))), () => Promise.reject(new Error('nonce too low'))]
    release = () => finish()
    const before = calls.length
    void h.host.closeEpoch()
    void h.host.closeEpoch()
    await expect.poll(() => calls.slice(before).includes('epoch:start'), { timeout: 5000 }).toBe(true)
    // While the first epoch waits on the chain, neither the second nor a governance read starts.
    await new Promise((r) => setTimeout(r, 600))
    expect(calls.slice(before)).toEqual(['epoch:start'])
    finish()
    await expect.poll(() => log.includes('posting the epoch failed (retried after the next round): nonce too low'), { timeout: 5000 }).toBe(true)
    expect(log).toContain('no epoch posted: below the minimum')
    expect(calls.slice(before, before + 4)).toEqual(['epoch:start', 'epoch:end', 'epoch:start', 'epoch:end'])
  })
})

describe('coordinator host: its clocks', () => {
  let h: HostHarness
  const own: string[] = []

  beforeAll(async () => {
    h = await startHostHarness({ unitsPerRound: 1, auditRate: 0, innerSteps: 48, roundMs: 1500 }, { announceEveryMs: 200, tickEveryMs: 100 })
    h.server.services.pubsub.addEventListener('message', (event) => own.push(event.detail.topic))
  }, 30_000)

  afterAll(async () => h?.stop())

  it('closes a round at its deadline though its unit never came back, announces the job and sends its figures on its own clock', async () => {
    const v = await h.volunteer()
    expect((await callWork(v.node, h.server.peerId, { type: 'request', jobId: h.coordinator.job.id, backend: 'wasm' })).type).toBe('unit')
    // Nothing is submitted and nobody else asks: only the host's timers can move anything now.
    await expect.poll(() => h.coordinator.view.current.round, { timeout: 10_000 }).toBeGreaterThanOrEqual(1)
    const from = own.length
    await new Promise((r) => setTimeout(r, 3500))
    const since = own.slice(from)
    // Announcements at most once a second whatever the period asked; figures at least every 3 s.
    expect(since.filter((t) => t === TOPIC_JOBS).length).toBeGreaterThanOrEqual(2)
    expect(since.filter((t) => t === TOPIC_METRICS).length).toBeGreaterThanOrEqual(1)
  }, 30_000)
})
