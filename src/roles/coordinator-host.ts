// Puts a Coordinator on the network: serves the work protocol, fetches submitted deltas (and, for audits, the
// volunteer's committed checkpoints) from their volunteers over Bitswap, checks result signatures, releases a
// peer's units the moment its connection closes, and gossips the job, its heads and its metrics.
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import { DecodeError, errorMessage, TesseraeError } from '../errors.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import type { SignedManifest } from '../data/manifest.ts'
import { verifySignedManifest } from '../p2p/manifest-signature.ts'
import { checkDatasetChunks, fetchTaskShard } from './dataset-chunks.ts'
import { manifestFormat } from '../data/manifest.ts'
import { formatClasses } from '../data/sample-format.ts'
import { concatBlocks, type TaskBlock } from '../data/task-block.ts'
import { taskClasses, type TaskSpec } from '../data/task.ts'
import { reviewSamples as reviewOfferSamples } from '../training/data-review.ts'
import { jobTask } from '../training/job.ts'
import { firstUntrainable, offerPreview, reviewSamples, spreadSamples, type OfferPreview } from './review-samples.ts'
import { parseCid } from '../data/cid.ts'
import { datasetCopies, replicationTarget } from '../training/availability.ts'
import { allUnits } from '../training/probe.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import { encodeAnnouncement, encodeHead, encodeMetricsFitting, TOPIC_HEADS, TOPIC_JOBS, TOPIC_METRICS, type Head, type JobMetrics } from '../p2p/job-topics.ts'
import { fromHex } from '../hex.ts'
import { serveWork } from '../p2p/work-protocol.ts'
import { WORK_PROTOCOL } from '../p2p/work-messages.ts'
import { ExchangeVectorStore } from './exchange-vector-store.ts'
import type { WorkRequest, WorkResponse } from '../p2p/work-messages.ts'
import type { Coordinator } from '../training/coordinator.ts'
import { shardAt } from '../training/coordinator-records.ts'
import { resultSigningBytes } from '../training/unit.ts'
import { verdict, type RejectionCode, type Verdict } from '../training/verdicts.ts'
import { VolunteerGone } from '../training/verification.ts'
import type { SettlementHost } from './settlement-host.ts'
import { Paced } from '../wait.ts'

type PubsubNode = Libp2p<{ pubsub: GossipSub }>

const DELTA_TIMEOUT_MS = 60_000
/** Metrics go out this often regardless, for late joiners and as a heartbeat… */
const METRICS_EVERY_MS = 3000
/** …and this soon after any change (changes within it share one message; a first verdict waits no longer)… */
const METRICS_GATHER_MS = 100
/**
 * …but never more often than this, nor an announcement more often than once a second, however busy the job or
 * the swarm's subscriptions: peers drop (and score down) an author over its rate (gossip-validators.ts: metrics
 * 5/s, announcements 2/s).
 */
const METRICS_MIN_GAP_MS = 250
const ANNOUNCE_MIN_GAP_MS = 1000
/** An audited volunteer has this long to serve its checkpoints (it stays online for its next unit anyway). */
const CHECKPOINT_TIMEOUT_MS = 20_000

export interface CoordinatorHostOptions {
  node: PubsubNode
  exchange: BlockExchange
  coordinator: Coordinator
  dim: number
  /** Addresses volunteers may dial directly (a Node coordinator's WebSocket listener). */
  addrs?: () => string[]
  /**
   * 'owner' (default): datasets wait for the job owner's decision. 'auto': a dataset that fits the job, whose
   * chunks all check out and whose review raised no flag is accepted; a flagged one waits for the owner.
   */
  datasetPolicy?: DatasetPolicy
  /** The current model's predicted class for each sample of `set` (the review's label check); none without it. */
  classify?: (params: Float32Array, task: TaskSpec, block: TaskBlock) => Promise<Uint8Array>
  /** On-chain settlement for this job; without it bindings are refused and credit stays in the ledger. */
  settlement?: (host: CoordinatorHost) => SettlementHost
  /** How often executed governance decisions are read from the chain. */
  governanceEveryMs?: number
  announceEveryMs?: number
  tickEveryMs?: number
  log?: (line: string) => void
}

export type DatasetPolicy = 'owner' | 'auto'

/** Samples of the job's own data the review compares offers with. */
const REVIEW_REFERENCE_SAMPLES = 1000

export class CoordinatorHost {
  private readonly options: CoordinatorHostOptions
  private policy: DatasetPolicy
  private readonly reviews = new Map<string, Promise<void>>()
  /** The review's sample grid of each offer reviewed in this session (a few dozen images each). */
  private readonly grids = new Map<string, OfferPreview>()
  private readonly timers: Array<ReturnType<typeof setInterval>> = []
  private readonly vectors: ExchangeVectorStore
  private unsubscribe: () => void = () => undefined
  private readonly onDisconnect = (event: CustomEvent<PeerId>) => void this.options.coordinator.peerLeft(event.detail.toString())
  private readonly metricsOut = new Paced(METRICS_MIN_GAP_MS, () => void this.sendMetrics())
  private readonly announcementOut = new Paced(ANNOUNCE_MIN_GAP_MS, () => void this.sendAnnouncement())
  /** A newcomer subscribing is the moment it most needs the job and its figures: no waiting a full period. */
  private readonly onSubscriptionChange = () => {
    this.announce()
    this.metricsOut.request(METRICS_GATHER_MS)
  }
  readonly settlement: SettlementHost | null

  private constructor(options: CoordinatorHostOptions) {
    this.options = options
    this.policy = options.datasetPolicy ?? 'owner'
    this.vectors = new ExchangeVectorStore(options.exchange, options.dim)
    this.settlement = options.settlement?.(this) ?? null
  }

  get coordinator(): Coordinator {
    return this.options.coordinator
  }

  static async start(options: CoordinatorHostOptions): Promise<CoordinatorHost> {
    const host = new CoordinatorHost(options)
    await serveWork(options.node, (request, from) => host.handle(request, from))
    options.node.addEventListener('peer:disconnect', host.onDisconnect)
    host.unsubscribe = options.coordinator.subscribe((report) => {
      // A verdict or an assignment is news to the volunteer it concerns: its credit shows within a moment.
      host.metricsOut.request(METRICS_GATHER_MS)
      if (report) {
        void host.publish(TOPIC_HEADS, encodeHead(host.head()))
        host.publishMetrics()
        options.log?.(`round ${report.round} closed: version ${report.version}, ${report.accepted} units accepted, ${report.rejected} rejected, test accuracy ${report.testAccuracy?.toFixed(4) ?? 'n/a'}`)
        void host.closeEpoch()
      }
    })
    await host.announceOwnCopies()
    // Offers still waiting after a restart are reviewed again (the review lives with the session's grids).
    for (const d of options.coordinator.datasets) if (d.status === 'pending') void host.reviewDataset(d.id).catch(() => undefined)
    host.timers.push(setInterval(() => host.announce(), options.announceEveryMs ?? 2000))
    host.timers.push(setInterval(() => void options.coordinator.tick().catch((e: unknown) => options.log?.(`closing the round failed: ${errorMessage(e)}`)), options.tickEveryMs ?? 1000))
    host.timers.push(setInterval(() => host.publishMetrics(), METRICS_EVERY_MS))
    options.node.services.pubsub.addEventListener('subscription-change', host.onSubscriptionChange)
    if (host.settlement) {
      const follow = () => void host.followGovernance()
      host.timers.push(setInterval(follow, options.governanceEveryMs ?? 10_000))
      follow()
    }
    host.announce()
    return host
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    this.metricsOut.stop()
    this.announcementOut.stop()
    this.options.node.services.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.unsubscribe()
    this.options.node.removeEventListener('peer:disconnect', this.onDisconnect)
    await this.options.node.unhandle(WORK_PROTOCOL)
  }

  /**
   * After a (re)start: the coordinator is a provider of every accepted chunk its store holds, and so is each
   * dataset owner still connected. Everyone else says what it holds with its next work request.
   */
  private async announceOwnCopies(): Promise<void> {
    const { coordinator, exchange, node } = this.options
    const self = node.peerId.toString()
    for (const d of coordinator.datasets.filter((x) => x.status === 'accepted')) {
      const held: string[] = []
      for (const c of d.chunks) if (await exchange.has(parseCid(c.cid))) held.push(c.cid)
      await coordinator.providersFound(self, held)
      if (this.connected(d.owner)) await coordinator.providersFound(d.owner, d.chunks.map((c) => c.cid))
    }
  }

  private connected(peer: string): boolean {
    try {
      return this.options.node.getConnections(peerIdFromString(peer)).length > 0
    } catch {
      return false
    }
  }

  head(): Head {
    const state = this.options.coordinator.view
    return {
      jobId: this.options.coordinator.job.id,
      coordinator: this.options.node.peerId.toString(),
      round: state.current.round,
      version: state.current.version,
      paramsCid: state.current.paramsCid,
      finished: state.finished,
      auditCommitment: state.current.secretCommitment,
      sentAtMs: Date.now(),
    }
  }

  metrics(): JobMetrics {
    const c = this.options.coordinator
    const state = c.view
    // Probes' holders count as assigned and being checked too (a probe's check holds the round's close).
    const holders = allUnits(state.current).flatMap((u) => u.holders)
    return {
      jobId: c.job.id,
      coordinator: this.options.node.peerId.toString(),
      sentAtMs: Date.now(),
      round: state.current.round,
      version: state.current.version,
      deadlineMs: state.current.deadlineMs,
      units: { total: state.current.units.length, assigned: holders.filter((h) => h.status === 'assigned').length, verifying: holders.filter((h) => h.status === 'verifying').length, accepted: state.current.units.filter((u) => u.outcome === 'accepted').length },
      initialAccuracy: state.initialAccuracy,
      reports: state.history.slice(-40).map((r) => ({ ...r, rejections: r.rejections.slice(0, 8), bans: r.bans.slice(0, 8) })),
      roundDatasets: [...new Set(state.current.units.flatMap((u) => u.shards.flatMap((index) => shardAt(c.job, state, index).dataset ?? [])))],
      datasets: c.datasets.map((d) => ({ id: d.id, name: d.name, owner: d.owner, licence: d.licence, samples: d.samples, status: d.status, reason: d.reason.slice(0, 300), samplesUsed: d.samplesUsed, copies: datasetCopies(state.providers ?? {}, d.chunks), replication: replicationTarget(c.job) })),
      peers: Object.entries(state.peers)
        .slice(0, 200)
        .map(([peer, p]) => ({
          peer, accepted: p.accepted, rejected: p.rejected, reputation: p.reputation, banned: p.banned, ...(p.ban ? { bannedFor: p.ban.code } : {}),
          flops: c.credits.volunteer(peer).flops, pendingFlops: c.credits.pending(peer).flops, forfeitedFlops: c.credits.forfeited(peer).flops,
          auditsPassed: p.auditsPassed, auditsFailed: p.auditsFailed,
          backend: p.backend ?? 'unknown', samplesPerSecond: Math.round((p.samplesPerSecond ?? 0) * 10) / 10, lastSeenMs: p.lastSeenMs,
        })),
    }
  }

  private async handle(request: WorkRequest, from: PeerId): Promise<WorkResponse> {
    const { coordinator } = this.options
    const peer = from.toString()
    if (request.type === 'request') {
      if (request.jobId !== coordinator.job.id) return { type: 'error', message: `this coordinator runs job "${coordinator.job.id}", not "${request.jobId}"` }
      const reply = await coordinator.requestWork(peer, request.holds)
      return reply.kind === 'unit' ? { type: 'unit', unit: reply.unit, providers: reply.providers, replicate: reply.replicate } : { type: 'wait', retryMs: reply.retryMs, verdict: reply.verdict }
    }
    if (request.type === 'missing') {
      if (request.jobId !== coordinator.job.id) return { type: 'error', message: `this coordinator runs job "${coordinator.job.id}", not "${request.jobId}"` }
      const moved = await coordinator.chunkMissing(peer, request.unitId, request.cid)
      if (moved) this.options.log?.(`unit ${request.unitId} moved off chunk ${request.cid.slice(0, 16)}…, which ${peer} could not fetch`)
      return { type: 'ack', accepted: moved, verdict: verdict('RECEIVED') }
    }
    if (request.type === 'offer') return this.offer(request.jobId, request.dataset, peer)
    if (request.type === 'bind') {
      if (!this.settlement) return { type: 'error', message: 'this job pays no on-chain rewards, so there is nothing to bind a wallet to' }
      try {
        const bound = await this.settlement.bind(peer, request.binding)
        return { type: 'bound', wallet: bound.wallet, expiry: bound.expiry }
      } catch (error) {
        return { type: 'error', message: errorMessage(error) }
      }
    }
    const { result, signature } = request
    // Noise already authenticated the connection; the signature makes the receipt checkable by anyone later.
    const valid = await from.publicKey?.verify(resultSigningBytes(result), fromHex(signature))
    if (!valid) return this.refuse(peer, result.unitId, verdict('BAD_SIGNATURE'))
    let delta
    try {
      delta = await this.vectors.getDelta(result.deltaCid, { providers: [from], timeoutMs: DELTA_TIMEOUT_MS })
    } catch (error) {
      // A delta that arrives but does not decode (NaN scales, wrong size) is the sender's doing; one that never
      // arrives may be the network's. Either way the unit is open to others at once.
      return this.refuse(peer, result.unitId, verdict(error instanceof DecodeError ? 'MALFORMED_DELTA' : 'DELTA_UNAVAILABLE', { detail: errorMessage(error).slice(0, 200) }))
    }
    const fetchFrom = { providers: [from], timeoutMs: CHECKPOINT_TIMEOUT_MS }
    // A failed fetch is logged with how the volunteer was connected: the verdict costs it its reputation.
    const explained = <T>(cid: string, fetch: Promise<T>): Promise<T> => fetch.catch((error: unknown) => {
      if (!(error instanceof VolunteerGone)) this.options.log?.(`checkpoint ${cid.slice(0, 16)}… of unit ${result.unitId} not fetched from ${peer}: ${errorMessage(error)}; connections: ${describeConnections(this.options.node, from)}`)
      throw error
    })
    const reply = await coordinator.submit(peer, result, delta, {
      checkpoint: (cid) => explained(cid, this.whileConnected(from, (signal) => this.vectors.getCheckpoint(cid, { ...fetchFrom, signal }))),
      checkpointPieces: (cid, pick) => explained(cid, this.whileConnected(from, (signal) => this.vectors.getCheckpointPieces(cid, pick, { ...fetchFrom, signal }))),
    }, signature)
    return { type: 'ack', accepted: reply.accepted, verdict: reply.verdict }
  }

  /** Runs a fetch from `peer` that fails at once if it is gone, or the moment it disconnects. */
  private async whileConnected<T>(peer: PeerId, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { node } = this.options
    if (node.getConnections(peer).length === 0) throw new VolunteerGone(peer.toString())
    const controller = new AbortController()
    const onDisconnect = (event: CustomEvent<PeerId>) => {
      if (event.detail.equals(peer)) controller.abort()
    }
    node.addEventListener('peer:disconnect', onDisconnect)
    try {
      return await task(controller.signal)
    } catch (error) {
      throw controller.signal.aborted ? new VolunteerGone(peer.toString()) : error
    } finally {
      node.removeEventListener('peer:disconnect', onDisconnect)
    }
  }

  private async refuse(peer: string, unitId: string, rejection: Verdict<RejectionCode>): Promise<WorkResponse> {
    await this.options.coordinator.refuse(peer, unitId, rejection)
    return { type: 'ack', accepted: false, verdict: rejection }
  }

  /**
   * The coordinator's own saved dataset, chosen when the job was created: recorded as an offer from itself and
   * accepted once its chunks check out, through the same path as anyone else's.
   */
  async includeOwnDataset(signed: SignedManifest): Promise<void> {
    const reply = await this.offer(this.options.coordinator.job.id, signed, this.options.node.peerId.toString())
    if (reply.type !== 'dataset') throw new TesseraeError('DATASET_REFUSED', reply.type === 'error' ? reply.message : 'the dataset was refused')
    if (reply.status === 'rejected') throw new TesseraeError('DATASET_REFUSED', reply.reason)
    if (reply.status === 'pending') await this.decideDataset(reply.id, true)
  }

  private async offer(jobId: string, signed: SignedManifest, from: string): Promise<WorkResponse> {
    const { coordinator } = this.options
    if (jobId !== coordinator.job.id) return { type: 'error', message: `this coordinator runs job "${coordinator.job.id}", not "${jobId}"` }
    // Only the owner may offer: otherwise anyone could volunteer someone else's data (and its credit).
    if (signed.manifest.owner !== from) return { type: 'error', message: 'a dataset can only be offered by its owner' }
    let id: string
    try {
      id = await verifySignedManifest(signed)
    } catch (error) {
      return { type: 'error', message: `the dataset was refused: ${errorMessage(error)}` }
    }
    const m = signed.manifest
    const format = manifestFormat(m)
    const shape = format.kind === 'image' ? { height: format.height, width: format.width } : { height: 0, width: 0 }
    const entry = await coordinator.offerDataset({ id, name: m.name, licence: m.licence, owner: m.owner, ...shape, classes: formatClasses(format) ?? [], chunks: m.chunks, merkleRoot: m.merkleRoot, samples: m.samples, signed, format })
    this.options.log?.(`dataset "${m.name}" (${m.samples} samples) offered by ${from}: ${entry.status}`)
    // An owner offering again (e.g. its tab reopened) serves its chunks again.
    if (entry.status === 'accepted') await coordinator.providersFound(from, m.chunks.map((c) => c.cid))
    this.publishMetrics()
    if (entry.status === 'pending') void this.reviewDataset(id).catch((error: unknown) => this.options.log?.(`reviewing dataset "${m.name}" failed: ${errorMessage(error)}`))
    return { type: 'dataset', id, status: entry.status, reason: entry.reason }
  }

  get datasetPolicy(): DatasetPolicy {
    return this.policy
  }

  /** The owner's choice: review every offer ('owner'), or accept offers the review raised no flag for ('auto'). */
  setDatasetPolicy(policy: DatasetPolicy): void {
    this.policy = policy
    if (policy === 'auto') for (const d of this.options.coordinator.datasets) if (d.status === 'pending' && d.review?.flags.length === 0) void this.decideDataset(d.id, true).catch(() => undefined)
  }

  /** The review's sample grid for an offer (null until its chunks were fetched and reviewed in this session). */
  sampleGrid(id: string): OfferPreview | null {
    return this.grids.get(id) ?? null
  }

  /**
   * Fetches an offer's chunks from its owner (pinning them: the coordinator is their second copy if accepted),
   * runs the automatic checks against the job's own data and the current model, and records the review; under
   * the 'auto' policy an offer with no flag is then accepted, a flagged one waits for the owner.
   */
  reviewDataset(id: string): Promise<void> {
    let task = this.reviews.get(id)
    if (!task) {
      task = this.runReview(id)
      task.catch(() => this.reviews.delete(id))
      this.reviews.set(id, task)
    }
    return task
  }

  private async runReview(id: string): Promise<void> {
    const { coordinator, exchange } = this.options
    const dataset = coordinator.datasets.find((d) => d.id === id)
    if (!dataset) throw new TesseraeError('UNKNOWN_DATASET', `no dataset ${id.slice(0, 16)}… was offered to this job`)
    // Decoded as the job's task: the offer's format is the task's (an offer that is not is rejected on arrival).
    const task = jobTask(coordinator.job)
    let block: TaskBlock
    try {
      block = await checkDatasetChunks(exchange, dataset, [peerIdFromString(dataset.owner)], { keep: true })
    } catch (error) {
      if (this.policy === 'auto') await this.decideDataset(id, false, `its chunks could not be checked: ${errorMessage(error)}`)
      throw error
    }
    // A sample no model could train on is refused whoever decides (accepting it would cost honest volunteers).
    const untrainable = firstUntrainable(task, block)
    if (untrainable) {
      await this.decideDataset(id, false, untrainable)
      throw new TesseraeError('DATASET_UNTRAINABLE', `dataset "${dataset.name}": ${untrainable}`)
    }
    // Every chunk was checked above; the review's comparisons look at an even spread of a large offer.
    block = spreadSamples(block)
    const reference = await this.referenceSample(task).catch((error: unknown) => {
      this.options.log?.(`reviewing without the job's own data to compare with: ${errorMessage(error)}`)
      return null
    })
    const accuracy = coordinator.view.history.at(-1)?.testAccuracy ?? coordinator.view.initialAccuracy
    const predictions = this.options.classify && accuracy !== null && taskClasses(task) ? await this.options.classify(coordinator.currentParams, task, block).catch(() => null) : null
    const review = reviewOfferSamples(reviewSamples(task, block), reference ? reviewSamples(task, reference, REVIEW_REFERENCE_SAMPLES) : null, predictions && accuracy !== null ? { predictions, accuracy } : undefined)
    this.grids.set(id, offerPreview(task, block, review.grid))
    await coordinator.recordReview(id, review)
    this.options.log?.(`dataset "${dataset.name}" reviewed: ${review.flags.length === 0 ? 'no flags' : review.flags.map((f) => f.code).join(', ')}`)
    if (this.policy === 'auto' && review.flags.length === 0 && coordinator.datasets.find((d) => d.id === id)?.status === 'pending') await this.decideDataset(id, true)
  }

  /** The first REVIEW_REFERENCE_SAMPLES of the job's own training data (the coordinator holds it). */
  private async referenceSample(task: TaskSpec): Promise<TaskBlock> {
    const shards: TaskBlock[] = []
    let samples = 0
    for (const shard of this.options.coordinator.job.train) {
      if (samples >= REVIEW_REFERENCE_SAMPLES) break
      shards.push(await fetchTaskShard(this.options.exchange, shard, task, [], 10_000))
      samples += shard.samples
    }
    return concatBlocks(task, shards)
  }

  /**
   * The job owner's decision on a dataset. Before accepting, every chunk is fetched from the swarm (the owner
   * first), checked against its CID and decoded against the offer, so a contributor cannot offer data it
   * cannot serve or that does not match its manifest. The coordinator keeps the chunks it checked: its referee
   * needs them, and it serves them alongside the contributor and the volunteers who fetched them.
   */
  async decideDataset(id: string, accept: boolean, reason = ''): Promise<void> {
    const { coordinator, exchange } = this.options
    const dataset = coordinator.datasets.find((d) => d.id === id)
    if (!dataset) throw new TesseraeError('UNKNOWN_DATASET', `no dataset ${id.slice(0, 16)}… was offered to this job`)
    // Kept: the referee re-runs units on these chunks, and the coordinator serves them onward.
    if (accept) {
      const block = await checkDatasetChunks(exchange, dataset, [peerIdFromString(dataset.owner)], { keep: true })
      const untrainable = firstUntrainable(jobTask(coordinator.job), block)
      if (untrainable) throw new TesseraeError('DATASET_UNTRAINABLE', `dataset "${dataset.name}" cannot be accepted: ${untrainable}`)
    }
    await coordinator.decideDataset(id, accept, reason)
    // Pinned above: the coordinator is the dataset's second copy before any unit uses it.
    if (accept) await coordinator.providersFound(this.options.node.peerId.toString(), dataset.chunks.map((c) => c.cid))
    this.publishMetrics()
  }

  /**
   * All settlement work runs one at a time: both epochs and governance read the settlement state, wait on the
   * chain, then save it, so interleaving them would lose one side's update (a decision applied twice, or two
   * round closes posting the same epoch).
   */
  private settlementQueue: Promise<unknown> = Promise.resolve()

  private queueSettlement(work: (settlement: SettlementHost) => Promise<void>): Promise<unknown> {
    const settlement = this.settlement
    if (!settlement) return Promise.resolve()
    this.settlementQueue = this.settlementQueue.then(() => work(settlement))
    return this.settlementQueue
  }

  closeEpoch(): Promise<unknown> {
    return this.queueSettlement((settlement) =>
      settlement.closeEpoch().then(
        (outcome) => {
          if (!outcome.posted) this.options.log?.(`no epoch posted: ${outcome.reason}`)
          this.publishMetrics()
        },
        (error: unknown) => this.options.log?.(`posting the epoch failed (retried after the next round): ${errorMessage(error)}`),
      ),
    )
  }

  private followGovernance(): Promise<unknown> {
    return this.queueSettlement((settlement) =>
      settlement.followGovernance().then(
        () => undefined,
        (error: unknown) => this.options.log?.(`reading governance decisions failed: ${errorMessage(error)}`),
      ),
    )
  }

  /** Announces the job now, or as soon as its rate allows. */
  private announce(): void {
    this.announcementOut.request()
  }

  private async sendAnnouncement(): Promise<void> {
    const c = this.options.coordinator
    await this.publish(TOPIC_JOBS, encodeAnnouncement({ job: c.job, head: this.head(), addrs: (this.options.addrs?.() ?? []).slice(0, 16) }))
  }

  /** Publishes the metrics now, or as soon as their rate allows. */
  private publishMetrics(): void {
    this.metricsOut.request()
  }

  private async sendMetrics(): Promise<void> {
    await this.publish(TOPIC_METRICS, encodeMetricsFitting(this.metrics()))
  }

  private async publish(topic: string, data: Uint8Array): Promise<void> {
    // Gossipsub never delivers a node's own messages (emitSelf stays off: presence relies on it), but this
    // tab's own dashboard and feeds must see its job too, so deliver locally as the swarm would.
    const pubsub = this.options.node.services.pubsub
    pubsub.dispatchEvent(new CustomEvent('message', { detail: { type: 'signed', from: this.options.node.peerId, topic, data, sequenceNumber: 0n, signature: new Uint8Array(0), key: new Uint8Array(0) } as unknown as Message }))
    try {
      await pubsub.publish(topic, data)
    } catch (error) {
      // No subscriber reachable yet; the next period retries.
      this.options.log?.(`gossip on ${topic} not sent: ${errorMessage(error)}`)
    }
  }
}

/** A peer's open connections as a log reads them: address, direction, age, whether limited, and open streams. */
function describeConnections(node: PubsubNode, peer: PeerId): string {
  const connections = node.getConnections(peer)
  if (connections.length === 0) return 'none'
  return connections.map((c) => `${c.remoteAddr.toString().replace(/\/p2p\/.*$/, '')} ${c.direction} ${c.status} ${((Date.now() - c.timeline.open) / 1000).toFixed(0)} s${c.limits ? ' limited' : ''} streams [${c.streams.map((s) => s.protocol ?? '?').join(', ')}]`).join('; ')
}
