// A volunteer holding one stage of a staged job (issue 19): it asks the job's coordinator for a stage (join,
// repeated while it stays), and when told to serve one it fetches that stage's parameters of the version (only
// its own stage's, by content id), trains its replica from the coordinator's pipeline calls (StageHost, calls
// from the coordinator only), and at the round's end hands back its replica's change since the version, int8;
// asked, it commits to its ledger (every update it applied, with its micro-batches), which the coordinator
// replays its round from. It also serves the version it trains from (and, once training is over, the job's
// final version) to anyone for inference, and announces so with its presence: the volunteers who train a staged
// model are the peers a visitor's use page runs it through. Shared by tabs and Node peers; the engine is theirs.
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import { callStage } from '../p2p/stage-protocol.ts'
import type { StageControl, StageResponse } from '../p2p/stage-messages.ts'
import type { StageEngine } from '../compute/stage-engine.ts'
import { jobModel, type JobSpec } from '../training/job.ts'
import { jobStageRange } from '../training/job-stages.ts'
import { flatten, paramLayout, unflatten, type ParamLayout } from '../training/vector.ts'
import { encodeDelta, quantizeInt8 } from '../training/quantize.ts'
import { encodeCommitment } from '../training/stage-audit.ts'
import { errorMessage } from '../errors.ts'
import { ExchangeVectorStore } from './exchange-vector-store.ts'
import { StageHost, type StageLedger } from './stage-host.ts'
import { awaitCoordinator } from './connect.ts'
import { INFERENCE_ROWS } from './stage-server.ts'
import { MAX_STAGE_OFFERS, type StageOffer } from '../p2p/presence.ts'

/** How often a volunteer repeats its join while it stays (the coordinator forgets one silent for 3 of these). */
export const JOIN_EVERY_MS = 5_000

export interface StageVolunteerOptions {
  node: Libp2p
  exchange: BlockExchange
  /** The job as heard on gossip (null if not heard): who its coordinator is, and its stages. */
  job: (jobId: string) => JobSpec | null
  /** Where the job's coordinator said it can be dialled (its announcement's addresses). */
  coordinatorAddrs?: (jobId: string) => string[]
  /** A stage's engine for layers [from, to) of the job's model at `rows` samples: ORT here (Node) or in the compute worker (a tab). */
  engine: (job: JobSpec, from: number, to: number, rows: number) => Promise<StageEngine>
  /** Hears every change of the stages held (a tab's panel shows them). */
  onHolding?: (holding: Array<{ jobId: string; stage: number; version: number }>) => void
  /** Hears the verified FLOPs the job's coordinator has credited this peer with, as it answers each join. */
  onCredit?: (jobId: string, flops: number) => void
  joinEveryMs?: number
  log?: (line: string) => void
  /** Announces the stages this peer serves for inference (the swarm's presence); without it none is served. */
  announce?: (offers: StageOffer[]) => void
}

interface Held {
  job: JobSpec
  stage: number
  version: number
  /** The stage's parameters at the version, in the stage's own order (the replica's delta is against these). */
  start: Float32Array
  layout: ParamLayout
  /** The ledger as it stood when the replica was handed back: what the commitment describes. */
  closed?: StageLedger
}

type Reply = { response: StageResponse; tensors: Uint8Array[] }
/** Stage `stage`'s parameter layout, in the stage's own order. */
const stageLayout = (job: JobSpec, stage: number) => paramLayout(jobModel(job), ...jobStageRange(job, stage))
const refuse = (code: 'NOT_SERVED' | 'BAD_REQUEST', detail: string): Reply => ({ response: { type: 'refused', code, detail }, tensors: [] })

export class StageVolunteer {
  host!: StageHost
  private readonly options: StageVolunteerOptions
  private readonly held = new Map<string, Held>()
  private readonly engines = new Map<string, Promise<StageEngine>>()
  private joining: ReturnType<typeof setInterval> | undefined
  private stopped = false
  private paused = false
  /**
   * The coordinator of each job this peer joined, as first heard: a later announcement of the same job id by
   * another peer (anyone can sign one) does not make that peer its coordinator.
   */
  private readonly pinned = new Map<string, string>()
  /** What each job's coordinator last said this peer has earned (verified FLOPs). */
  readonly credit = new Map<string, number>()
  /** The stage of each job served for inference here (one a job), as announced. */
  private readonly offers = new Map<string, StageOffer>()

  private constructor(options: StageVolunteerOptions) {
    this.options = options
  }

  static async start(options: StageVolunteerOptions): Promise<StageVolunteer> {
    const volunteer = new StageVolunteer(options)
    volunteer.host = await StageHost.start(options.node, (request, from) => volunteer.control(request, from))
    return volunteer
  }

  /** The stages this peer holds now: job, stage and version. */
  get holding(): Array<{ jobId: string; stage: number; version: number }> {
    return [...this.held.values()].map((h) => ({ jobId: h.job.id, stage: h.stage, version: h.version }))
  }

  /** Asks the job's coordinator for a stage now and every few seconds, until stopped. */
  join(jobId: string): void {
    clearInterval(this.joining)
    const ask = async () => {
      const job = this.options.job(jobId)
      // Only a staged job's coordinator takes joins; a whole-model job's volunteers take units instead.
      if (!job?.stages || this.stopped || this.paused) return
      if (!this.pinned.has(jobId)) this.pinned.set(jobId, job.coordinator)
      if (this.pinned.get(jobId) !== job.coordinator) return void this.options.log?.(`job "${jobId}" is now announced by ${job.coordinator}, not the coordinator it was joined with: ignored`)
      try {
        const coordinator = peerIdFromString(job.coordinator)
        await awaitCoordinator(this.options.node, coordinator, this.options.coordinatorAddrs?.(jobId) ?? [], 10_000, this.options.log)
        const { flops } = await callStage(this.options.node, coordinator, { type: 'join', jobId }, [], 10_000)
        // (A join answered after this volunteer stopped says nothing to whoever shows credit now.)
        if (!this.stopped && this.credit.get(jobId) !== flops) {
          this.credit.set(jobId, flops)
          this.options.onCredit?.(jobId, flops)
        }
      } catch (error) {
        this.options.log?.(`could not ask for a stage of job "${jobId}": ${errorMessage(error).slice(0, 200)}`)
      }
    }
    void ask()
    this.joining = setInterval(() => void ask(), this.options.joinEveryMs ?? JOIN_EVERY_MS)
  }

  /**
   * Paused (the visitor's Pause, or a hidden tab): no more joins, and calls are refused so the coordinator
   * sends them to the stage's other peers; the replica misses the round's remaining steps.
   */
  setPaused(paused: boolean): void {
    this.paused = paused
    this.host.setPaused(paused)
    // A paused peer refuses calls: it stops offering its stages, and offers them again when it resumes.
    if (this.offers.size > 0) this.options.announce?.(paused ? [] : [...this.offers.values()])
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.joining)
    if (this.offers.size > 0) {
      this.offers.clear()
      this.options.announce?.([])
    }
    await this.host.stop()
  }

  private async control(request: StageControl, from: string): Promise<Reply> {
    if (request.type === 'join' || request.type === 'bind') return refuse('NOT_SERVED', 'this peer coordinates no job')
    const job = this.options.job(request.jobId)
    if (!job) return refuse('NOT_SERVED', `job "${request.jobId}" has not been heard here`)
    // Only the coordinator of a job this peer joined (as it was when joined) says what this peer trains or
    // serves, and takes its replica: a job it never joined cannot make it serve anything.
    if (from !== job.coordinator || this.pinned.get(job.id) !== from) return refuse('NOT_SERVED', `only the coordinator of a job this peer joined may ask for a ${request.type}, and job "${job.id}" is not one`)
    if (!job.stages) return refuse('BAD_REQUEST', `job "${job.id}" is not split into stages`)
    try {
      if (request.type === 'serve') {
        const start = await this.fetchStage(job, request.stage, request.params)
        if (this.stopped) return refuse('NOT_SERVED', 'this peer has stopped')
        if (request.inference) {
          // Training is over: the replica and its engine go, and the final version is served (or refused, said why).
          this.stopTraining(job.id)
          if (!this.options.announce) return refuse('NOT_SERVED', 'this peer serves no stage for inference')
          await this.serveInference(job, request.stage, request.version, request.model!, start)
        } else {
          await this.serve(job, request.stage, request.version, start)
          // Serving the use page beside training is extra: a tab that cannot (its memory, say) still trains.
          if (request.model) {
            try {
              await this.serveInference(job, request.stage, request.version, request.model, start)
            } catch (error) {
              this.options.log?.(`stage ${request.stage} of job "${job.id}" is not served for inference: ${errorMessage(error).slice(0, 200)}`)
            }
          }
        }
        return { response: { type: 'done', flops: 0, tensors: 0 }, tensors: [] }
      }
      const held = this.held.get(`${job.id}/${request.stage}`)
      if (!held || held.version !== request.version) return refuse('NOT_SERVED', `stage ${request.stage} of job "${job.id}" is not trained here from version ${request.version}`)
      if (request.type === 'delta') return this.delta(held)
      if (request.type === 'commit') return this.commit(held)
      return refuse('BAD_REQUEST', 'unknown request')
    } catch (error) {
      return refuse('BAD_REQUEST', errorMessage(error).slice(0, 900))
    }
  }

  /** A stage's parameters of a version, by content id, from the job's coordinator (or whoever holds them). */
  private async fetchStage(job: JobSpec, stage: number, cid: string): Promise<Float32Array> {
    return new ExchangeVectorStore(this.options.exchange, stageLayout(job, stage).total).getParams(cid, { providers: [peerIdFromString(job.coordinator)], timeoutMs: 60_000 })
  }

  /** One engine per stage and batch size, kept from version to version (the shard does not change). */
  private engine(job: JobSpec, stage: number, rows: number, key: string): Promise<StageEngine> {
    const range = jobStageRange(job, stage)
    let engine = this.engines.get(key)
    if (!engine) {
      engine = this.options.engine(job, range[0], range[1], rows)
      this.engines.set(key, engine)
      engine.catch(() => this.engines.delete(key))
    }
    return engine
  }

  private release(key: string): void {
    const old = this.engines.get(key)
    this.engines.delete(key)
    void old?.then((e) => e.release()).catch(() => undefined)
  }

  private async serve(job: JobSpec, stage: number, version: number, start: Float32Array): Promise<void> {
    const layout = stageLayout(job, stage)
    const key = `${job.id}/${stage}`
    const engine = await this.engine(job, stage, job.stages!.microBatch, key)
    if (this.stopped) return this.release(key)
    // (The host copies the values: `start` stays the version's, for the replica's delta.)
    this.host.serve({ jobId: job.id, stage, version, engine, params: unflatten(layout, start), drivers: new Set([job.coordinator]), ledger: true })
    // Moved to another stage of the job: the old one's replica and engines go, and its inference serving.
    for (const [other, held] of [...this.held]) {
      if (held.job.id !== job.id || held.stage === stage) continue
      this.held.delete(other)
      this.host.unserve(job.id, held.stage)
      this.release(other)
    }
    this.held.set(key, { job, stage, version, start, layout })
    this.options.onHolding?.(this.holding)
    this.options.log?.(`training stage ${stage} of job "${job.id}" from version ${version}`)
  }

  /**
   * Serves the version's stage to anyone for inference (forward only), announced under the version's model id:
   * one stage a job (serving another stage of it stops the first).
   */
  private async serveInference(job: JobSpec, stage: number, version: number, model: string, start: Float32Array): Promise<void> {
    if (!this.options.announce) return
    const before = this.offers.get(job.id)
    if (before && before.stage !== stage) this.stopInference(job.id)
    if (!this.offers.has(job.id) && this.offers.size >= MAX_STAGE_OFFERS) return void this.options.log?.(`stage ${stage} of job "${job.id}" is not served for inference: this peer serves ${MAX_STAGE_OFFERS} already`)
    // The slot is taken before anything awaits, so serves at once never offer more than a presence carries.
    const offer: StageOffer = { job: job.id, params: model, version, stage }
    this.offers.set(job.id, offer)
    const key = `${job.id}/${stage}/inference`
    try {
      const engine = await this.engine(job, stage, INFERENCE_ROWS, key)
      // Stopped, or overtaken by a later serve of this job: that one serves (the engine is kept for it, or goes).
      if (this.stopped) return this.release(key)
      if (this.offers.get(job.id) !== offer) return
      this.host.serve({ jobId: job.id, stage, version, engine, params: unflatten(stageLayout(job, stage), start), inferenceOnly: true })
    } catch (error) {
      if (this.offers.get(job.id) === offer) this.offers.delete(job.id)
      throw error
    }
    if (!this.paused) this.options.announce([...this.offers.values()])
  }

  private stopInference(jobId: string): void {
    const offer = this.offers.get(jobId)
    if (!offer) return
    this.offers.delete(jobId)
    this.host.unserve(jobId, offer.stage, true)
    this.release(`${jobId}/${offer.stage}/inference`)
    if (!this.paused) this.options.announce?.([...this.offers.values()])
  }

  /** A job's training is over here: its replica and training engine go (its inference serving stays). */
  private stopTraining(jobId: string): void {
    for (const [key, held] of [...this.held]) {
      if (held.job.id !== jobId) continue
      this.held.delete(key)
      this.host.unserve(jobId, held.stage)
      this.release(key)
    }
    this.options.onHolding?.(this.holding)
  }

  private delta(held: Held): Reply {
    // An update arriving after this (a late one) is not in the change handed back, so not in the commitment.
    held.closed = { applied: [...this.host.ledger(held.job.id, held.stage)!.applied] }
    const replica = flatten(held.layout, this.host.params(held.job.id, held.stage)!)
    const delta = held.start.map((v, i) => v - replica[i]!)
    const work = this.host.takeWork(held.job.id, held.stage)!
    return { response: { type: 'done', flops: work.flops, tensors: 1 }, tensors: [encodeDelta(quantizeInt8(delta))] }
  }

  /** How the replica trained this round: every update it applied, in order, with the micro-batches summed for it. */
  private commit(held: Held): Reply {
    const { applied } = held.closed ?? this.host.ledger(held.job.id, held.stage)!
    return { response: { type: 'done', flops: 0, tensors: 1 }, tensors: [encodeCommitment({ steps: applied })] }
  }
}
