// The coordinator's state machine for one DiLoCo job: hands out units (assignment.ts), takes committed
// results and has them verified (verification.ts, by the referee), settles each unit (unit-outcome.ts:
// credit exactly once, or the cost of cheating from reputation.ts), keeps datasets and bindings
// (coordinator-records.ts), closes rounds (round-close.ts) and checkpoints after every change. Transport,
// storage, the referee's engine and evaluation are injected, so the same class runs in a researcher's tab
// (IndexedDB, compute worker) and in Node (disk, ORT), and in unit tests.
import { TesseraeError } from '../errors.ts'
import { CreditsLedger } from './credits.ts'
import { decodeCheckpoint, MAX_HISTORY, type CoordinatorState, type HolderState, type PeerState, type RoundReport, type UnitState, type WalletBinding } from './coordinator-state.ts'
import { decodeJob, jobRecipe, jobTask, unitSamples, type Deployed, type JobSpec, type ShardRef } from './job.ts'
import type { DatasetOffer, DatasetState } from './datasets.ts'
import type { OfferReview } from './data-review.ts'
import type { QuantizedDelta } from './quantize.ts'
import { DeltaSketcher, DEFAULT_SCREENING, type ScreeningOptions } from './robust-aggregate.ts'
import { closeRound } from './round-close.ts'
import type { UnitAssignment, UnitResult } from './unit.ts'
import { Serial } from './serial.ts'
import type { CheckpointStore, LogStore, VectorStore } from './stores.ts'
import { roundRecord } from './job-log.ts'
import { deploymentRecord } from './deployment.ts'
import { quantizeVersion } from './version-diff.ts'
import { assign, expireHolds, releasePeer, typicalUnitMs } from './assignment.ts'
import { newJobSecret, roundSecret } from './audit-draw.ts'
import { intake, type Checks } from './intake.ts'
import type { Referee } from './referee.ts'
import { DEFAULT_THRESHOLDS, verifyResult, type Evidence, type VerificationOutcome, type VerificationThresholds } from './verification.ts'
import { newPeer } from './reputation.ts'
import { planRound } from './round-plan.ts'
import { verdict, type RejectionCode, type Verdict, type WaitCode } from './verdicts.ts'
import { recordBinding, recordDecision, recordOffer, shardAt } from './coordinator-records.ts'
import { gainScreen, recordGain } from './gain-screen.ts'
import { acceptHolder, dropHolder, malformation, rejectHolder } from './unit-outcome.ts'
import { allUnits, probeFor, unitSteps } from './probe.ts'
import { addProvider, chunksToReplicate, dropProvider, moveUnitOff, reassignUnreachable, type ProviderBook } from './availability.ts'

export type { CheckpointStore, LogStore, VectorStore } from './stores.ts'
export type { Evidence } from './verification.ts'

export interface Evaluation {
  accuracy: number
  loss: number
}

export interface CoordinatorOptions {
  job: JobSpec
  dim: number
  initialParams: () => Float32Array
  flopsPerStep: number
  vectors: VectorStore
  checkpoints: CheckpointStore
  /** Where each closed round's record goes (the job log). */
  log: LogStore
  /** Re-executes volunteers' work: the coordinator's own engine. */
  referee: Referee
  evaluate?: (params: Float32Array) => Promise<Evaluation>
  now?: () => number
  /** The job's audit secret (64 hex digits); random unless given (tests). */
  secret?: string
  screening?: ScreeningOptions
  thresholds?: VerificationThresholds
  /** Steps of a new peer's first, probing unit (probe.ts); none when 0 or absent. The hosts use PROBE_STEPS. */
  probeSteps?: number
}

/**
 * A unit, with who serves its contributed chunks (so the volunteer asks a live holder, not only the owner) and
 * under-replicated chunks it should fetch and pin too; or why to wait.
 */
export type WorkReply = { kind: 'unit'; unit: UnitAssignment; providers: ProviderBook; replicate: ShardRef[] } | { kind: 'wait'; retryMs: number; verdict: Verdict<WaitCode> }
export type SubmitReply = { accepted: boolean; verdict: Verdict }

const WAIT_MS = 1500
const LONG_WAIT_MS = 60_000

export class Coordinator {
  private currentJob: JobSpec
  /** A governance change waiting for the round boundary, so in-flight units keep the settings they got. */
  private nextJob: JobSpec | null = null
  private readonly options: CoordinatorOptions
  private readonly now: () => number
  private readonly sketcher: DeltaSketcher
  private readonly serial = new Serial()
  private state: CoordinatorState
  private ledger: CreditsLedger
  private params: Float32Array
  private momentum: Float32Array
  private centre: Float32Array | null
  private readonly listeners = new Set<(report: RoundReport | null) => void>()
  private readonly verifying = new Set<Promise<void>>()
  private refereeMsAtRoundStart: number

  private constructor(options: CoordinatorOptions, state: CoordinatorState, params: Float32Array, momentum: Float32Array, centre: Float32Array | null) {
    this.options = options
    this.currentJob = state.governedJob === undefined ? options.job : decodeJob(state.governedJob)
    // A change scheduled before a restart still waits for the round boundary: the round's units keep their settings.
    this.nextJob = state.scheduledJob === undefined ? null : decodeJob(state.scheduledJob)
    this.now = options.now ?? Date.now
    this.sketcher = new DeltaSketcher(options.dim, options.job.seed)
    this.state = state
    this.ledger = CreditsLedger.fromJSON(state.ledger)
    this.params = params
    this.momentum = momentum
    this.centre = centre
    this.refereeMsAtRoundStart = options.referee.busyMs
  }

  /** Restores the job from its checkpoint if there is one, else starts it at version 0. */
  static async open(options: CoordinatorOptions): Promise<Coordinator> {
    const text = await options.checkpoints.load()
    const now = (options.now ?? Date.now)()
    if (text !== null) {
      const { state, replan } = decodeCheckpoint(text, options.job.id)
      const params = await options.vectors.getParams(state.current.paramsCid)
      if (params.length !== options.dim) throw new TesseraeError('CHECKPOINT_MISMATCH', `the checkpoint holds ${params.length} parameters, the model has ${options.dim}`)
      const momentum = state.momentumCid === null ? new Float32Array(options.dim) : await options.vectors.getParams(state.momentumCid)
      const centre = state.centreCid === null ? null : await options.vectors.getParams(state.centreCid)
      const coordinator = new Coordinator(options, state, params, momentum, centre)
      // Checks in flight died with the old process: nobody is to blame, and the units are open again.
      // Units held before the restart are open again: their holders' connections died with the old process, and
      // a round whose every unit waited for holders that never came back would stall until its deadline (half
      // an hour; with no result yet nothing is speculated). A holder that does come back still delivers: a
      // released holder's result is taken.
      for (const unit of allUnits(state.current)) {
        for (const h of unit.holders) {
          if (h.status === 'verifying') dropHolder(state, h, verdict('UNVERIFIED', { detail: 'the coordinator restarted while checking it' }), now)
          else if (h.status === 'assigned') h.status = 'released'
        }
      }
      // Who served what before the restart is unknown now: providers announce themselves again.
      state.providers = {}
      if (replan) {
        state.secret = options.secret ?? newJobSecret()
        const { round, version, paramsCid } = state.current
        state.current = await planRound(coordinator.job, state, { round, version, paramsCid, startedAtMs: now })
        await coordinator.save()
      }
      return coordinator
    }
    const params = options.initialParams()
    if (params.length !== options.dim) throw new TesseraeError('SHAPE_MISMATCH', `initial parameters have ${params.length} values, the model has ${options.dim}`)
    const paramsCid = await options.vectors.putParams(params)
    const state: CoordinatorState = {
      format: 2,
      jobId: options.job.id,
      secret: options.secret ?? newJobSecret(),
      current: { round: 0, version: 0, paramsCid, startedAtMs: now, deadlineMs: now, secretCommitment: '', units: [] },
      momentumCid: null,
      centreCid: null,
      peers: {},
      ledger: new CreditsLedger().toJSON(),
      history: [],
      initialAccuracy: null,
      finished: false,
      reference: [],
      datasets: [],
      pool: [],
      shardUse: [],
      bindings: {},
      bannedWallets: [],
      seq: 0,
      logHead: null,
    }
    state.current = await planRound(options.job, state, { round: 0, version: 0, paramsCid, startedAtMs: now })
    const coordinator = new Coordinator(options, state, params, new Float32Array(options.dim), null)
    if (options.evaluate) coordinator.state.initialAccuracy = (await options.evaluate(params)).accuracy
    await coordinator.save()
    return coordinator
  }

  /** The job as it runs now: the announced spec with every governance change applied so far. */
  get job(): JobSpec {
    return this.currentJob
  }

  /** The job as the next round will run it when a change is waiting for the round boundary, else null. */
  get pendingJob(): JobSpec | null {
    return this.nextJob
  }

  get view(): Readonly<CoordinatorState> {
    return this.state
  }

  get credits(): CreditsLedger {
    return this.ledger
  }

  get currentParams(): Float32Array {
    return this.params
  }

  /** Called with each closed round's report, and with null on any other change (assignment, result). */
  subscribe(listener: (report: RoundReport | null) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Resolves once every result received so far has its verdict (tests, benchmarks, shutdown). */
  async settled(): Promise<void> {
    while (this.verifying.size > 0) await Promise.all([...this.verifying])
    await this.serial.run(async () => undefined)
  }

  /** A request for work; `holds` are the contributed chunks the peer has pinned (it serves them to the swarm). */
  requestWork(peer: string, holds: readonly string[] = []): Promise<WorkReply> {
    return this.serial.run(async () => {
      const now = this.now()
      const record = this.seen(peer)
      this.addProviders(peer, holds)
      const wait = (code: WaitCode, retryMs: number, params = {}): WorkReply => ({ kind: 'wait', retryMs, verdict: verdict(code, params) })
      if (this.state.finished) return wait('JOB_FINISHED', LONG_WAIT_MS)
      if (record.banned) return wait('EXCLUDED', LONG_WAIT_MS, { code: record.ban?.code ?? 'AUDIT_FAILED' })
      const round = this.state.current
      if (now >= round.deadlineMs) return wait('ROUND_CLOSING', WAIT_MS, { round: round.round })
      expireHolds(round, now, this.job.roundMs)
      // A new peer's first unit is a short probe, checked at once: verified credit within seconds.
      const probesBefore = round.probes?.length ?? 0
      const probe = probeFor(this.job, round, peer, record, now, this.options.probeSteps ?? 0)
      if (probe) {
        if ((round.probes?.length ?? 0) > probesBefore) await this.changed()
        return { kind: 'unit', unit: this.assignment(probe), providers: {}, replicate: [] }
      }
      const picked = assign(this.job, round, this.state.peers, peer, now, typicalUnitMs(round))
      if ('wait' in picked) return { kind: 'wait', retryMs: WAIT_MS, verdict: picked.wait }
      if (!picked.unit.holders.some((h) => h.peer === peer && h.status === 'assigned')) {
        picked.unit.holders.push({ peer, assignedAtMs: now, status: 'assigned', ...(picked.speculative ? { speculative: true } : {}) })
        await this.save()
        this.emit(null)
      }
      const unit = this.assignment(picked.unit)
      const book = this.state.providers ?? {}
      const providers = Object.fromEntries(unit.shards.flatMap((s) => (book[s.cid] ? [[s.cid, book[s.cid]!.slice(0, 8)]] : [])))
      return { kind: 'unit', unit, providers, replicate: chunksToReplicate(this.job, this.state, peer) }
    })
  }

  /**
   * Peers that hold contributed chunks (the owner, the coordinator itself, volunteers that pinned them). Only
   * chunks of accepted datasets are recorded, so a peer cannot grow the state with made-up CIDs.
   */
  providersFound(peer: string, cids: readonly string[]): Promise<void> {
    return this.serial.run(async () => {
      if (this.addProviders(peer, cids)) await this.changed()
    })
  }

  private addProviders(peer: string, cids: readonly string[]): boolean {
    if (cids.length === 0) return false
    const known = new Set(this.state.pool.map((s) => s.cid))
    return addProvider((this.state.providers ??= {}), peer, cids.filter((c) => known.has(c)))
  }

  /**
   * The holder of `unitId` could not fetch chunk `cid` from anyone: it does not serve it, and the unit moves
   * to other data at once (released, so the reporter asks again and gets it back with its new shards).
   */
  chunkMissing(peer: string, unitId: string, cid: string): Promise<boolean> {
    return this.serial.run(async () => {
      dropProvider((this.state.providers ??= {}), peer, [cid])
      const unit = this.state.current.units.find((u) => u.id === unitId)
      if (!unit?.holders.some((h) => h.peer === peer && h.status === 'assigned')) return false
      const moved = moveUnitOff(this.job, this.state, unit, cid)
      if (moved) await this.changed()
      return moved
    })
  }

  /**
   * Takes a committed result. `delta` has already been fetched by CID from the submitter; the reply only says
   * whether it was taken for verification: the verdict follows when the referee is done with it.
   */
  submit(peer: string, result: UnitResult, delta: QuantizedDelta, evidence: Evidence, signature: string): Promise<SubmitReply> {
    return this.serial.run(async () => {
      const record = this.seen(peer)
      const refuse = (code: RejectionCode, params = {}): SubmitReply => ({ accepted: false, verdict: verdict(code, params) })
      if (record.banned) return refuse('EXCLUDED')
      if (result.jobId !== this.job.id) return refuse('UNKNOWN_JOB', { job: result.jobId.slice(0, 64) })
      const round = this.state.current
      if (result.round !== round.round || result.version !== round.version || this.now() >= round.deadlineMs) return refuse('ROUND_CLOSED', { round: round.round })
      const unit = allUnits(round).find((u) => u.id === result.unitId)
      const holder = unit?.holders.find((h) => h.peer === peer && (h.status === 'assigned' || h.status === 'released'))
      if (!unit || !holder) return refuse('NOT_ASSIGNED', { unit: result.unitId.slice(0, 64) })
      if (unit.outcome !== 'open') {
        holder.status = 'superseded'
        await this.save()
        return refuse('ALREADY_DECIDED', { unit: unit.id })
      }
      const malformed = malformation(this.job, this.options.dim, result, delta, unitSteps(this.job, unit))
      if (malformed) {
        this.reject(unit, holder, malformed)
        await this.save()
        this.emit(null)
        return { accepted: false, verdict: malformed }
      }
      const stats = this.sketcher.stats(delta, this.centre)
      const { commitment, checks } = await intake({ state: this.state, job: this.job, peer: record, result, delta, stats, evidence, screening: this.options.screening ?? DEFAULT_SCREENING, thresholds: this.options.thresholds ?? DEFAULT_THRESHOLDS, probe: unit.probe === true })
      Object.assign(holder, { status: 'verifying', submittedAtMs: this.now(), result, signature, commitment, stats: { norm: stats.norm, distance: stats.distance, sketch: [...stats.sketch] } } satisfies Partial<HolderState>)
      // Self-reported, shown on the dashboard only: nothing is credited or decided from them.
      record.backend = result.backend
      record.samplesPerSecond = (result.samples * 1000) / Math.max(result.elapsedMs, 1)
      await this.save()
      this.emit(null)
      this.track(this.verify(unit, holder, checks))
      return { accepted: true, verdict: verdict('RECEIVED') }
    })
  }

  /** The host refused a submission before it reached submit() (bad signature, undeliverable delta). */
  refuse(peer: string, unitId: string, rejection: Verdict<RejectionCode>): Promise<void> {
    return this.serial.run(async () => {
      const unit = allUnits(this.state.current).find((u) => u.id === unitId)
      const holder = unit?.holders.find((h) => h.peer === peer && (h.status === 'assigned' || h.status === 'released'))
      if (!unit || !holder || unit.outcome !== 'open') return
      this.reject(unit, holder, rejection)
      await this.save()
      this.emit(null)
    })
  }

  /** A peer's connection closed: whatever it holds is open to others at once. */
  peerLeft(peer: string): Promise<void> {
    return this.serial.run(async () => {
      // A provider that left serves nothing; units on chunks nobody else serves move to other data now.
      const orphaned = dropProvider((this.state.providers ??= {}), peer).length > 0
      const moved = orphaned && reassignUnreachable(this.job, this.state, this.state.current).length > 0
      const record = this.state.peers[peer]
      if (record) record.left = true
      if ((record && releasePeer(this.state.current, peer) > 0) || orphaned || moved) await this.changed()
    })
  }

  /**
   * Closes the round once its deadline has passed and nothing is still being verified (the referee's fetches
   * all have deadlines), whatever is missing: units nobody delivered are dropped. Only a round nobody took any
   * unit of stays open (an idle swarm would otherwise burn rounds on nothing).
   */
  tick(): Promise<RoundReport | null> {
    return this.serial.run(async () => {
      const round = this.state.current
      if (this.state.finished || this.now() < round.deadlineMs) return null
      // A probe being checked holds the close too: its verdict must be in this round's log record.
      if (allUnits(round).some((u) => u.holders.some((h) => h.status === 'verifying'))) return null
      // Only a round nobody took anything of (not even a probe, whose credit waits for the round's record) waits on.
      if (allUnits(round).every((u) => u.holders.length === 0)) {
        round.deadlineMs = this.now() + this.job.roundMs
        await this.save()
        return null
      }
      return this.close()
    })
  }

  /** Records a dataset offer (signature and manifest already checked by the host); rejects misfits at once. */
  offerDataset(offer: DatasetOffer): Promise<DatasetState> {
    return this.serial.run(async () => {
      const { entry, added } = recordOffer(this.state, this.job, offer, this.now())
      if (added) await this.changed()
      return { ...entry }
    })
  }

  /** The job owner's decision on an offered dataset (see recordDecision). */
  decideDataset(id: string, accept: boolean, reason: string): Promise<DatasetState> {
    return this.serial.run(async () => {
      const entry = recordDecision(this.state, id, accept, reason, this.now())
      await this.changed()
      return { ...entry }
    })
  }

  /** The automatic checks of an offer's samples (the host fetched and reviewed them). */
  recordReview(id: string, review: OfferReview): Promise<void> {
    return this.serial.run(async () => {
      const entry = this.state.datasets.find((d) => d.id === id)
      if (!entry) return
      entry.review = review
      await this.changed()
    })
  }

  /** Records a wallet binding the host has verified; the next epoch routes this peer's credit to it. */
  recordBinding(peer: string, binding: Omit<WalletBinding, 'seq'>): Promise<void> {
    return this.serial.run(async () => {
      recordBinding(this.state, peer, binding)
      await this.changed()
    })
  }

  get bindings(): Readonly<Record<string, WalletBinding>> {
    return this.state.bindings
  }

  /** Saves the settlement layer's state with the checkpoint (the credits it was computed from are in it too). */
  saveSettlement(value: unknown): Promise<void> {
    return this.serial.run(async () => {
      this.state.settlement = value
      await this.save()
    })
  }

  /**
   * Adopts `job` (same id, changed hyper-parameters) from the next round on: units already handed out were
   * planned with the old settings and are judged by them. A job that finished by reaching its rounds, given
   * more, goes on at once.
   */
  scheduleJobChange(job: JobSpec): Promise<void> {
    return this.serial.run(async () => {
      // The parameters' layout and what a sample is are fixed for the job's life: a new model or task is a new job.
      const same = (a: JobSpec, b: JobSpec) => JSON.stringify([jobRecipe(a), jobTask(a)]) === JSON.stringify([jobRecipe(b), jobTask(b)])
      if (job.id !== this.currentJob.id || !same(job, this.currentJob) || job.batchSize !== this.currentJob.batchSize) throw new TesseraeError('BAD_JOB_CHANGE', 'a running job keeps its id, model, task and batch size')
      const round = this.state.current
      if (this.state.finished && !this.state.ending && (job.rounds === 0 || job.rounds > round.round)) {
        // The owner extends a job that ran its rounds (one governance ended stays ended). No round boundary is
        // coming, so the change applies now, and the round planned when it finished, which nobody was handed,
        // is planned again under it, its deadline from now.
        for (const u of round.units) for (const s of u.shards) this.state.shardUse[s] = Math.max(0, (this.state.shardUse[s] ?? 0) - 1)
        this.currentJob = job
        this.state.governedJob = job
        delete this.state.scheduledJob
        this.nextJob = null
        this.state.current = await planRound(job, this.state, { round: round.round, version: round.version, paramsCid: round.paramsCid, ...(round.paramsDiff ? { paramsDiff: round.paramsDiff } : {}), startedAtMs: this.now() })
        this.state.finished = false
        await this.save()
        this.emit(null)
        return
      }
      this.nextJob = job
      this.state.scheduledJob = job
      await this.save()
    })
  }

  /**
   * The owner deploys the current version: a deployment record in the job log names the round record that
   * produced it (so anyone can check it was trained here, deployment.ts), and the job announces it, so the use
   * page offers it by default. Allowed once a round has closed, also after the job finished.
   */
  deploy(): Promise<Deployed> {
    return this.serial.run(async () => {
      const { version, paramsCid } = this.state.current
      const round = this.state.logHead
      if (round === null) throw new TesseraeError('NOTHING_TO_DEPLOY', 'no round has closed yet, so no version is recorded in the job log; deploy once the first round has closed')
      const record = await this.options.log.put(deploymentRecord({ job: this.job.id, version, paramsCid, round, deployedAtMs: this.now(), prev: this.state.deployHead ?? null }))
      const deployed: Deployed = { version, paramsCid, record }
      this.currentJob = { ...this.currentJob, deployed }
      this.state.governedJob = this.currentJob
      if (this.nextJob) {
        this.nextJob = { ...this.nextJob, deployed }
        this.state.scheduledJob = this.nextJob
      }
      this.state.deployHead = record
      await this.save()
      this.emit(null)
      return deployed
    })
  }

  /** Governance ended the job: the round in progress is its last. */
  endAfterThisRound(): Promise<void> {
    return this.serial.run(async () => {
      this.state.ending = true
      await this.save()
    })
  }

  get datasets(): DatasetState[] {
    return this.state.datasets
  }

  /** The job's own shards followed by accepted datasets' chunks. */
  shardAt(index: number): ShardRef {
    return shardAt(this.job, this.state, index)
  }

  private reject(unit: UnitState, holder: HolderState, rejection: Verdict<RejectionCode>): void {
    rejectHolder(this.state, this.ledger, unit, holder, rejection, this.now())
  }

  private async verify(unit: UnitState, holder: HolderState, checks: Checks): Promise<void> {
    let outcome: VerificationOutcome
    if (holder.status !== 'verifying') return
    try {
      const fixed = this.options.thresholds ?? DEFAULT_THRESHOLDS
      const thresholds = { ...fixed, minLastBatchGain: gainScreen(fixed.minLastBatchGain, this.state.gains ?? []) }
      outcome = await verifyResult(this.options.referee, { ...checks, unit: this.assignment(unit), result: holder.result!, start: this.params }, thresholds)
    } catch (error) {
      outcome = { verdict: verdict('UNVERIFIED', { detail: String(error).slice(0, 200) }), audit: null, peerAtFault: false }
    }
    await this.serial.run(async () => {
      if (holder.status !== 'verifying') return
      if (outcome.audit) holder.audit = outcome.audit
      if (outcome.verdict.code === 'ACCEPTED') {
        acceptHolder(this.state, this.ledger, unit, holder, { job: this.job, flopsPerUnit: this.options.flopsPerStep * this.job.innerSteps, shardAt: (i: number) => this.shardAt(i), now: this.now() })
        if (outcome.lastBatchGain !== undefined) this.state.gains = recordGain(this.state.gains, outcome.lastBatchGain)
      } else if (outcome.peerAtFault) this.reject(unit, holder, outcome.verdict as Verdict<RejectionCode>)
      else dropHolder(this.state, holder, outcome.verdict, this.now())
      await this.save()
      this.emit(null)
      const round = this.state.current
      const busy = allUnits(round).some((u) => u.holders.some((h) => h.status === 'verifying'))
      if (!busy && (round.units.every((u) => u.outcome !== 'open') || this.now() >= round.deadlineMs)) await this.close()
    })
  }

  private async close(): Promise<RoundReport> {
    const round = this.state.current
    const outcome = await closeRound({ job: this.job, round, params: this.params, momentum: this.momentum, centre: this.centre, dim: this.options.dim, vectors: this.options.vectors, now: this.now })
    // The new version is the outer step's result on the int8 grid of its change: what volunteers rebuild from
    // the diff they download (version-diff.ts), bit for bit.
    const next = quantizeVersion(this.params, outcome.params)
    this.params = next.params
    this.momentum = outcome.momentum
    this.centre = outcome.centre
    const evaluation = this.options.evaluate ? await this.options.evaluate(this.params) : null
    const bans = Object.entries(this.state.peers).flatMap(([peer, p]) => (p.ban?.round === round.round ? [{ peer, unitId: p.ban.unitId, code: p.ban.code }] : []))
    const report: RoundReport = {
      ...outcome.report,
      flops: outcome.report.accepted * this.options.flopsPerStep * this.job.innerSteps,
      samples: outcome.report.accepted * unitSamples(this.job),
      testAccuracy: evaluation?.accuracy ?? null,
      testLoss: evaluation?.loss ?? null,
      bans,
      refereeMs: Math.round(this.options.referee.busyMs - this.refereeMsAtRoundStart),
      roundSecret: await roundSecret(this.state.secret, round.round),
    }
    this.refereeMsAtRoundStart = this.options.referee.busyMs
    this.state.history = [...this.state.history, report].slice(-MAX_HISTORY)
    const paramsCid = await this.options.vectors.putParams(this.params)
    const paramsDiff = { from: round.paramsCid, cid: await this.options.vectors.putDiff(next.diff) }
    const flopsPerUnit = this.options.flopsPerStep * this.job.innerSteps
    this.state.logHead = await this.options.log.put(roundRecord({ spec: this.job, round, report, nextParamsCid: paramsCid, flopsPerUnit, shardAt: (i) => this.shardAt(i), datasets: this.state.datasets, prev: this.state.logHead }))
    this.state.closedLedger = this.ledger.toJSON()
    this.state.closedSeq = this.state.seq
    this.state.closedForfeits = Object.entries(this.state.peers).flatMap(([peer, p]) => (p.ban?.code === 'AUDIT_FAILED' ? [peer] : []))
    this.state.momentumCid = await this.options.vectors.putParams(this.momentum)
    this.state.centreCid = this.centre === null ? null : await this.options.vectors.putParams(this.centre)
    if (this.nextJob) {
      this.currentJob = this.nextJob
      this.state.governedJob = this.nextJob
      delete this.state.scheduledJob
      this.nextJob = null
    }
    const nextRound = round.round + 1
    this.state.current = await planRound(this.job, this.state, { round: nextRound, version: outcome.report.version, paramsCid, paramsDiff, startedAtMs: this.now() })
    if ((this.job.rounds > 0 && nextRound >= this.job.rounds) || this.state.ending) this.state.finished = true
    await this.save()
    this.emit(report)
    return report
  }

  private assignment(unit: UnitState): UnitAssignment {
    const round = this.state.current
    return {
      unitId: unit.id,
      jobId: this.job.id,
      round: round.round,
      version: round.version,
      paramsCid: round.paramsCid,
      ...(round.paramsDiff ? { paramsDiff: round.paramsDiff } : {}),
      shards: unit.shards.map((s) => this.shardAt(s)),
      seed: unit.seed,
      innerSteps: unitSteps(this.job, unit),
      batchSize: this.job.batchSize,
      lr: this.job.innerLr,
    }
  }

  /** The peer's record, created on first contact; any message from it means it is here. */
  private seen(id: string): PeerState {
    const record = (this.state.peers[id] ??= newPeer(this.now()))
    record.lastSeenMs = this.now()
    delete record.left
    return record
  }

  private track(task: Promise<void>): void {
    const tracked = task.finally(() => this.verifying.delete(tracked))
    this.verifying.add(tracked)
  }

  private async changed(): Promise<void> {
    await this.save()
    this.emit(null)
  }

  private async save(): Promise<void> {
    this.state.ledger = this.ledger.toJSON()
    await this.options.checkpoints.save(JSON.stringify(this.state))
  }

  private emit(report: RoundReport | null): void {
    for (const listener of this.listeners) listener(report)
  }
}
