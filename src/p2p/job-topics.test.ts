import { describe, expect, it } from 'vitest'
import { decodeAnnouncement, decodeHead, decodeMetrics, encodeAnnouncement, encodeHead, encodeMetrics, type Head } from './job-topics.ts'
import { testJob } from '../training/testing/job-fixture.ts'

const head: Head = { jobId: 'job-test', coordinator: 'coordinator', round: 3, version: 3, paramsCid: 'bafy', finished: false, sentAtMs: 1 }

describe('job gossip', () => {
  it('round-trips announcements, heads and metrics from the coordinator', () => {
    const job = testJob()
    expect(decodeAnnouncement(encodeAnnouncement({ job, head, addrs: [] }), 'coordinator').job).toEqual(job)
    expect(decodeHead(encodeHead(head), 'coordinator')).toEqual(head)
    const metrics = { jobId: 'job-test', coordinator: 'coordinator', sentAtMs: 1, round: 1, version: 1, deadlineMs: 5, units: { total: 4, assigned: 1, submitted: 0 }, initialAccuracy: 0.1, reports: [], peers: [],
      datasets: [{ id: 'bafk', name: 'coats', owner: 'carol', licence: 'CC0-1.0', samples: 40, status: 'accepted' as const, reason: 'accepted by the job owner', samplesUsed: 512 }] }
    expect(decodeMetrics(encodeMetrics(metrics), 'coordinator')).toEqual(metrics)
    const hostile = { ...metrics, datasets: [{ ...metrics.datasets[0], status: 'paid' }] }
    expect(() => decodeMetrics(new TextEncoder().encode(JSON.stringify(hostile)), 'coordinator')).toThrow('unknown dataset status "paid"')
    expect(() => decodeMetrics(new TextEncoder().encode(JSON.stringify({ ...metrics, datasets: new Array(65).fill(metrics.datasets[0]) })), 'coordinator')).toThrow(/at most 64/)
  })

  it('rejects messages that impersonate the coordinator', () => {
    expect(() => decodeAnnouncement(encodeAnnouncement({ job: testJob(), head, addrs: [] }), 'mallory')).toThrow(/signed by mallory/)
    expect(() => decodeHead(encodeHead(head), 'mallory')).toThrow(/signed by mallory/)
  })

  it('rejects malformed jobs with a reason', () => {
    const bad = (patch: object) => new TextEncoder().encode(JSON.stringify({ job: { ...testJob(), ...patch }, head, addrs: [] }))
    expect(() => decodeAnnouncement(bad({ model: 'gpt5' }), 'coordinator')).toThrow(/unknown model/)
    expect(() => decodeAnnouncement(bad({ train: [] }), 'coordinator')).toThrow(/at least one training shard/)
    expect(() => decodeAnnouncement(bad({ classes: ['a', 'b'] }), 'coordinator')).toThrow('names 2 classes but the mlp model has 10 outputs')
    expect(() => decodeAnnouncement(bad({ innerSteps: -1 }), 'coordinator')).toThrow(/innerSteps/)
    expect(() => decodeAnnouncement(new TextEncoder().encode('x'.repeat(200_000)), 'coordinator')).toThrow(/limit/)
  })
})
