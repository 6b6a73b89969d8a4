// The coordinator's state machine for one DiLoCo job: hands out units (assignment.ts), takes committed
// results and has them verified (verification.ts, by the referee), costs cheats (reputation.ts), credits
// accepted work exactly once, closes rounds (round-close.ts) and checkpoints after every change. Transport,
// storage, the referee's engine and evaluation are injected, so the same class runs in a researcher's tab
// (IndexedDB, compute worker) and in Node (disk, ORT), and in unit tests.
import { TesseraeError } from '../errors.ts'
import { CreditsLedger } from './credits.ts'
import { decodeCheckpoint, MAX_HISTORY, MAX_REFERENCE, type CoordinatorState, type HolderState, type PeerState, type RoundReport, type UnitState, type WalletBinding } from './coordinator-state.ts'
import { decodeJob, unitSamples, type JobSpec, type ShardRef } from './job.ts'
import { datasetShards, incompatibility, registerOffer, type DatasetOffer, type DatasetState } from './datasets.ts'
import { MODEL_ZOO } from '../graph/zoo.ts'
import type { QuantizedDelta } from './quantize.ts'
import { DeltaSketcher, DEFAULT_SCREENING, screenOutliers, type ScreeningOptions } from './robust-aggregate.ts'
import { closeRound } from './round-close.ts'
import { checkpointSteps, type UnitAssignment, type UnitResult } from './unit.ts'
import { Serial } from './serial.ts'
import type { CheckpointStore, VectorStore } from './stores.ts'
import { assign, expireHolds, releasePeer, typicalUnitMs } from './assignment.ts'
import { auditDraw, auditReasonFor, newJobSecret, resultCommitment, roundSecret, spotPicker } from './audit-draw.ts'
import type { Referee } from './referee.ts'
import { DEFAULT_THRESHOLDS, verifyResult, type Evidence, type VerificationInput, type VerificationOutcome, type VerificationThresholds } from './verification.ts'
import { newPeer, punish, reward } from './reputation.ts'
import { planRound } from './round-plan.ts'
import { verdict, type RejectionCode, type Verdict, type WaitCode } from './verdicts.ts'

export type { CheckpointStore, VectorStore } from './stores.ts'
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
  /** Re-executes volunteers' work: the coordinator's own engine. */
  referee: Referee
  evaluate?: (params: Float32Array) => Promise<Evaluation>
  now?: () => number
  /** The job's audit secret (64 hex digits); random unless given (tests). */
  secret?: string
  screening?: ScreeningOptions
  thresholds?: VerificationThresholds
}

export type WorkReply = { kind: 'unit'; unit: UnitAssignment } | { kind: 'wait'; retryMs: number; verdict: Verdict<WaitCode> }
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

  requestWork(peer: string): Promise<WorkReply> {
    return this.serial.run(async () => {
      const now = this.now()
      const record = this.seen(peer)
      const wait = (code: WaitCode, retryMs: number, params = {}): WorkReply => ({ kind: 'wait', retryMs, verdict: verdict(code, params) })
      if (this.state.finished) return wait('JOB_FINISHED', LONG_WAIT_MS)
      if (record.banned) return wait('EXCLUDED', LONG_WAIT_MS, { code: record.ban?.code ?? 'AUDIT_FAILED' })
      const round = this.state.current
      if (now >= round.deadlineMs) return wait('ROUND_CLOSING', WAIT_MS, { round: round.round })
      expireHolds(round, now, this.job.roundMs)
      const picked = assign(this.job, round, this.state.peers, peer, now, typicalUnitMs(round))
      if ('wait' in picked) return { kind: 'wait', retryMs: WAIT_MS, verdict: picked.wait }
      if (!picked.unit.holders.some((h) => h.peer === peer && h.status === 'assigned')) {
        picked.unit.holders.push({ peer, assignedAtMs: now, status: 'assigned', ...(picked.speculative ? { speculative: true } : {}) })
        await this.save()
        this.emit(null)
      }
      return { kind: 'unit', unit: this.assignment(picked.unit) }
    })
  }

  /**
   * Takes a committed result. `delta` has already been fetched by CID from the submitter; the reply only says
   * whether it was taken for verification: the verdict follows when the referee is done with it.
   */
  submit(peer: string, result: UnitResult, delta: QuantizedDelta, evidence: Evidence): Promise<SubmitReply> {
    return this.serial.run(async () => {
      const record = this.seen(peer)
      const refuse = (code: RejectionCode, params = {}): SubmitReply => ({ accepted: false, verdict: verdict(code, params) })
      if (record.banned) return refuse('EXCLUDED')
      if (result.jobId !== this.job.id) return refuse('UNKNOWN_JOB', { job: result.jobId.slice(0, 64) })
      const round = this.state.current
      if (result.round !== round.round || result.version !== round.version || this.now() >= round.deadlineMs) return refuse('ROUND_CLOSED', { round: round.round })
      const unit = round.units.find((u) => u.id === result.unitId)
      const holder = unit?.holders.find((h) => h.peer === peer && (h.status === 'assigned' || h.status === 'released'))
      if (!unit || !holder) return refuse('NOT_ASSIGNED', { unit: result.unitId.slice(0, 64) })
      if (unit.outcome !== 'open') {
        holder.status = 'superseded'
        await this.save()
        return refuse('ALREADY_DECIDED', { unit: unit.id })
      }
      const malformed = this.malformation(result, delta)
      if (malformed) {
        this.reject(unit, holder, malformed)
        await this.save()
        this.emit(null)
        return { accepted: false, verdict: malformed }
      }
      const stats = this.sketcher.stats(delta, this.centre)
      const commitment = await resultCommitment(result)
      Object.assign(holder, { status: 'verifying', submittedAtMs: this.now(), result, commitment, stats: { norm: stats.norm, distance: stats.distance, sketch: [...stats.sketch] } } satisfies Partial<HolderState>)
      // Self-reported, shown on the dashboard only: nothing is credited or decided from them.
      record.backend = result.backend
      record.samplesPerSecond = (result.samples * 1000) / Math.max(result.elapsedMs, 1)
      const secret = await roundSecret(this.state.secret, round.round)
      // Sizes are comparable across recent rounds; directions only within this one (same starting point).
      const reference = this.state.reference.map((r) => ({ round: r.round, norm: r.norm, distance: 0, sketch: Float32Array.from(r.sketch) }))
      const thisRound = reference.filter((r) => r.round === round.round)
      const screening = this.options.screening ?? DEFAULT_SCREENING
      const arrival = new Map([['x', stats]])
      const thresholds = this.options.thresholds ?? DEFAULT_THRESHOLDS
      const checks: Omit<VerificationInput, 'unit' | 'result' | 'start'> = {
        delta,
        evidence,
        auditReason: auditReasonFor(this.job.auditRate, record.auditsPassed, await auditDraw(secret, commitment)),
        suspicion: (thisRound.length > 0 ? screenOutliers(arrival, screening, thisRound) : screenOutliers(arrival, screening, reference, false)).get('x') ?? null,
        spotPick: await spotPicker(secret, commitment, thresholds.spotPieces),
      }
      await this.save()
      this.emit(null)
      this.track(this.verify(unit, holder, checks))
      return { accepted: true, verdict: verdict('RECEIVED') }
    })
  }

  /** The host refused a submission before it reached submit() (bad signature, undeliverable delta). */
  refuse(peer: string, unitId: string, rejection: Verdict<RejectionCode>): Promise<void> {
    return this.serial.run(async () => {
      const unit = this.state.current.units.find((u) => u.id === unitId)
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
      const record = this.state.peers[peer]
      if (!record) return
      record.left = true
      if (releasePeer(this.state.current, peer) > 0) {
        await this.save()
        this.emit(null)
      }
    })
  }

  /** Closes the round once its deadline has passed and nothing is still being verified. */
  tick(): Promise<RoundReport | null> {
    return this.serial.run(async () => {
      const round = this.state.current
      if (this.state.finished || this.now() < round.deadlineMs) return null
      const holders = round.units.flatMap((u) => u.holders)
      if (holders.some((h) => h.status === 'verifying')) return null
      if (!holders.some((h) => h.status === 'accepted')) {
        // Nothing verified: keep the round open rather than publish an identical version.
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
      const known = this.datasets.some((d) => d.id === offer.id)
      const entry = registerOffer(this.datasets, offer, incompatibility(this.job, MODEL_ZOO[this.job.model]().inputShape, offer), this.now())
      if (!known) {
        await this.save()
        this.emit(null)
      }
      return { ...entry }
    })
  }

  /**
   * The job owner's decision. Accepting adds the dataset's chunks to the shard pool (once; a dataset rejected
   * later keeps its pool slots but is no longer planned); rejecting needs a reason the contributor will see.
   */
  decideDataset(id: string, accept: boolean, reason: string): Promise<DatasetState> {
    return this.serial.run(async () => {
      const entry = this.datasets.find((d) => d.id === id)
      if (!entry) throw new TesseraeError('UNKNOWN_DATASET', `no dataset ${id.slice(0, 16)}… was offered to this job`)
      if (accept && !entry.fits) throw new TesseraeError('DATASET_UNFIT', `the dataset cannot serve this job: ${entry.reason}`)
      entry.status = accept ? 'accepted' : 'rejected'
      entry.reason = accept ? 'accepted by the job owner' : reason.trim().slice(0, 300) || 'rejected by the job owner'
      entry.decidedAtMs = this.now()
      if (accept && !this.state.pool.some((s) => s.dataset === id)) this.state.pool.push(...datasetShards(entry))
      await this.save()
      this.emit(null)
      return { ...entry }
    })
  }

  /** Records a wallet binding the host has verified; the next epoch routes this peer's credit to it. */
  recordBinding(peer: string, binding: WalletBinding): Promise<void> {
    return this.serial.run(async () => {
      if (this.state.bannedWallets.includes(binding.wallet.toLowerCase())) throw new TesseraeError('WALLET_EXCLUDED', 'a peer bound to this wallet was caught cheating in this job, so the wallet earns nothing more here')
      if (this.state.peers[peer]?.banned) throw new TesseraeError('PEER_EXCLUDED', 'this peer was excluded from the job, so it cannot bind a wallet')
      this.state.bindings[peer] = binding
      await this.save()
      this.emit(null)
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
   * planned with the old settings and are judged by them.
   */
  scheduleJobChange(job: JobSpec): Promise<void> {
    return this.serial.run(async () => {
      if (job.id !== this.currentJob.id || job.model !== this.currentJob.model || job.batchSize !== this.currentJob.batchSize) throw new TesseraeError('BAD_JOB_CHANGE', 'a running job keeps its id, model and batch size')
      this.nextJob = job
      this.state.governedJob = job
      await this.save()
    })
  }

  get datasets(): DatasetState[] {
    return this.state.datasets
  }

  /** The job's own shards followed by accepted datasets' chunks. */
  shardAt(index: number): ShardRef {
    const own = this.job.train.length
    const shard = index < own ? this.job.train[index] : this.state.pool[index - own]
    if (!shard) throw new TesseraeError('BAD_SHARD', `shard ${index} is not in the pool`)
    return shard
  }

  /** Checks that need no engine: anything failing here is the sender's own doing. */
  private malformation(result: UnitResult, delta: QuantizedDelta): Verdict<RejectionCode> | null {
    const segments = checkpointSteps(this.job.innerSteps).length
    if (delta.length !== this.options.dim) return verdict('WRONG_SHAPE', { values: delta.length, expected: this.options.dim })
    if (result.samples !== unitSamples(this.job)) return verdict('WRONG_SAMPLES', { claimed: result.samples, expected: unitSamples(this.job) })
    if (result.checkpoints.length !== segments || result.segmentLosses.length !== segments) return verdict('WRONG_CHECKPOINTS', { checkpoints: result.checkpoints.length, expected: segments })
    if (![result.lossBefore, result.lossAfter, ...result.segmentLosses].every(Number.isFinite)) return verdict('NON_FINITE_LOSS')
    if (result.segmentLosses[0] !== result.lossBefore) return verdict('WRONG_CHECKPOINTS', { detail: 'the first segment loss is not the first loss' })
    return null
  }

  private reject(unit: UnitState, holder: HolderState, rejection: Verdict<RejectionCode>): void {
    holder.status = 'rejected'
    holder.verdict = rejection
    const record = this.state.peers[holder.peer]!
    record.rejected++
    if (rejection.code === 'AUDIT_FAILED') record.auditsFailed++
    punish(this.state, this.ledger, holder.peer, rejection, unit.id, this.now())
  }

  private async verify(unit: UnitState, holder: HolderState, checks: Omit<VerificationInput, 'unit' | 'result' | 'start'>): Promise<void> {
    let outcome: VerificationOutcome
    if (holder.status !== 'verifying') return
    try {
      outcome = await verifyResult(this.options.referee, { ...checks, unit: this.assignment(unit), result: holder.result!, start: this.params }, this.options.thresholds ?? DEFAULT_THRESHOLDS)
    } catch (error) {
      outcome = { verdict: verdict('UNVERIFIED', { detail: String(error).slice(0, 200) }), audit: null, peerAtFault: false }
    }
    await this.serial.run(async () => {
      if (holder.status !== 'verifying') return
      if (outcome.audit) holder.audit = outcome.audit
      if (outcome.verdict.code === 'ACCEPTED') this.acceptHolder(unit, holder)
      else if (outcome.peerAtFault) this.reject(unit, holder, outcome.verdict as Verdict<RejectionCode>)
      else Object.assign(holder, { status: 'rejected', verdict: outcome.verdict })
      await this.save()
      this.emit(null)
      const round = this.state.current
      const busy = round.units.some((u) => u.holders.some((h) => h.status === 'verifying'))
      if (!busy && (round.units.every((u) => u.outcome !== 'open') || this.now() >= round.deadlineMs)) await this.close()
    })
  }

  private acceptHolder(unit: UnitState, holder: HolderState): void {
    holder.status = 'accepted'
    holder.verdict = verdict('ACCEPTED')
    unit.outcome = 'accepted'
    for (const other of unit.holders) if (other !== holder && (other.status === 'assigned' || other.status === 'released' || other.status === 'verifying')) other.status = 'superseded'
    const record = this.state.peers[holder.peer]!
    reward(record)
    const audited = holder.audit?.outcome === 'passed'
    const samples = unitSamples(this.job)
    this.ledger.creditVolunteer(unit.id, holder.peer, this.options.flopsPerStep * this.job.innerSteps, samples, { verified: audited, submittedAtMs: holder.submittedAtMs! })
    if (audited) {
      record.auditsPassed++
      this.ledger.vouch(holder.peer, holder.submittedAtMs!)
      this.state.reference = [...this.state.reference, { round: this.state.current.round, norm: holder.stats!.norm, sketch: holder.stats!.sketch }].slice(-MAX_REFERENCE)
    }
    for (const s of unit.shards) {
      const shard = this.shardAt(s)
      const share = samples / unit.shards.length
      if (this.ledger.creditData(`${unit.id}#${s}`, shard.owner, share) && shard.dataset) {
        const dataset = this.datasets.find((d) => d.id === shard.dataset)
        if (dataset) dataset.samplesUsed += share
      }
    }
  }

  private async close(): Promise<RoundReport> {
    const round = this.state.current
    const outcome = await closeRound({ job: this.job, round, params: this.params, momentum: this.momentum, centre: this.centre, dim: this.options.dim, vectors: this.options.vectors, now: this.now })
    this.params = outcome.params
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
    this.state.momentumCid = await this.options.vectors.putParams(this.momentum)
    this.state.centreCid = this.centre === null ? null : await this.options.vectors.putParams(this.centre)
    if (this.nextJob) {
      this.currentJob = this.nextJob
      this.nextJob = null
    }
    const next = round.round + 1
    this.state.current = await planRound(this.job, this.state, { round: next, version: outcome.report.version, paramsCid, startedAtMs: this.now() })
    if (this.job.rounds > 0 && next >= this.job.rounds) this.state.finished = true
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
      shards: unit.shards.map((s) => this.shardAt(s)),
      seed: unit.seed,
      innerSteps: this.job.innerSteps,
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

  private async save(): Promise<void> {
    this.state.ledger = this.ledger.toJSON()
    await this.options.checkpoints.save(JSON.stringify(this.state))
  }

  private emit(report: RoundReport | null): void {
    for (const listener of this.listeners) listener(report)
  }
}
