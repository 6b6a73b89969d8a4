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

  it('carries the stage servers a coordinator vouches for, decoded strictly', () => {
    const job = testJob()
    const servers = [{ peer: '12D3KooWa', stage: 0, version: 3 }, { peer: '12D3KooWb', stage: 2, version: 3 }]
    expect(decodeAnnouncement(encodeAnnouncement({ job, head, addrs: [], servers }), 'coordinator').servers).toEqual(servers)
    expect(decodeAnnouncement(encodeAnnouncement({ job, head, addrs: [] }), 'coordinator').servers).toBeUndefined()
    const bad = (value: unknown) => () => decodeAnnouncement(new TextEncoder().encode(JSON.stringify({ job, head, addrs: [], servers: value })), 'coordinator')
    expect(bad({})).toThrow('"servers" must be a list of at most 512')
    expect(bad(new Array(513).fill(servers[0]))).toThrow('"servers" must be a list of at most 512')
    expect(bad([{ ...servers[0], stage: 1024 }])).toThrow(/"stage"/)
    expect(bad([{ ...servers[0], peer: 7 }])).toThrow(/"peer"/)
    expect(bad([{ stage: 0, version: 3 }])).toThrow(/"peer"/)
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

describe('job gossip limits', () => {
  const enc = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
  const report = {
    round: 2, version: 3, startedAtMs: 0, closedAtMs: 1, accepted: 1, rejected: 1, dropped: 0,
    audits: { run: 2, passed: 1, failed: 1, incomplete: 0, byReason: { every: 0, probation: 1, draw: 1, suspicious: 0 }, bySuspicion: { NO_PROGRESS: 1 } },
    rejections: [{ peer: 'x', unitId: '2.1', code: 'AUDIT_FAILED' as const, params: { segment: 1 } }], bans: [{ peer: 'x', unitId: '2.1', code: 'AUDIT_FAILED' as const }],
    samples: 1, flops: 1, bytesIn: 1, meanLossBefore: 1, meanLossAfter: 0.5, testAccuracy: 0.5, testLoss: 1, aggregationMs: 1, refereeMs: 1, roundSecret: 'cd'.repeat(32),
  }
  const peer = { peer: 'p', accepted: 1, rejected: 1, reputation: 0.2, banned: true, bannedFor: 'AUDIT_FAILED' as const, flops: 0, pendingFlops: 0, forfeitedFlops: 5, auditsPassed: 0, auditsFailed: 1, backend: 'wasm', samplesPerSecond: 10, lastSeenMs: 3 }
  const dataset = { id: 'bafk', name: 'coats', owner: 'carol', licence: 'CC0-1.0', samples: 40, status: 'pending' as const, reason: 'r', samplesUsed: 0 }
  const metrics: JobMetrics = { jobId: 'job-test', coordinator: 'coordinator', sentAtMs: 1, round: 3, version: 3, deadlineMs: 5, units: { total: 4, assigned: 1, verifying: 1, accepted: 0 }, initialAccuracy: null, reports: [report], peers: [peer], datasets: [dataset], roundDatasets: ['bafk'] }
  const metricsWith = (patch: object) => decodeMetrics(enc({ ...metrics, ...patch }), 'coordinator')
  const reportWith = (patch: object) => decodeMetrics(enc({ ...metrics, reports: [{ ...report, ...patch }] }), 'coordinator').reports[0]!

  it('reads the datasets a round used up to the per-job limit, each id up to 128 characters, and none when absent', () => {
    expect(metricsWith({ roundDatasets: Array.from({ length: 64 }, (_, i) => `d${i}`) }).roundDatasets).toHaveLength(64)
    expect(() => metricsWith({ roundDatasets: Array.from({ length: 65 }, (_, i) => `d${i}`) })).toThrow(/"roundDatasets" has more than 64 entries/)
    expect(metricsWith({ roundDatasets: ['x'.repeat(128)] }).roundDatasets).toEqual(['x'.repeat(128)])
    expect(() => metricsWith({ roundDatasets: ['x'.repeat(129)] })).toThrow(/longer than 128/)
    expect(metricsWith({ roundDatasets: undefined }).roundDatasets).toEqual([])
  })

  it('takes metrics only from the coordinator they name', () => {
    expect(decodeMetrics(encodeMetrics(metrics), 'coordinator')).toEqual(metrics)
    expect(() => decodeMetrics(encodeMetrics(metrics), 'mallory')).toThrow('job metrics: claims coordinator coordinator but was signed by mallory')
  })

  it('takes an announcement only when its job, head and sender agree', () => {
    const job = testJob()
    expect(() => decodeAnnouncement(encodeAnnouncement({ job, head: { ...head, coordinator: 'mallory' }, addrs: [] }), 'coordinator')).toThrow('claims coordinator mallory but was signed by coordinator')
    expect(() => decodeAnnouncement(encodeAnnouncement({ job: { ...job, coordinator: 'mallory' }, head: { ...head, coordinator: 'mallory' }, addrs: [] }), 'coordinator')).toThrow('signed by coordinator')
    // The sender's own head does not vouch for a job that names someone else as its coordinator.
    expect(() => decodeAnnouncement(encodeAnnouncement({ job: { ...job, coordinator: 'victim' }, head, addrs: [] }), 'coordinator')).toThrow('job announcement: claims coordinator victim but was signed by coordinator')
    expect(() => decodeAnnouncement(encodeAnnouncement({ job, head: { ...head, jobId: 'other' }, addrs: [] }), 'coordinator')).toThrow('head is for job other, not job-test')
    const addrs = Array.from({ length: 16 }, (_, i) => `/ip4/127.0.0.1/tcp/${i}`.padEnd(512, '0'))
    expect(decodeAnnouncement(encodeAnnouncement({ job, head, addrs }), 'coordinator').addrs).toEqual(addrs)
    expect(() => decodeAnnouncement(encodeAnnouncement({ job, head, addrs: [...addrs, '/x'] }), 'coordinator')).toThrow('"addrs" has more than 16 entries')
    expect(() => decodeAnnouncement(encodeAnnouncement({ job, head, addrs: ['/'.padEnd(513, 'x')] }), 'coordinator')).toThrow('"addrs[0]" is longer than 512')
    expect(() => decodeAnnouncement(enc({ job, head: 'h', addrs: [] }), 'coordinator')).toThrow('job announcement head: expected an object')
  })

  it('takes an audit commitment of exactly 64 lowercase hex digits', () => {
    for (const auditCommitment of ['AB'.repeat(32), 'ab'.repeat(31) + 'a', 'ab'.repeat(32) + 'a', 'a' + 'ab'.repeat(32), 'g'.repeat(64), '']) {
      expect(() => decodeHead(enc({ ...head, auditCommitment }), 'coordinator')).toThrow('"auditCommitment" must be 64 lowercase hex digits')
    }
    expect(() => decodeHead(enc({ ...head, auditCommitment: 'ab'.repeat(65) }), 'coordinator')).toThrow('"auditCommitment" is longer than 128')
    expect(decodeHead(enc({ ...head, auditCommitment: '0123456789abcdef'.repeat(4) }), 'coordinator').auditCommitment).toBe('0123456789abcdef'.repeat(4))
  })

  it('bounds a head at 4 KiB and its fields by type', () => {
    expect(() => encodeHead({ ...head, paramsCid: 'b'.repeat(4096) })).toThrow(/over the 4096-byte limit/)
    // Exactly at the limit it is sent; one byte more is refused by its size.
    const fill = 4096 - enc({ ...head, paramsCid: '' }).length
    expect(encodeHead({ ...head, paramsCid: 'b'.repeat(fill) })).toHaveLength(4096)
    expect(() => encodeHead({ ...head, paramsCid: 'b'.repeat(fill + 1) })).toThrow('is 4097 bytes, over the 4096-byte limit')
    expect(() => decodeHead(new TextEncoder().encode(JSON.stringify(head).padEnd(4097, ' ')), 'coordinator')).toThrow('the limit is 4096')
    expect(decodeHead(new TextEncoder().encode(JSON.stringify(head).padEnd(4096, ' ')), 'coordinator')).toEqual(head)
    expect(() => decodeHead(enc({ ...head, finished: 'no' }), 'coordinator')).toThrow('"finished" must be true or false')
    expect(() => decodeHead(enc({ ...head, round: -1 }), 'coordinator')).toThrow('"round" must be between 0')
    expect(() => decodeHead(enc({ ...head, version: 1.5 }), 'coordinator')).toThrow('"version" must be an integer')
    expect(() => decodeHead(enc({ ...head, paramsCid: 'b'.repeat(129) }), 'coordinator')).toThrow('"paramsCid" is longer than 128')
    expect(() => decodeHead(enc({ ...head, sentAtMs: 'now' }), 'coordinator')).toThrow('"sentAtMs" must be a finite number')
    expect(() => encodeAnnouncement({ job: testJob(), head, addrs: ['/'.repeat(140_000)] })).toThrow(/over the 131072-byte limit/)
  })

  it('decodes round reports: every audit reason, known suspicions only, nulls for rounds with nothing accepted', () => {
    expect(reportWith({})).toEqual(report)
    expect(reportWith({ audits: { ...report.audits, bySuspicion: { NO_PROGRESS: 2, MADE_UP: 9 } } }).audits.bySuspicion).toEqual({ NO_PROGRESS: 2 })
    expect(reportWith({ audits: { ...report.audits, bySuspicion: undefined } }).audits.bySuspicion).toEqual({})
    expect(() => reportWith({ audits: { ...report.audits, byReason: { every: 0, probation: 1, draw: 1 } } })).toThrow('"suspicious" must be a finite number')
    expect(() => reportWith({ audits: { ...report.audits, failed: -1 } })).toThrow('"failed" must be between 0')
    const empty = reportWith({ meanLossBefore: null, meanLossAfter: null, testAccuracy: null, testLoss: null, roundSecret: '' })
    expect(empty).toMatchObject({ meanLossBefore: NaN, meanLossAfter: NaN, testAccuracy: null, testLoss: null, roundSecret: '' })
    expect(() => reportWith({ roundSecret: 'secret' })).toThrow('"roundSecret" must be 64 lowercase hex digits')
    expect(() => reportWith({ rejections: [{ ...report.rejections[0], code: 'ACCEPTED' }] })).toThrow('unknown code "ACCEPTED"')
    expect(() => reportWith({ bans: [{ ...report.bans[0], code: 'NO_PROGRESS' }] })).toThrow('unknown code "NO_PROGRESS"')
    expect(() => reportWith({ rejections: Array(65).fill(report.rejections[0]) })).toThrow('"rejections" must be an array of at most 64')
    expect(reportWith({ rejections: Array(64).fill(report.rejections[0]) }).rejections).toHaveLength(64)
    expect(() => reportWith({ bans: Array(65).fill(report.bans[0]) })).toThrow('"bans" must be an array of at most 64')
    expect(() => reportWith({ bans: {} })).toThrow('"bans" must be an array')
    expect(() => reportWith({ samples: -1 })).toThrow('"samples" must be between 0')
    expect(() => reportWith({ rejections: [{ ...report.rejections[0], peer: 'p'.repeat(129) }] })).toThrow('"peer" is longer than 128')
    expect(() => reportWith({ bans: [{ ...report.bans[0], unitId: 'u'.repeat(65) }] })).toThrow('"unitId" is longer than 64')
  })

  it('bounds the lists of a metrics message: 100 reports, 200 peers, 64 datasets', () => {
    expect(metricsWith({ reports: Array(100).fill({ ...report, rejections: [], bans: [] }) }).reports).toHaveLength(100)
    expect(() => metricsWith({ reports: Array(101).fill({ ...report, rejections: [], bans: [] }) })).toThrow('"reports" must be an array of at most 100')
    expect(() => metricsWith({ reports: 'none' })).toThrow('"reports" must be an array')
    expect(metricsWith({ peers: Array(200).fill(peer) }).peers).toHaveLength(200)
    expect(() => metricsWith({ peers: Array(201).fill(peer) })).toThrow('"peers" must be an array of at most 200')
    expect(() => metricsWith({ peers: null })).toThrow('"peers" must be an array')
    expect(metricsWith({ datasets: Array(64).fill(dataset) }).datasets).toHaveLength(64)
    expect(() => metricsWith({ datasets: null })).toThrow('"datasets" must be an array of at most 64')
  })

  it('bounds each peer: reputation in [0, 1], a known ban code, a plausible speed', () => {
    const peerWith = (patch: object) => metricsWith({ peers: [{ ...peer, ...patch }] }).peers[0]!
    expect(peerWith({ reputation: 0 }).reputation).toBe(0)
    expect(peerWith({ reputation: 1 }).reputation).toBe(1)
    expect(() => peerWith({ reputation: 1.01 })).toThrow('"reputation" must be between 0 and 1')
    expect(() => peerWith({ reputation: -0.01 })).toThrow('"reputation" must be between 0 and 1')
    expect(peerWith({ bannedFor: undefined })).not.toHaveProperty('bannedFor')
    expect(() => peerWith({ bannedFor: 'BORED' })).toThrow('unknown code "BORED"')
    expect(peerWith({ samplesPerSecond: 1e9 }).samplesPerSecond).toBe(1e9)
    expect(() => peerWith({ samplesPerSecond: 1e9 + 1 })).toThrow('"samplesPerSecond" must be between 0 and 1000000000')
    expect(() => peerWith({ pendingFlops: -1 })).toThrow('"pendingFlops" must be between 0')
    expect(() => peerWith({ forfeitedFlops: -1 })).toThrow('"forfeitedFlops" must be between 0')
    expect(() => peerWith({ backend: 'b'.repeat(17) })).toThrow('"backend" is longer than 16')
    expect(() => peerWith({ banned: 1 })).toThrow('"banned" must be true or false')
  })

  it('bounds each dataset entry and its status', () => {
    const datasetWith = (patch: object) => metricsWith({ datasets: [{ ...dataset, ...patch }] }).datasets[0]!
    for (const status of ['pending', 'accepted', 'rejected']) expect(datasetWith({ status }).status).toBe(status)
    expect(() => datasetWith({ name: 'n'.repeat(121) })).toThrow('"name" is longer than 120')
    expect(() => datasetWith({ licence: 'l'.repeat(65) })).toThrow('"licence" is longer than 64')
    expect(() => datasetWith({ reason: 'r'.repeat(301) })).toThrow('"reason" is longer than 300')
    expect(() => datasetWith({ samplesUsed: -1 })).toThrow('"samplesUsed" must be between 0')
    expect(() => datasetWith({ samples: 0.5 })).toThrow('"samples" must be an integer')
    // Copies held by the swarm and the job's replication target: optional, and bounded when present.
    expect(datasetWith({ copies: 1000, replication: 16 })).toMatchObject({ copies: 1000, replication: 16 })
    expect(datasetWith({})).not.toHaveProperty('copies')
    expect(() => datasetWith({ copies: 1001 })).toThrow('"copies" must be between 0 and 1000')
    expect(() => datasetWith({ replication: 0 })).toThrow('"replication" must be between 1 and 16')
    expect(() => datasetWith({ replication: 17 })).toThrow('"replication" must be between 1 and 16')
  })

  it('fitting keeps five reports and drops peers instead, least recently seen first', () => {
    const peers = Array.from({ length: 400 }, (_, i) => ({ ...peer, peer: `peer-${String(i).padStart(120, '0')}`, lastSeenMs: (i * 7919) % 400 }))
    const fitted = decodeMetrics(encodeMetricsFitting({ ...metrics, reports: Array.from({ length: 5 }, (_, i) => ({ ...report, round: i })), peers }), 'coordinator')
    expect(fitted.reports.map((r) => r.round)).toEqual([0, 1, 2, 3, 4])
    expect(fitted.peers.length).toBeLessThan(400)
    expect(fitted.peers.map((p) => p.lastSeenMs)).toEqual(Array.from({ length: fitted.peers.length }, (_, i) => 399 - i))
    // Six reports are one too many to keep while peers must go: the oldest go first, in quarters.
    const six = decodeMetrics(encodeMetricsFitting({ ...metrics, reports: Array.from({ length: 6 }, (_, i) => ({ ...report, round: i })), peers }), 'coordinator')
    expect(six.reports.map((r) => r.round)).toEqual([2, 3, 4, 5])
    // A message of exactly the limit goes out whole.
    const one = { ...metrics, reports: [], peers: [peer] }
    const exact = { ...one, jobId: 'j'.repeat(MAX_METRICS_BYTES - new TextEncoder().encode(JSON.stringify({ ...one, jobId: '' })).length) }
    const sent = encodeMetricsFitting(exact)
    expect(sent.length).toBe(MAX_METRICS_BYTES)
    expect((JSON.parse(new TextDecoder().decode(sent)) as JobMetrics).peers).toHaveLength(1)
    // Nothing to drop: a message that cannot fit is refused rather than sent truncated.
    expect(() => encodeMetricsFitting({ ...metrics, reports: [], peers: [], jobId: 'j'.repeat(70_000) })).toThrow(/limit/)
  })
})
