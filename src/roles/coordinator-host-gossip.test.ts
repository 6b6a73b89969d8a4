// What the coordinator host says on gossip and in its log, and what stopping it takes away: a peer that
// subscribes hears the job and its figures at once, a closed round goes out as a new head and a log line,
// the figures carry a volunteer's credit, and a stopped host answers nobody.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Message } from '@libp2p/gossipsub'
import { callWork } from '../p2p/work-protocol.ts'
import { decodeAnnouncement, decodeHead, decodeMetrics, TOPIC_HEADS, TOPIC_JOBS, TOPIC_METRICS, type Head, type JobAnnouncement, type JobMetrics } from '../p2p/job-topics.ts'
import { startHostHarness, type HostHarness, type Volunteer } from './testing/coordinator-host-harness.ts'

describe('coordinator host: gossip, log and stop', () => {
  let h: HostHarness
  const log: string[] = []
  let listener: Volunteer
  const heard = { jobs: [] as JobAnnouncement[], heads: [] as Head[], metrics: [] as JobMetrics[] }

  beforeAll(async () => {
    // A long round: on a loaded machine a 10 s round could end before the unit is in.
    h = await startHostHarness({ unitsPerRound: 1, auditRate: 0, innerSteps: 48, innerLr: 0.05, roundMs: 600_000 }, { addrs: () => ['/ip4/127.0.0.1/tcp/1/ws'], log: (line) => log.push(line) })
    listener = await h.volunteer()
    const from = h.server.peerId.toString()
    listener.node.services.pubsub.addEventListener('message', (event: CustomEvent<Message>) => {
      const m = event.detail
      if (m.topic === TOPIC_JOBS) heard.jobs.push(decodeAnnouncement(m.data, from))
      if (m.topic === TOPIC_HEADS) heard.heads.push(decodeHead(m.data, from))
      if (m.topic === TOPIC_METRICS) heard.metrics.push(decodeMetrics(m.data, from))
    })
    for (const topic of [TOPIC_JOBS, TOPIC_HEADS, TOPIC_METRICS]) listener.node.services.pubsub.subscribe(topic)
  }, 30_000)

  afterAll(async () => h?.stop())

  it('announces the job with its head and addresses, and sends its figures, as soon as a peer subscribes (not after its 60 s period)', async () => {
    await expect.poll(() => heard.jobs.length, { timeout: 10_000 }).toBeGreaterThan(0)
    expect(heard.jobs[0]).toMatchObject({ job: { id: h.coordinator.job.id }, head: { round: 0, coordinator: h.server.peerId.toString() }, addrs: ['/ip4/127.0.0.1/tcp/1/ws'] })
    await expect.poll(() => heard.metrics.length, { timeout: 10_000 }).toBeGreaterThan(0)
    expect(heard.metrics[0]).toMatchObject({ jobId: h.coordinator.job.id, round: 0, units: { total: 1, assigned: 0, verifying: 0, accepted: 0 } })
  })

  it('publishes a closed round as a new head, logs it, and sends figures with the volunteer\'s credit', async () => {
    const v = await h.volunteer()
    // A new peer's first unit may be a short probe, which closes no round: work until round 0 closes.
    for (let i = 0; i < 3 && h.coordinator.view.current.round === 0; i++) {
      const result = await h.work(v)
      expect(await callWork(v.node, h.server.peerId, { type: 'submit', result, signature: await h.sign(v.key, result) })).toMatchObject({ accepted: true })
      await h.coordinator.settled()
    }
    expect(h.coordinator.view.current.round).toBe(1)
    await expect.poll(() => heard.heads.find((head) => head.round === 1), { timeout: 10_000 }).toMatchObject({ version: 1, jobId: h.coordinator.job.id, finished: false })
    expect(log).toContain('round 0 closed: version 1, 1 units accepted, 0 rejected, test accuracy n/a')
    // Figures carrying the credit follow the verdict, and the closed round's report follows the close (on a
    // loaded machine a first send may go out between the two: the verdict is news at once, the close takes longer).
    const credited = (m: (typeof heard.metrics)[number]) => m.peers.some((p) => p.peer === v.id && p.flops > 0)
    await expect.poll(() => heard.metrics.find(credited), { timeout: 10_000 }).toBeDefined()
    await expect.poll(() => heard.metrics.find((m) => credited(m) && m.reports.at(-1)?.round === 0), { timeout: 10_000 }).toBeDefined()
    const first = heard.metrics.find((m) => credited(m) && m.reports.at(-1)?.round === 0)!
    expect(first.peers.find((p) => p.peer === v.id)).toMatchObject({ accepted: expect.any(Number), rejected: 0, banned: false, backend: 'js' })
    expect(first.reports.at(-1)).toMatchObject({ round: 0, version: 1, accepted: 1 })
  }, 30_000)

  it('once stopped, answers no work request, records no departure and publishes nothing more', async () => {
    const v = await h.volunteer()
    await h.stopHost()
    // Whatever was sent just before the stop has arrived by now.
    await new Promise((r) => setTimeout(r, 1000))
    const published = heard.jobs.length + heard.metrics.length + heard.heads.length
    await expect(callWork(v.node, h.server.peerId, { type: 'request', jobId: h.coordinator.job.id, backend: 'wasm' })).rejects.toThrow()
    await v.node.stop()
    await new Promise((r) => setTimeout(r, 1500))
    expect(h.coordinator.view.peers[v.id]?.left ?? false).toBe(false)
    // A new subscriber would have been answered at once while the host ran.
    listener.node.services.pubsub.unsubscribe(TOPIC_JOBS)
    listener.node.services.pubsub.subscribe(TOPIC_JOBS)
    await new Promise((r) => setTimeout(r, 1500))
    expect(heard.jobs.length + heard.metrics.length + heard.heads.length).toBe(published)
  }, 30_000)
})
