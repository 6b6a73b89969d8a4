import { describe, expect, it } from 'vitest'
import { decodeAnnouncement, decodeHead, decodeMetrics, encodeAnnouncement, encodeHead, encodeMetrics, encodeMetricsFitting, MAX_METRICS_BYTES, type Head, type JobMetrics } from './job-topics.ts'
import { testJob } from '../training/testing/job-fixture.ts'

const head: Head = { jobId: 'job-test', coordinator: 'coordinator', round: 3, version: 3, paramsCid: 'bafy', finished: false, auditCommitment: 'ab'.repeat(32), sentAtMs: 1 }

describe('job gossip', () => {
  it('round-trips announcements, heads and metrics from the coordinator', () => {
    const job = testJob()
    expect(decodeAnnouncement(encodeAnnouncement({ job, head, addrs: [] }), 'coordinator').job).toEqual(job)
    expect(decodeHead(encodeHead(head), 'coordinator')).toEqual(head)
    const metrics = { jobId: 'job-test', coordinator: 'coordinator', sentAtMs: 1, round: 1, version: 1, deadlineMs: 5, units: { total: 4, assigned: 1, verifying: 1, accepted: 0 }, roundDatasets: ['bafy-contributed'], initialAccuracy: 0.1, reports: [], peers: [],
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

  it("a big swarm's metrics still fit one message: oldest reports, then least recently seen peers, go first", () => {
    const report = {
      round: 0, version: 1, startedAtMs: 0, closedAtMs: 1, accepted: 1, rejected: 0, dropped: 0, audits: { run: 1, passed: 1, failed: 0, incomplete: 0, byReason: { every: 0, probation: 1, draw: 0, suspicious: 0 }, bySuspicion: {} },
      rejections: Array.from({ length: 8 }, () => ({ peer: '12D3KooW'.padEnd(52, 'x'), unitId: '3.1', code: 'AUDIT_FAILED' as const, params: { segment: 1, error: 0.5, tolerance: 0.1 } })), bans: [],
      samples: 1, flops: 1, bytesIn: 1, meanLossBefore: 1, meanLossAfter: 1, testAccuracy: 0.5, testLoss: 1, aggregationMs: 1, refereeMs: 1, roundSecret: 'ab'.repeat(32),
    }
    const peer = (i: number) => ({ peer: `12D3KooW${String(i).padStart(44, '0')}`, accepted: 1, rejected: 0, reputation: 1, banned: false, flops: 1e12, pendingFlops: 0, forfeitedFlops: 0, auditsPassed: 1, auditsFailed: 0, backend: 'webgpu', samplesPerSecond: 123.4, lastSeenMs: i })
    const big: JobMetrics = { jobId: 'job-test', coordinator: 'coordinator', sentAtMs: 1, round: 40, version: 40, deadlineMs: 5, units: { total: 4, assigned: 1, verifying: 0, accepted: 0 }, roundDatasets: [], initialAccuracy: 0.1,
      reports: Array.from({ length: 40 }, (_, i) => ({ ...report, round: i })), peers: Array.from({ length: 200 }, (_, i) => peer(i)), datasets: [] }
    expect(() => encodeMetrics(big)).toThrow(/limit/)
    const bytes = encodeMetricsFitting(big)
    expect(bytes.length).toBeLessThanOrEqual(MAX_METRICS_BYTES)
    const decoded = decodeMetrics(bytes, 'coordinator')
    expect(decoded.reports.at(-1)!.round).toBe(39)
    expect(decoded.reports.length).toBeGreaterThanOrEqual(5)
    expect(decoded.peers.length).toBeGreaterThan(100)
    expect(decoded.peers[0]!.lastSeenMs).toBe(199)
    const small = { ...big, reports: big.reports.slice(-3), peers: big.peers.slice(0, 3) }
    expect(decodeMetrics(encodeMetricsFitting(small), 'coordinator').peers).toHaveLength(3)
  })
})
