// A volunteer on the network: hears job announcements, asks the coordinator for units, fetches parameters
// and data shards over Bitswap, runs the unit on the injected engine (committing its parameters at each
// checkpoint step as blocks the coordinator's referee can fetch), publishes the int8 delta as blocks and
// submits a signed result. Runs until stopped; pausing finishes the current unit first. The loop waits on
// events (a job heard, resume pressed), never polls for them.
import { encodedDeltaBytes } from '../training/quantize.ts'
import { applyVersionDiff } from '../training/version-diff.ts'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import type { GossipSub } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import { errorMessage } from '../errors.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import { deleteChunked, float32View, putChunked } from '../p2p/chunked.ts'
import { ExchangeVectorStore } from './exchange-vector-store.ts'
import type { JobAnnouncement, PeerMetrics } from '../p2p/job-topics.ts'
import { toHex } from '../hex.ts'
import { callWork } from '../p2p/work-protocol.ts'
import { concatBlocks, valuesPerSample, type TaskBlock } from '../data/task-block.ts'
import { batchWidths, taskBatch } from '../data/task-batch.ts'
import type { TaskSpec } from '../data/task.ts'
import { fetchTaskShard } from './dataset-chunks.ts'
import { awaitCoordinator } from './connect.ts'
import { JobFeed } from './job-feed.ts'
import { sleep, Wake } from '../wait.ts'
import { jobModel, jobTask, type ShardRef } from '../training/job.ts'
import { encodeDelta, type QuantizedDelta } from '../training/quantize.ts'
import { runUnit, type InnerEngine, type UnitOutput, type UnitRun } from '../training/unit-runner.ts'
import { resultSigningBytes, type UnitAssignment, type UnitResult } from '../training/unit.ts'
import { paramLayout } from '../training/vector.ts'
import type { JobSpec } from '../training/job.ts'
import type { Verdict } from '../training/verdicts.ts'

type PubsubNode = Libp2p<{ pubsub: GossipSub }>

export type VolunteerPhase = 'looking for a job' | 'waiting for work' | 'downloading' | 'compiling' | 'training' | 'uploading' | 'paused' | 'stopped' | 'error'

export interface VolunteerStatus {
  phase: VolunteerPhase
  detail: string
  job: { id: string; name: string; model: string } | null
  unitsSubmitted: number
  unitsRefused: number
  /** Distinct contributed-dataset chunks fetched (from their owners or whoever had them) and trained on. */
  contributedChunks: number
  /** Final verdicts and credit, as the coordinator's metrics report them. */
  verdict: PeerMetrics | null
  /** The coordinator's last answer that was not a unit: why it asked us to wait, or why it refused a result. */
  lastVerdict: Verdict | null
  lastSamplesPerSecond: number
  lastLoss: number | null
  backend: string | null
  bytesUp: number
  bytesDown: number
  /** Bytes of the current unit's parameters and shards fetched so far, of about how many (null when idle). */
  download: { done: number; of: number } | null
}

export interface VolunteerOptions {
  node: PubsubNode
  exchange: BlockExchange
  privateKey: PrivateKey
  /** Builds (or reuses) an engine for a job's model and batch size. */
  engineFor: (job: JobSpec) => Promise<{ engine: InnerEngine; flopsPerStep: number }>
  /** Only this job, if given; otherwise the most recently announced unfinished one. */
  jobId?: string
  /** The tab's feed of jobs heard on gossip, so a job already known is worked on at once; a new one otherwise. */
  feed?: JobFeed
  /** Red-team hooks for tests and benchmarks (a hostile volunteer); never set by the app. */
  adversary?: Adversary
  onStatus?: (status: VolunteerStatus) => void
  log?: (line: string) => void
}

/** What a hostile volunteer may do differently; the honest path is handed in so an attack can build on it. */
export interface Adversary {
  /** Produces what is submitted for `unit` (default: the honest run). */
  work?(unit: UnitAssignment, honest: UnitRun, run: (run: UnitRun) => Promise<UnitOutput>): Promise<UnitOutput>
  /** Runs after the result was submitted (e.g. dropping the checkpoints an audit would fetch). */
  afterSubmit?(result: UnitResult, exchange: BlockExchange): Promise<void>
}

/** A contributed chunk is given up on after this long (the unit then moves to other data), well inside a round. */
const CONTRIBUTED_CHUNK_TIMEOUT_MS = 20_000

/** Where to ask for a shard: the providers the coordinator named, its owner, and the coordinator itself. */
function providerIds(ref: ShardRef, coordinator: PeerId, known: readonly string[]): PeerId[] {
  const ids = [...new Set([...known, ref.owner, coordinator.toString()])]
  return ids.flatMap((id) => {
    try {
      return [peerIdFromString(id)]
    } catch {
      return []
    }
  })
}

/** Decoded shards kept in memory for the next units (least recently used go first): a long donation stays bounded. */
const CACHED_SHARDS = 16

/** Checkpoints of this many recent units stay in the block store for audits; older ones are deleted. */
const KEEP_CHECKPOINT_UNITS = 3

/** A promise's outcome as a value, so work started early can fail without an unhandled rejection before it is awaited. */
type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown }
const settle = <T>(promise: Promise<T>): Promise<Settled<T>> => promise.then((value) => ({ ok: true, value }), (error: unknown) => ({ ok: false, error }))
const unwrap = <T>(settled: Settled<T>): T => {
  if (!settled.ok) throw settled.error
  return settled.value
}

/** How long a unit request waits for a direct connection to the coordinator before it counts as an error. */
const COORDINATOR_WAIT_MS = 30_000

/** A safety net only: the loop wakes on job announcements and on resume, not on this timer. */
const IDLE_RECHECK_MS = 30_000

export class VolunteerClient {
  private readonly options: VolunteerOptions
  private readonly feed: JobFeed
  private readonly ownFeed: boolean
  private readonly unsubscribeFeed: () => void
  /** Nudged when something the idle loop waits for happens: a job heard, resume pressed. */
  private readonly wake = new Wake()
  private readonly shards = new Map<string, { task: string; block: TaskBlock }>()
  /** The last version this volunteer trained from: the next one arrives as an int8 diff against it. */
  private lastParams: { cid: string; values: Float32Array } | null = null
  /** Contributed chunks pinned in this peer's block store: it serves them, and says so with each request. */
  private readonly holding = new Set<string>()
  /** CIDs of contributed chunks trained on (counted once even if evicted from `shards` and fetched again). */
  private readonly contributed = new Set<string>()
  private readonly controller = new AbortController()
  private paused = false
  /** While paused: the phase the work is really in, shown again on resume. */
  private held: Pick<VolunteerStatus, 'phase' | 'detail'> | null = null
  private readonly committed: string[][] = []
  private running: Promise<void> | null = null
  status: VolunteerStatus = { phase: 'looking for a job', detail: '', job: null, unitsSubmitted: 0, unitsRefused: 0, contributedChunks: 0, verdict: null, lastVerdict: null, lastSamplesPerSecond: 0, lastLoss: null, backend: null, bytesUp: 0, bytesDown: 0, download: null }

  constructor(options: VolunteerOptions) {
    this.options = options
    this.ownFeed = options.feed === undefined
    this.feed = options.feed ?? new JobFeed(options.node, options.log)
    this.unsubscribeFeed = this.feed.subscribe((jobs) => {
      this.wake.wake()
      const metrics = jobs.find((j) => j.announcement.job.id === this.status.job?.id)?.metrics
      const mine = metrics?.peers.find((p) => p.peer === this.options.node.peerId.toString())
      if (mine) this.update({ verdict: mine })
    })
  }

  start(): void {
    this.running ??= this.loop()
  }

  setPaused(paused: boolean): void {
    if (paused === this.paused) return
    if (paused) {
      this.held = { phase: this.status.phase, detail: this.status.detail }
      this.update({ phase: 'paused', detail: 'paused by you' })
      this.paused = true
      return
    }
    this.paused = false
    // Back to what the unit in flight is doing now (it may have moved on while paused).
    if (this.held) this.update(this.held)
    this.held = null
    this.wake.wake()
  }

  async stop(): Promise<void> {
    this.controller.abort()
    this.unsubscribeFeed()
    if (this.ownFeed) this.feed.stop()
    // A unit in flight cannot be cancelled inside the engine; do not hold the caller hostage to it.
    await Promise.race([this.running, new Promise((r) => setTimeout(r, 3000))])
    this.update({ phase: 'stopped', detail: '' })
  }

  knownJobs(): JobAnnouncement[] {
    return this.feed.current.map((j) => j.announcement)
  }

  private pickJob(): JobAnnouncement | null {
    // A staged job's volunteers hold a stage (stage-volunteer.ts), not whole-model units.
    const candidates = this.knownJobs().filter((a) => !a.head.finished && !a.job.stages && (this.options.jobId === undefined || a.job.id === this.options.jobId))
    return candidates.sort((a, b) => b.job.createdAtMs - a.job.createdAtMs)[0] ?? null
  }

  private async loop(): Promise<void> {
    const signal = this.controller.signal
    while (!signal.aborted) {
      if (this.paused) {
        await this.wake.wait(IDLE_RECHECK_MS, signal)
        continue
      }
      const announcement = this.pickJob()
      if (!announcement) {
        this.update({ phase: 'looking for a job', detail: 'no job announced yet' })
        await this.wake.wait(IDLE_RECHECK_MS, signal)
        continue
      }
      try {
        await this.workOnce(announcement, signal)
      } catch (error) {
        if (signal.aborted) break
        // Paused mid-unit: the pause stays what the volunteer sees; the failure is only a footnote to it.
        if (this.paused) {
          this.update({ phase: 'paused', detail: `paused by you; the unit in progress was dropped (${errorMessage(error)})` })
          this.held = { phase: 'waiting for work', detail: 'asking the coordinator for a unit' }
        } else this.update({ phase: 'error', detail: errorMessage(error) })
        this.options.log?.(`unit failed: ${errorMessage(error)}`)
        await sleep(2000, signal)
      }
    }
  }

  private async workOnce(announcement: JobAnnouncement, signal: AbortSignal): Promise<void> {
    const { job } = announcement
    const coordinator = peerIdFromString(job.coordinator)
    this.update({ job: { id: job.id, name: job.name, model: job.model }, phase: 'waiting for work', detail: 'asking the coordinator for a unit' })
    // The training graph compiles while the unit is asked for and downloaded (cached after the first unit).
    const engineReady = settle(this.options.engineFor(job))
    // A tab coordinator is reached once the swarm's WebRTC link is up: wait for that event, not for errors.
    await awaitCoordinator(this.options.node, coordinator, announcement.addrs, COORDINATOR_WAIT_MS, this.options.log)
    const reply = await callWork(this.options.node, coordinator, { type: 'request', jobId: job.id, backend: this.status.backend ?? 'unknown', holds: [...this.holding].slice(-512) })
    if (reply.type === 'wait') {
      this.update({ phase: 'waiting for work', detail: '', lastVerdict: reply.verdict })
      await sleep(reply.retryMs, signal)
      return
    }
    if (reply.type !== 'unit') throw new Error(`unexpected reply "${reply.type}" to a work request`)
    const unit = reply.unit
    const providers = reply.providers ?? {}
    if (reply.replicate?.length) void this.replicate(reply.replicate, jobTask(job), providers, coordinator)
    this.update({ phase: 'downloading', detail: `unit ${unit.unitId}: parameters v${unit.version} and ${unit.shards.length} shard(s)` })
    const model = jobModel(job)
    const task = jobTask(job)
    const layout = paramLayout(model)
    const before = this.options.exchange.stats.bytesFetched
    // Expected size: fp32 parameters plus each shard's stored samples (cached shards arrive instantly).
    const of = layout.total * 4 + unit.shards.reduce((n, s) => n + s.samples * valuesPerSample(task), 0)
    const progress = setInterval(() => this.update({ download: { done: Math.min(this.options.exchange.stats.bytesFetched - before, of), of } }), 250)
    let params: Float32Array
    let data: TaskBlock
    try {
      const [fetched, shards] = await Promise.all([
        this.params(unit, new ExchangeVectorStore(this.options.exchange, layout.total), coordinator),
        Promise.allSettled(unit.shards.map((s) => this.shard(s, task, coordinator, providers[s.cid] ?? []))),
      ])
      const failed = shards.findIndex((r) => r.status === 'rejected')
      if (failed >= 0) {
        const ref = unit.shards[failed]!
        const reason = (shards[failed] as PromiseRejectedResult).reason
        if (!ref.dataset) throw reason
        // Nobody served a contributed chunk: the coordinator moves the unit to other data, and we ask again.
        this.options.log?.(`chunk ${ref.cid.slice(0, 16)}… of unit ${unit.unitId} could not be fetched (${errorMessage(reason)}); the unit moves to other data`)
        await callWork(this.options.node, coordinator, { type: 'missing', jobId: job.id, unitId: unit.unitId, cid: ref.cid })
        return
      }
      params = fetched
      data = concatBlocks(task, shards.map((r) => (r as PromiseFulfilledResult<TaskBlock>).value))
    } finally {
      clearInterval(progress)
      this.update({ download: null })
    }
    // Compiling the training graph happens once per model and batch size; later units find it ready.
    this.update({ bytesDown: this.status.bytesDown + this.options.exchange.stats.bytesFetched - before, phase: 'compiling', detail: `preparing the ${job.model} training graph on this device` })
    const { engine, flopsPerStep } = unwrap(await engineReady)
    // A new peer's first unit is a short probe the coordinator checks at once (training/probe.ts).
    const probe = unit.innerSteps < job.innerSteps ? ', a short first unit checked at once' : ''
    this.update({ phase: 'training', detail: `unit ${unit.unitId}: ${unit.innerSteps} steps of ${unit.batchSize}${probe}` })
    const checkpoints: string[] = []
    const widths = batchWidths(task)
    const run: UnitRun = {
      unit, start: params, layout, totalSamples: data.count, engine, flopsPerStep,
      makeBatch: (indices, salt) => taskBatch(task, data, indices, engine.spare?.(indices.length * widths.x, indices.length * widths.y), salt),
      commit: async (values) => {
        const cid = await putChunked(this.options.exchange, 'checkpoint', float32View(values))
        checkpoints.push(cid)
        return cid
      },
    }
    const output = this.options.adversary?.work ? await this.options.adversary.work(unit, run, runUnit) : await runUnit(run)
    await this.forgetOldCheckpoints(checkpoints)
    await this.submit(unit, output.result, output.delta, coordinator)
  }

  private async submit(unit: UnitAssignment, partial: Omit<UnitResult, 'deltaCid'>, delta: QuantizedDelta, coordinator: PeerId): Promise<void> {
    this.update({ phase: 'uploading', detail: `unit ${unit.unitId}`, lastSamplesPerSecond: (partial.samples * 1000) / Math.max(partial.elapsedMs, 1), lastLoss: partial.lossAfter, backend: partial.backend })
    const bytes = encodeDelta(delta)
    const deltaCid = await putChunked(this.options.exchange, 'delta', bytes)
    const result: UnitResult = { ...partial, deltaCid }
    const signature = toHex(await this.options.privateKey.sign(resultSigningBytes(result)))
    const ack = await callWork(this.options.node, coordinator, { type: 'submit', result, signature })
    if (ack.type !== 'ack') throw new Error(`unexpected reply "${ack.type}" to a submission`)
    if (ack.accepted) this.update({ unitsSubmitted: this.status.unitsSubmitted + 1, bytesUp: this.status.bytesUp + bytes.length, detail: `unit ${unit.unitId} delivered`, lastVerdict: null })
    else this.update({ unitsRefused: this.status.unitsRefused + 1, detail: `unit ${unit.unitId} refused`, lastVerdict: ack.verdict })
    this.options.log?.(`unit ${unit.unitId}: ${ack.accepted ? 'delivered' : `refused (${ack.verdict.code} ${JSON.stringify(ack.verdict.params)})`}`)
    await this.options.adversary?.afterSubmit?.(result, this.options.exchange)
  }

  /** Audits of a unit come within seconds of its submission; a few units back nothing will ask any more. */
  private async forgetOldCheckpoints(latest: string[]): Promise<void> {
    this.committed.push(latest)
    while (this.committed.length > KEEP_CHECKPOINT_UNITS) {
      for (const cid of this.committed.shift()!) {
        await deleteChunked(this.options.exchange, cid).catch((error: unknown) => this.options.log?.(`could not delete checkpoint ${cid.slice(0, 16)}…: ${errorMessage(error)}`))
      }
    }
  }

  /**
   * A contributed chunk is asked of the live providers the coordinator named (its owner, the coordinator, peers
   * that pinned it), then of anyone connected; once fetched it stays pinned here and this peer serves it too.
   */
  /**
   * The unit's starting parameters: rebuilt from the version this volunteer holds and the coordinator's int8 diff
   * (a quarter of the bytes) when the unit names one from that version and the rebuild hashes to the unit's
   * content id; the full vector otherwise.
   */
  private async params(unit: UnitAssignment, store: ExchangeVectorStore, coordinator: PeerId): Promise<Float32Array> {
    const held = this.lastParams
    let values: Float32Array | null = held?.cid === unit.paramsCid ? held.values.slice() : null
    if (!values && held && unit.paramsDiff?.from === held.cid) {
      try {
        const diff = await store.getDelta(unit.paramsDiff.cid, { providers: [coordinator] })
        const rebuilt = applyVersionDiff(held.values, diff)
        // Storing it names it: the same bytes give the same content id, and this peer can then serve the version.
        if ((await store.putParams(rebuilt)) === unit.paramsCid) {
          values = rebuilt
          this.options.log?.(`parameters of version ${unit.version} rebuilt from the version held and a ${(encodedDeltaBytes(diff.length, diff.blockSize) / 1024).toFixed(0)} KiB diff (${(rebuilt.length * 4 / 1024).toFixed(0)} KiB in full)`)
        } else this.options.log?.(`the diff to version ${unit.version} did not rebuild ${unit.paramsCid.slice(0, 16)}…; fetching the full parameters`)
      } catch (error) {
        this.options.log?.(`the diff to version ${unit.version} could not be used (${errorMessage(error)}); fetching the full parameters`)
      }
    }
    values ??= await store.getParams(unit.paramsCid, { providers: [coordinator] })
    this.lastParams = { cid: unit.paramsCid, values: values.slice() }
    return values
  }

  private async shard(ref: ShardRef, task: TaskSpec, coordinator: PeerId, known: readonly string[]): Promise<TaskBlock> {
    // Samples are decoded against a task: the same block read for another job's task is read again.
    const taskKey = JSON.stringify(task)
    const cached = this.shards.get(ref.cid)
    if (cached?.task === taskKey) {
      this.shards.delete(ref.cid)
      this.shards.set(ref.cid, cached)
      return cached.block
    }
    const shard = await fetchTaskShard(this.options.exchange, ref, task, providerIds(ref, coordinator, known), ref.dataset ? CONTRIBUTED_CHUNK_TIMEOUT_MS : undefined)
    this.shards.delete(ref.cid)
    this.shards.set(ref.cid, { task: taskKey, block: shard })
    for (const old of this.shards.keys()) {
      if (this.shards.size <= CACHED_SHARDS) break
      this.shards.delete(old)
    }
    if (ref.dataset) this.holding.add(ref.cid)
    if (ref.dataset && !this.contributed.has(ref.cid)) {
      this.contributed.add(ref.cid)
      this.update({ contributedChunks: this.contributed.size })
    }
    return shard
  }

  /** Copies under-replicated chunks the coordinator asked for, beside the unit; the next request announces them. */
  private async replicate(refs: readonly ShardRef[], task: TaskSpec, providers: Readonly<Record<string, string[]>>, coordinator: PeerId): Promise<void> {
    for (const ref of refs) {
      if (this.holding.has(ref.cid)) continue
      try {
        await fetchTaskShard(this.options.exchange, ref, task, providerIds(ref, coordinator, providers[ref.cid] ?? []), CONTRIBUTED_CHUNK_TIMEOUT_MS)
        this.holding.add(ref.cid)
      } catch (error) {
        this.options.log?.(`could not copy chunk ${ref.cid.slice(0, 16)}… for the swarm: ${errorMessage(error)}`)
      }
    }
  }

  private update(patch: Partial<VolunteerStatus>): void {
    // While paused the phase stays "paused": a unit finishing its download in the background is not news.
    if (this.paused && patch.phase !== undefined && patch.phase !== 'stopped' && patch.phase !== 'paused') {
      this.held = { phase: patch.phase, detail: patch.detail ?? '' }
      patch = { ...patch, phase: 'paused', detail: this.status.detail }
    }
    this.status = { ...this.status, ...patch }
    this.options.onStatus?.(this.status)
  }
}
