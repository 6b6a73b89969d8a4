// Gossip for training jobs: announcements (the job spec and its current head, repeated so late joiners find
// it), heads (version → parameter CID, on every round close) and metrics (the dashboard's only feed). Every
// message must come from the job's coordinator: gossipsub signatures prove the sender, this checks the claim.
import { DecodeError } from '../errors.ts'
import { asObject, parseJsonLimited, readBoolean, readInteger, readNumber, readString, readStringArray, type JsonObject } from '../schema.ts'
import { decodeJob, type JobSpec } from '../training/job.ts'
import type { AuditSummary, RoundReport } from '../training/coordinator-state.ts'
import { AUDIT_REASONS } from '../training/audit-draw.ts'
import { decodeVerdict, REJECTION_CODES, SUSPICION_CODES, type RejectionCode } from '../training/verdicts.ts'
import { MAX_DATASETS_PER_JOB, type DatasetStatus } from '../training/datasets.ts'

export const TOPIC_JOBS = 'tesserae/jobs/1'
export const TOPIC_HEADS = 'tesserae/heads/1'
export const TOPIC_METRICS = 'tesserae/metrics/1'
export const MAX_JOB_MESSAGE_BYTES = 128 * 1024
export const MAX_METRICS_BYTES = 64 * 1024
export const MAX_HEAD_BYTES = 4096

export interface Head {
  jobId: string
  coordinator: string
  round: number
  version: number
  paramsCid: string
  finished: boolean
  /** sha-256 of this round's audit secret: announced now, the secret itself revealed in the round's report. */
  auditCommitment: string
  sentAtMs: number
}

export interface JobAnnouncement {
  job: JobSpec
  head: Head
  /** Where the coordinator can be dialled directly (WebSockets for a Node coordinator; empty for a tab, which is reached over WebRTC). */
  addrs: string[]
  /**
   * A staged job's stage servers as its coordinator vouches for them: the volunteers it asked to serve each
   * stage of a version for inference (none it caught cheating). A use page takes only these peers' offers.
   */
  servers?: StageServer[]
}

export interface StageServer {
  peer: string
  stage: number
  version: number
}

/** Stage servers one announcement names at most (8 replicas of up to 64 stages). */
export const MAX_ANNOUNCED_SERVERS = 512

export interface PeerMetrics {
  peer: string
  accepted: number
  rejected: number
  reputation: number
  banned: boolean
  /** The rejection that got it excluded. */
  bannedFor?: RejectionCode
  /** Verified (payable) credit, credit waiting for the peer's next passed audit, and credit it lost by cheating. */
  flops: number
  pendingFlops: number
  forfeitedFlops: number
  auditsPassed: number
  auditsFailed: number
  /** The peer's own report from its latest unit: engine and training speed. */
  backend: string
  samplesPerSecond: number
  lastSeenMs: number
}

export interface JobMetrics {
  jobId: string
  coordinator: string
  sentAtMs: number
  round: number
  version: number
  deadlineMs: number
  units: { total: number; assigned: number; verifying: number; accepted: number }
  initialAccuracy: number | null
  /** The most recent round reports, oldest first. */
  reports: RoundReport[]
  peers: PeerMetrics[]
  /** Contributed datasets and what became of them: contributors read their status and credit here. */
  datasets: DatasetMetrics[]
  /** Ids of the contributed datasets whose chunks the current round's units train on (planned when it opened). */
  roundDatasets: string[]
}

export interface DatasetMetrics {
  id: string
  name: string
  owner: string
  licence: string
  samples: number
  status: DatasetStatus
  reason: string
  samplesUsed: number
  /** Live copies of the dataset in the swarm (its least-held chunk), and the job's target (absent from older coordinators). */
  copies?: number
  replication?: number
}

const DATASET_STATUSES: readonly DatasetStatus[] = ['pending', 'accepted', 'rejected']

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function encodeLimited(value: unknown, limit: number, what: string): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(value))
  if (bytes.length > limit) throw new DecodeError(what, `is ${bytes.length} bytes, over the ${limit}-byte limit`)
  return bytes
}

function readHead(obj: JsonObject, what: string): Head {
  return {
    jobId: readString(obj, 'jobId', what, 128),
    coordinator: readString(obj, 'coordinator', what, 128),
    round: readInteger(obj, 'round', what),
    version: readInteger(obj, 'version', what),
    paramsCid: readString(obj, 'paramsCid', what, 128),
    finished: readBoolean(obj, 'finished', what),
    auditCommitment: readHexDigest(obj, 'auditCommitment', what),
    sentAtMs: readInteger(obj, 'sentAtMs', what),
  }
}

function readHexDigest(obj: JsonObject, key: string, what: string): string {
  // The pattern fixes the length; readString's bound only keeps a hostile message from costing a long scan.
  const value = readString(obj, key, what, 128)
  if (!/^[0-9a-f]{64}$/.test(value)) throw new DecodeError(what, `"${key}" must be 64 lowercase hex digits`)
  return value
}

function checkSender(claimed: string, from: string, what: string): void {
  if (claimed !== from) throw new DecodeError(what, `claims coordinator ${claimed} but was signed by ${from}`)
}

export const encodeAnnouncement = (a: JobAnnouncement) => encodeLimited(a, MAX_JOB_MESSAGE_BYTES, 'job announcement')

export function decodeAnnouncement(bytes: Uint8Array, from: string): JobAnnouncement {
  const what = 'job announcement'
  const obj = asObject(parseJsonLimited(decoder.decode(bytes), MAX_JOB_MESSAGE_BYTES, what), what)
  const job = decodeJob(obj.job)
  const head = readHead(asObject(obj.head, `${what} head`), what)
  checkSender(job.coordinator, from, what)
  checkSender(head.coordinator, from, what)
  if (head.jobId !== job.id) throw new DecodeError(what, `head is for job ${head.jobId}, not ${job.id}`)
  const announcement: JobAnnouncement = { job, head, addrs: readStringArray(obj, 'addrs', what, 16, 512) }
  if (obj.servers !== undefined) {
    if (!Array.isArray(obj.servers) || obj.servers.length > MAX_ANNOUNCED_SERVERS) throw new DecodeError(what, `"servers" must be a list of at most ${MAX_ANNOUNCED_SERVERS}`)
    announcement.servers = obj.servers.map((item: unknown, i: number) => {
      const s = asObject(item, `${what} servers [${i}]`)
      return { peer: readString(s, 'peer', what, 128), stage: readInteger(s, 'stage', what, 0, 1023), version: readInteger(s, 'version', what, 0, 0x7fffffff) }
    })
  }
  return announcement
}

export const encodeHead = (h: Head) => encodeLimited(h, MAX_HEAD_BYTES, 'head')

export function decodeHead(bytes: Uint8Array, from: string): Head {
  const what = 'head'
  const head = readHead(asObject(parseJsonLimited(decoder.decode(bytes), MAX_HEAD_BYTES, what), what), what)
  checkSender(head.coordinator, from, what)
  return head
}

export const encodeMetrics = (m: JobMetrics) => encodeLimited(m, MAX_METRICS_BYTES, 'job metrics')

/**
 * Metrics that always fit one gossip message: a big swarm first loses its oldest round reports (down to the
 * last 5), then its least recently seen peers, so the dashboard degrades instead of going dark.
 */
export function encodeMetricsFitting(m: JobMetrics): Uint8Array {
  let fitted: JobMetrics = { ...m, peers: [...m.peers].sort((a, b) => b.lastSeenMs - a.lastSeenMs) }
  for (;;) {
    const bytes = encoder.encode(JSON.stringify(fitted))
    if (bytes.length <= MAX_METRICS_BYTES) return bytes
    if (fitted.reports.length > 5) fitted = { ...fitted, reports: fitted.reports.slice(Math.ceil(fitted.reports.length / 4)) }
    else if (fitted.peers.length > 0) fitted = { ...fitted, peers: fitted.peers.slice(0, Math.floor(fitted.peers.length * 0.75)) }
    else return encodeMetrics(fitted)
  }
}

const nullableNumber = (obj: JsonObject, key: string, what: string) => (obj[key] === null ? null : readNumber(obj, key, what))
const numberOrNaN = (obj: JsonObject, key: string, what: string) => (obj[key] === null ? NaN : readNumber(obj, key, what))

function readArray(r: JsonObject, key: string, what: string, max: number): unknown[] {
  const value = r[key]
  if (!Array.isArray(value) || value.length > max) throw new DecodeError(what, `"${key}" must be an array of at most ${max}`)
  return value
}

function readAudits(value: unknown, what: string): AuditSummary {
  const a = asObject(value, `${what} audits`)
  const byReason = asObject(a.byReason, `${what} audits.byReason`)
  const bySuspicion = asObject(a.bySuspicion ?? {}, `${what} audits.bySuspicion`)
  return {
    run: readInteger(a, 'run', what),
    passed: readInteger(a, 'passed', what),
    failed: readInteger(a, 'failed', what),
    incomplete: readInteger(a, 'incomplete', what),
    byReason: Object.fromEntries(AUDIT_REASONS.map((reason) => [reason, readInteger(byReason, reason, what)])) as AuditSummary['byReason'],
    bySuspicion: Object.fromEntries(SUSPICION_CODES.flatMap((code) => (bySuspicion[code] === undefined ? [] : [[code, readInteger(bySuspicion, code, what)]]))),
  }
}

function readReport(value: unknown, what: string): RoundReport {
  const r = asObject(value, what)
  const readRejection = (o: unknown) => {
    const x = asObject(o, what)
    const { code, params } = decodeVerdict(x, what, REJECTION_CODES)
    return { peer: readString(x, 'peer', what, 128), unitId: readString(x, 'unitId', what, 64), code: code as RejectionCode, params }
  }
  const readBan = (o: unknown) => {
    const x = asObject(o, what)
    return { peer: readString(x, 'peer', what, 128), unitId: readString(x, 'unitId', what, 64), code: decodeVerdict({ code: x.code }, what, REJECTION_CODES).code as RejectionCode }
  }
  return {
    round: readInteger(r, 'round', what),
    version: readInteger(r, 'version', what),
    startedAtMs: readNumber(r, 'startedAtMs', what),
    closedAtMs: readNumber(r, 'closedAtMs', what),
    accepted: readInteger(r, 'accepted', what),
    rejected: readInteger(r, 'rejected', what),
    dropped: readInteger(r, 'dropped', what),
    audits: readAudits(r.audits, what),
    rejections: readArray(r, 'rejections', what, 64).map(readRejection),
    bans: readArray(r, 'bans', what, 64).map(readBan),
    samples: readNumber(r, 'samples', what, 0),
    flops: readNumber(r, 'flops', what, 0),
    bytesIn: readNumber(r, 'bytesIn', what, 0),
    // JSON turns NaN (a round with nothing accepted) into null.
    meanLossBefore: numberOrNaN(r, 'meanLossBefore', what),
    meanLossAfter: numberOrNaN(r, 'meanLossAfter', what),
    testAccuracy: nullableNumber(r, 'testAccuracy', what),
    testLoss: nullableNumber(r, 'testLoss', what),
    aggregationMs: readNumber(r, 'aggregationMs', what, 0),
    refereeMs: readNumber(r, 'refereeMs', what, 0),
    roundSecret: r.roundSecret === '' ? '' : readHexDigest(r, 'roundSecret', what),
  }
}

export function decodeMetrics(bytes: Uint8Array, from: string): JobMetrics {
  const what = 'job metrics'
  const obj = asObject(parseJsonLimited(decoder.decode(bytes), MAX_METRICS_BYTES, what), what)
  const coordinator = readString(obj, 'coordinator', what, 128)
  checkSender(coordinator, from, what)
  const units = asObject(obj.units, `${what} units`)
  if (!Array.isArray(obj.reports) || obj.reports.length > 100) throw new DecodeError(what, '"reports" must be an array of at most 100')
  if (!Array.isArray(obj.peers) || obj.peers.length > 200) throw new DecodeError(what, '"peers" must be an array of at most 200')
  if (!Array.isArray(obj.datasets) || obj.datasets.length > MAX_DATASETS_PER_JOB) throw new DecodeError(what, `"datasets" must be an array of at most ${MAX_DATASETS_PER_JOB}`)
  return {
    jobId: readString(obj, 'jobId', what, 128),
    coordinator,
    sentAtMs: readInteger(obj, 'sentAtMs', what),
    round: readInteger(obj, 'round', what),
    version: readInteger(obj, 'version', what),
    deadlineMs: readNumber(obj, 'deadlineMs', what),
    units: { total: readInteger(units, 'total', what), assigned: readInteger(units, 'assigned', what), verifying: readInteger(units, 'verifying', what), accepted: readInteger(units, 'accepted', what) },
    initialAccuracy: nullableNumber(obj, 'initialAccuracy', what),
    reports: obj.reports.map((r: unknown) => readReport(r, `${what} report`)),
    peers: obj.peers.map((p: unknown) => {
      const x = asObject(p, `${what} peer`)
      return {
        peer: readString(x, 'peer', what, 128),
        accepted: readInteger(x, 'accepted', what),
        rejected: readInteger(x, 'rejected', what),
        reputation: readNumber(x, 'reputation', what, 0, 1),
        banned: readBoolean(x, 'banned', what),
        ...(x.bannedFor === undefined ? {} : { bannedFor: decodeVerdict({ code: x.bannedFor }, what, REJECTION_CODES).code as RejectionCode }),
        flops: readNumber(x, 'flops', what, 0),
        pendingFlops: readNumber(x, 'pendingFlops', what, 0),
        forfeitedFlops: readNumber(x, 'forfeitedFlops', what, 0),
        auditsPassed: readInteger(x, 'auditsPassed', what),
        auditsFailed: readInteger(x, 'auditsFailed', what),
        backend: readString(x, 'backend', what, 16),
        samplesPerSecond: readNumber(x, 'samplesPerSecond', what, 0, 1e9),
        lastSeenMs: readNumber(x, 'lastSeenMs', what, 0),
      }
    }),
    // Coordinators from before rounds reported their datasets send none.
    roundDatasets: obj.roundDatasets === undefined ? [] : readStringArray(obj, 'roundDatasets', what, MAX_DATASETS_PER_JOB, 128),
    datasets: obj.datasets.map((d: unknown) => {
      const x = asObject(d, `${what} dataset`)
      const status = readString(x, 'status', what, 16) as DatasetStatus
      if (!DATASET_STATUSES.includes(status)) throw new DecodeError(what, `unknown dataset status "${status}"`)
      return {
        id: readString(x, 'id', what, 128),
        name: readString(x, 'name', what, 120),
        owner: readString(x, 'owner', what, 128),
        licence: readString(x, 'licence', what, 64),
        samples: readInteger(x, 'samples', what),
        status,
        reason: readString(x, 'reason', what, 300),
        samplesUsed: readNumber(x, 'samplesUsed', what, 0),
        ...(x.copies === undefined ? {} : { copies: readInteger(x, 'copies', what, 0, 1000) }),
        ...(x.replication === undefined ? {} : { replication: readInteger(x, 'replication', what, 1, 16) }),
      }
    }),
  }
}
