// The coordinator's state machine for one DiLoCo job: hands out work units, takes results, verifies them by
// redundant assignment, closes rounds (screening, robust aggregation, outer Nesterov step), credits accepted
// work exactly once and checkpoints after every change. Transport, storage and evaluation are injected, so
// the same class runs in a researcher's tab (IndexedDB) and in Node (disk), and in unit tests.
import { TesseraeError } from '../errors.ts'
import { seededRandom } from '../random.ts'
import { CreditsLedger } from './credits.ts'
import { decodeCheckpoint, MAX_HISTORY, type CoordinatorState, type PeerState, type ReplicaState, type RoundReport, type RoundState, type UnitState, type WalletBinding } from './coordinator-state.ts'
import { decodeJob, unitSamples, type JobSpec, type ShardRef } from './job.ts'
import { datasetShards, incompatibility, pickShards, registerOffer, type DatasetOffer, type DatasetState } from './datasets.ts'
import { MODEL_ZOO } from '../graph/zoo.ts'
import { type QuantizedDelta } from './quantize.ts'
import { DeltaSketcher, DEFAULT_SCREENING, type ScreeningOptions } from './robust-aggregate.ts'
import { closeRound } from './round-close.ts'
import { unitSeed, type UnitAssignment, type UnitResult } from './unit.ts'
import { DEFAULT_AGREEMENT, compareReplicas, type AgreementThresholds } from './verify.ts'
import { Serial } from './serial.ts'

export interface VectorStore {
  putParams(values: Float32Array): Promise<string>
  getParams(cid: string): Promise<Float32Array>
  getDelta(cid: string): Promise<QuantizedDelta>
}

export interface CheckpointStore {
  load(): Promise<string | null>
  save(text: string): Promise<void>
}

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
  evaluate?: (params: Float32Array) => Promise<Evaluation>
  now?: () => number
  /** Secret for drawing which units are checked; random unless given (tests). */
  secret?: number
  screening?: ScreeningOptions
  agreement?: AgreementThresholds
}

export type WorkReply = { kind: 'unit'; unit: UnitAssignment } | { kind: 'wait'; retryMs: number; reason: string }
export type SubmitReply = { accepted: true } | { accepted: false; reason: string }

export const REPUTATION = { start: 1, banBelow: 0.35, verificationFailure: 0.5, outlier: 0.3, accepted: 0.05 }
const WAIT_MS = 1500
const ACTIVE_WINDOW_MS = 30_000

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

  private constructor(options: CoordinatorOptions, state: CoordinatorState, params: Float32Array, momentum: Float32Array, centre: Float32Array | null) {
    this.options = options
    this.currentJob = state.governedJob === undefined ? options.job : decodeJob(state.governedJob)
    this.now = options.now ?? Date.now
    this.sketcher = new DeltaSketcher(options.dim, options.job.seed)
    this.state = state
    state.datasets ??= []
    state.pool ??= []
    state.shardUse ??= []
    this.ledger = CreditsLedger.fromJSON(state.ledger)
    this.params = params
    this.momentum = momentum
    this.centre = centre
  }

  /** Restores the job from its checkpoint if there is one, else starts it at version 0. */
  static async open(options: CoordinatorOptions): Promise<Coordinator> {
    const text = await options.checkpoints.load()
    const now = (options.now ?? Date.now)()
    if (text !== null) {
      const state = decodeCheckpoint(text, options.job.id)
      const params = await options.vectors.getParams(state.current.paramsCid)
      if (params.length !== options.dim) throw new TesseraeError('CHECKPOINT_MISMATCH', `the checkpoint holds ${params.length} parameters, the model has ${options.dim}`)
      const momentum = state.momentumCid === null ? new Float32Array(options.dim) : await options.vectors.getParams(state.momentumCid)
      const centre = state.centreCid === null ? null : await options.vectors.getParams(state.centreCid)
      return new Coordinator(options, state, params, momentum, centre)
    }
    const params = options.initialParams()
    if (params.length !== options.dim) throw new TesseraeError('SHAPE_MISMATCH', `initial parameters have ${params.length} values, the model has ${options.dim}`)
    const paramsCid = await options.vectors.putParams(params)
    const secret = options.secret ?? (crypto.getRandomValues(new Uint32Array(1))[0]! >>> 0)
    const state: CoordinatorState = {
      format: 1,
      jobId: options.job.id,
      secret,
      current: { round: 0, version: 0, paramsCid, startedAtMs: now, deadlineMs: now + options.job.roundMs, units: [] },
      momentumCid: null,
      centreCid: null,
      peers: {},
      ledger: new CreditsLedger().toJSON(),
      history: [],
      initialAccuracy: null,
      finished: false,
    }
    const coordinator = new Coordinator(options, state, params, new Float32Array(options.dim), null)
    coordinator.state.current.units = coordinator.planUnits(0)
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

  requestWork(peer: string): Promise<WorkReply> {
    return this.serial.run(async () => {
      const reply = this.assign(peer)
      if (reply.kind === 'unit') {
        await this.save()
        this.emit(null)
      }
      return reply
    })
  }

  /** `delta` has already been fetched by CID from the submitter; the coordinator decides what it is worth. */
  submit(peer: string, result: UnitResult, delta: QuantizedDelta): Promise<SubmitReply> {
    return this.serial.run(async () => {
      const reply = await this.accept(peer, result, delta)
      await this.save()
      this.emit(null)
      if (reply.accepted && this.roundComplete()) await this.close()
      return reply
    })
  }

  /** Closes the round once its deadline has passed and something was submitted. */
  tick(): Promise<RoundReport | null> {
    return this.serial.run(async () => {
      const round = this.state.current
      if (this.state.finished || this.now() < round.deadlineMs) return null
      if (!round.units.some((u) => u.replicas.some((r) => r.status === 'submitted'))) {
        // Nobody delivered anything: keep the round open rather than publish an identical version.
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
      const pool = this.state.pool!
      if (accept && !pool.some((s) => s.dataset === id)) pool.push(...datasetShards(entry))
      await this.save()
      this.emit(null)
      return { ...entry }
    })
  }

  /** Records a wallet binding the host has verified; the next epoch routes this peer's credit to it. */
  recordBinding(peer: string, binding: WalletBinding): Promise<void> {
    return this.serial.run(async () => {
      this.state.bindings = { ...this.state.bindings, [peer]: binding }
      await this.save()
      this.emit(null)
    })
  }

  get bindings(): Readonly<Record<string, WalletBinding>> {
    return this.state.bindings ?? {}
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
    return this.state.datasets!
  }

  /** The job's own shards followed by accepted datasets' chunks. */
  shardAt(index: number): ShardRef {
    const own = this.job.train.length
    const shard = index < own ? this.job.train[index] : this.state.pool![index - own]
    if (!shard) throw new TesseraeError('BAD_SHARD', `shard ${index} is not in the pool`)
    return shard
  }

  private assign(peer: string): WorkReply {
    if (this.state.finished) return { kind: 'wait', retryMs: 60_000, reason: 'the job has finished' }
    const record = this.peer(peer)
    record.lastSeenMs = this.now()
    if (record.banned) return { kind: 'wait', retryMs: 60_000, reason: 'this peer has been excluded after failed verification' }
    const round = this.state.current
    const now = this.now()
    for (const unit of round.units) {
      for (const r of unit.replicas) if (r.status === 'assigned' && now - r.assignedAtMs > this.job.roundMs) r.status = 'expired'
    }
    const mine = round.units.find((u) => u.replicas.some((r) => r.peer === peer && r.status === 'assigned'))
    if (mine) return { kind: 'unit', unit: this.assignment(mine) }
    const open = round.units
      .filter((u) => u.outcome === 'open' && !u.replicas.some((r) => r.peer === peer) && this.active(u) < this.required(u))
      .sort((a, b) => this.required(b) - this.required(a) || this.active(a) - this.active(b) || a.index - b.index)
    // Fair share: one fast peer (honest or not) must not hold most of a round, or it would own the median the
    // outlier screening compares against. Peers seen in the last half minute share the round's replicas;
    // a tie-breaking third replica is exempt, since a dispute must be settled whoever is left.
    const active = Object.values(this.state.peers).filter((p) => !p.banned && now - p.lastSeenMs < ACTIVE_WINDOW_MS).length
    const share = Math.ceil((this.job.unitsPerRound * (1 + this.job.redundancy)) / Math.max(1, active))
    const held = round.units.reduce((n, u) => n + u.replicas.filter((r) => r.peer === peer && r.status !== 'expired').length, 0)
    if (held >= share && !(open[0] && this.required(open[0]) === 3)) return { kind: 'wait', retryMs: WAIT_MS, reason: `this peer has its share (${share}) of round ${round.round}` }
    const unit = open[0]
    if (!unit) return { kind: 'wait', retryMs: WAIT_MS, reason: `round ${round.round} has no unassigned units` }
    unit.replicas.push({ peer, assignedAtMs: now, status: 'assigned' })
    return { kind: 'unit', unit: this.assignment(unit) }
  }

  private async accept(peer: string, result: UnitResult, delta: QuantizedDelta): Promise<SubmitReply> {
    const round = this.state.current
    const record = this.peer(peer)
    record.lastSeenMs = this.now()
    if (record.banned) return { accepted: false, reason: 'this peer has been excluded after failed verification' }
    if (result.jobId !== this.job.id) return { accepted: false, reason: `unknown job "${result.jobId}"` }
    if (result.round !== round.round || result.version !== round.version) return { accepted: false, reason: `round ${result.round} is closed; the current round is ${round.round}` }
    const unit = round.units.find((u) => u.id === result.unitId)
    const replica = unit?.replicas.find((r) => r.peer === peer && (r.status === 'assigned' || r.status === 'expired'))
    if (!unit || !replica) return { accepted: false, reason: `unit ${result.unitId} is not assigned to this peer (or was already submitted)` }
    if (unit.outcome !== 'open') return { accepted: false, reason: `unit ${result.unitId} is already decided` }
    const reject = (reason: string): SubmitReply => {
      replica.status = 'rejected'
      replica.reason = reason
      this.penalise(record, REPUTATION.verificationFailure)
      return { accepted: false, reason }
    }
    if (delta.length !== this.options.dim) return reject(`the delta has ${delta.length} values, the model has ${this.options.dim}`)
    if (result.samples !== unitSamples(this.job)) return reject(`claims ${result.samples} samples, the unit consumes ${unitSamples(this.job)}`)
    if (!Number.isFinite(result.lossBefore) || !Number.isFinite(result.lossAfter)) return reject('the reported losses are not finite')
    const stats = this.sketcher.stats(delta, this.centre)
    // Self-reported, shown on the dashboard only: nothing is credited or decided from them.
    record.backend = result.backend
    record.samplesPerSecond = (result.samples * 1000) / Math.max(result.elapsedMs, 1)
    replica.status = 'submitted'
    replica.result = result
    replica.stats = { norm: stats.norm, distance: stats.distance, sketch: [...stats.sketch] }
    await this.compareWithinUnit(unit, result.deltaCid, delta)
    return { accepted: true }
  }

  /** For a checked unit with two or more results: find which replicas agree; on disagreement ask for a third. */
  private async compareWithinUnit(unit: UnitState, newCid: string, newDelta: QuantizedDelta): Promise<void> {
    const submitted = unit.replicas.filter((r) => r.status === 'submitted')
    if (submitted.length < 2) return
    // Earlier replicas come back from the store; the one just submitted is already in hand.
    const deltas = await Promise.all(submitted.map((r) => (r.result!.deltaCid === newCid ? newDelta : this.options.vectors.getDelta(r.result!.deltaCid))))
    const agreesWithSomeone = submitted.map(() => false)
    for (let i = 0; i < submitted.length; i++) {
      for (let j = i + 1; j < submitted.length; j++) {
        const c = compareReplicas(deltas[i]!, deltas[j]!, submitted[i]!.result!.trajectoryHash, submitted[j]!.result!.trajectoryHash, this.options.agreement ?? DEFAULT_AGREEMENT)
        if (c.agree) agreesWithSomeone[i] = agreesWithSomeone[j] = true
      }
    }
    submitted.forEach((r, i) => (r.agrees = agreesWithSomeone[i]))
    // With an agreeing pair, the odd one out failed verification. With none, required() asks for a third.
    if (!agreesWithSomeone.some(Boolean)) return
    submitted.forEach((r, i) => {
      if (!agreesWithSomeone[i]) {
        r.status = 'rejected'
        r.reason = 'its delta disagrees with other volunteers who ran the same unit'
        this.penalise(this.peer(r.peer), REPUTATION.verificationFailure)
      }
    })
  }

  private roundComplete(): boolean {
    return this.state.current.units.every((u) => u.outcome !== 'open' || this.unitDone(u))
  }

  private unitDone(unit: UnitState): boolean {
    const submitted = unit.replicas.filter((r) => r.status === 'submitted').length
    return submitted >= this.required(unit) || (submitted >= 2 && this.hasAgreement(unit))
  }

  private hasAgreement(unit: UnitState): boolean {
    return unit.replicas.some((r) => r.agrees === true)
  }

  /** Replicas a unit needs: one, two when checked, three once two disagree. */
  private required(unit: UnitState): number {
    if (!unit.checked) return 1
    const submitted = unit.replicas.filter((r) => r.status === 'submitted' || r.status === 'rejected').length
    return submitted >= 2 && !this.hasAgreement(unit) ? 3 : 2
  }

  private active(unit: UnitState): number {
    return unit.replicas.filter((r) => r.status === 'assigned' || r.status === 'submitted').length
  }

  private async close(): Promise<RoundReport> {
    const round = this.state.current
    const outcome = await closeRound({
      job: this.job,
      round,
      params: this.params,
      momentum: this.momentum,
      centre: this.centre,
      dim: this.options.dim,
      vectors: this.options.vectors,
      screening: this.options.screening ?? DEFAULT_SCREENING,
      now: this.now,
    })
    const flopsPerUnit = this.options.flopsPerStep * this.job.innerSteps
    const samplesPerUnit = unitSamples(this.job)
    let flops = 0
    let samples = 0
    for (const unit of round.units) {
      for (const r of unit.replicas) {
        const peer = this.peer(r.peer)
        if (r.status === 'accepted') {
          if (this.ledger.creditVolunteer(`${unit.id}/${r.peer}`, r.peer, flopsPerUnit, samplesPerUnit)) flops += flopsPerUnit
          peer.accepted++
          peer.reputation = Math.min(1, peer.reputation + REPUTATION.accepted)
        } else if (r.status === 'rejected') {
          peer.rejected++
        }
      }
      if (unit.outcome === 'accepted') {
        samples += samplesPerUnit
        for (const s of unit.shards) {
          const shard = this.shardAt(s)
          const share = samplesPerUnit / unit.shards.length
          if (this.ledger.creditData(`${unit.id}#${s}`, shard.owner, share) && shard.dataset) {
            const dataset = this.datasets.find((d) => d.id === shard.dataset)
            if (dataset) dataset.samplesUsed += share
          }
        }
      }
    }
    for (const o of outcome.outliers) this.penalise(this.peer(o.peer), REPUTATION.outlier)
    this.params = outcome.params
    this.momentum = outcome.momentum
    this.centre = outcome.centre
    const evaluation = this.options.evaluate ? await this.options.evaluate(this.params) : null
    const report: RoundReport = { ...outcome.report, flops, samples, testAccuracy: evaluation?.accuracy ?? null, testLoss: evaluation?.loss ?? null }
    this.state.history = [...this.state.history, report].slice(-MAX_HISTORY)
    const paramsCid = await this.options.vectors.putParams(this.params)
    this.state.momentumCid = await this.options.vectors.putParams(this.momentum)
    this.state.centreCid = this.centre === null ? null : await this.options.vectors.putParams(this.centre)
    this.state.ledger = this.ledger.toJSON()
    const next = round.round + 1
    const now = this.now()
    if (this.nextJob) {
      this.currentJob = this.nextJob
      this.nextJob = null
    }
    this.state.current = { round: next, version: outcome.report.version, paramsCid, startedAtMs: now, deadlineMs: now + this.job.roundMs, units: [] }
    this.state.current.units = this.planUnits(next)
    if (this.job.rounds > 0 && next >= this.job.rounds) this.state.finished = true
    await this.save()
    this.emit(report)
    return report
  }

  private planUnits(round: number): UnitState[] {
    const draw = seededRandom((this.state.secret ^ Math.imul(round + 1, 0x9e3779b1)) >>> 0)
    const accepted = new Set(this.datasets.filter((d) => d.status === 'accepted').map((d) => d.id))
    const own = this.job.train.length
    const active = [...this.job.train.keys(), ...this.state.pool!.flatMap((s, i) => (s.dataset && accepted.has(s.dataset) ? [own + i] : []))]
    const use = this.state.shardUse!
    const picks = pickShards(active, use, this.job.unitsPerRound)
    for (const p of picks) use[p] = (use[p] ?? 0) + 1
    return picks.map((shard, index) => ({
      id: `${round}.${index}`,
      index,
      shards: [shard],
      seed: unitSeed(this.job.seed, round, index),
      checked: draw() < this.job.redundancy,
      replicas: [] as ReplicaState[],
      outcome: 'open' as const,
    }))
  }

  private assignment(unit: UnitState): UnitAssignment {
    const round: RoundState = this.state.current
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

  private peer(id: string): PeerState {
    let record = this.state.peers[id]
    if (!record) {
      record = { accepted: 0, rejected: 0, reputation: REPUTATION.start, banned: false, lastSeenMs: this.now() }
      this.state.peers[id] = record
    }
    return record
  }

  private penalise(record: PeerState, amount: number): void {
    record.reputation = Math.max(0, record.reputation - amount)
    if (record.reputation < REPUTATION.banBelow) record.banned = true
  }

  private async save(): Promise<void> {
    this.state.ledger = this.ledger.toJSON()
    await this.options.checkpoints.save(JSON.stringify(this.state))
  }

  private emit(report: RoundReport | null): void {
    for (const listener of this.listeners) listener(report)
  }
}
