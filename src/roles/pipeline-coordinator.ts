// The coordinator of a staged job (issue 19): volunteers join, each is given a stage (stage-rounds.ts), and a
// round is DiLoCo per stage group. The coordinator publishes each stage's parameters of the version, tells every
// volunteer to train its stage from them, then drives the round's inner steps through the stage peers over its
// own data (pipeline-driver.ts: any live peer of a stage takes the next micro-batch, and a peer that leaves
// costs only its calls in flight, which go to another). At the round's end each replica hands back its change
// since the version; each stage group's changes are merged by the job's robust aggregation rule and the outer
// Nesterov step moves that stage. A stage none of whose replicas answered keeps its version, so a round is never
// lost. Before a replica's change is merged it may be audited (always until a peer has been audited once, then
// at the job's audit rate, drawn in secret at the round's start; stage-audit.ts): the replica commits to how it
// trained (every update with its micro-batches, from fresh moments), and its whole round is replayed here from
// the calls it was sent, its change checked against the replay's and every answer it gave rerun at its step's
// replayed parameters. A replica that fails is not paid and never given a stage again, and nothing of that
// round is merged (its answers reached every other stage's replicas). Credit is the
// FLOPs of the calls each peer answered in the round (a backward once its step's update was acknowledged),
// counted from the coordinator's own shard graphs (never the peer's claim), for peers whose replica came back
// and did not fail. Each round goes into the job log (stage-log.ts: every peer's calls, every audit's outcome),
// and its credit into the same ledger as whole-model units by the rules an auditor replays from that log:
// pending until the peer passes an audit, forfeited if it fails one. With a reward pool, a SettlementHost
// pays the verified credit into an epoch after every round, as for any job.
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { GossipSub } from '@libp2p/gossipsub'
import { encodeAnnouncement, MAX_ANNOUNCED_SERVERS, TOPIC_JOBS, type Head, type StageServer } from '../p2p/job-topics.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import { callStage, serveStage } from '../p2p/stage-protocol.ts'
import { isStageCall, STAGE_PROTOCOL, type StageResponse } from '../p2p/stage-messages.ts'
import { ACTIVATION, boundaryShape, buildShard, GRAD_OUT, type Shard } from '../graph/shard.ts'
import type { StageEngine } from '../compute/stage-engine.ts'
import { decodeBoundary, encodeBoundary } from '../training/boundary-codec.ts'
import { answerMismatch, commitmentMismatch, decodeCommitment, judgeChange, replayReplica, type ReplicaCommitment, type StageAuditVerdict } from '../training/stage-audit.ts'
import { countFlops } from '../graph/flops.ts'
import type { BoundaryFormat } from '../training/boundary-codec.ts'
import { jobModel, type JobSpec } from '../training/job.ts'
import { stageRanges, stageShapes } from '../training/job-stages.ts'
import { assignStages, mergeStage, stageSlices } from '../training/stage-rounds.ts'
import { decodeDelta, dequantize, quantizeInt8, type QuantizedDelta } from '../training/quantize.ts'
import { outerStep } from '../training/outer-optimizer.ts'
import { flatten, paramLayout, unflatten, type ParamLayout } from '../training/vector.ts'
import { errorMessage, TesseraeError } from '../errors.ts'
import { ExchangeVectorStore } from './exchange-vector-store.ts'
import { PipelineDriver } from './pipeline-driver.ts'
import { STAGE_ADAMW } from './stage-host.ts'
import { JOIN_EVERY_MS } from './stage-volunteer.ts'
import type { CheckpointStore } from '../training/stores.ts'
import { decodePipelineCheckpoint, encodePipelineCheckpoint, KEPT_REPORTS, MAX_SAVED_PEERS, type PipelineCheckpoint } from '../training/pipeline-checkpoint.ts'
import type { TaskBlock } from '../data/task-block.ts'
import { taskBatch } from '../data/task-batch.ts'
import { seededRandom } from '../random.ts'
import { CreditsLedger } from '../training/credits.ts'
import { applyStageRound, sameSpecText, stageWorkFlops, type StageAuditOutcome, type StageRoundRecord, type StageWork } from '../training/stage-log.ts'
import type { LogStore } from '../training/stores.ts'
import type { WalletBinding } from '../training/coordinator-state.ts'
import type { SettledJob, SettlementHost } from './settlement-host.ts'
import type { StageRequest } from '../p2p/stage-messages.ts'
import type { SignedBinding } from '../ledger/binding.ts'

export interface PipelineBatchSource {
  /** Inner step `step` of round `round`: `rows` samples (x row after row, one-hot y). */
  (round: number, step: number): { x: Float32Array; y: Float32Array; rows: number }
}

export interface PipelineCoordinatorOptions {
  node: Libp2p<{ pubsub: GossipSub }>
  exchange: BlockExchange
  job: JobSpec
  initialParams: Float32Array
  batches: PipelineBatchSource
  /** The loss head for one micro-batch of the model's output: its mean loss and that loss's gradient. */
  head: (output: Float32Array, y: Float32Array) => Promise<{ loss: number; grad: Float32Array }>
  /** Boundary tensors' format (default fp16). */
  format?: BoundaryFormat
  /** A volunteer silent for longer is not given a stage (default: 3 joins). */
  joinTtlMs?: number
  /** How long a stage peer may take to fetch its parameters and build its engine. */
  serveTimeoutMs?: number
  now?: () => number
  log?: (line: string) => void
  /** How often the job and its head are announced on gossip (0: never; tests driving rounds by hand). */
  announceEveryMs?: number
  /** Where the coordinator can be dialled directly (a Node coordinator's WebSocket addresses). */
  addrs?: () => string[]
  /** Awaited before each inner step (a test closing a peer mid-round). */
  beforeStep?: (round: number, step: number) => Promise<void> | void
  /**
   * The coordinator's own engine for a stage's layers [from, to) at `rows` samples, to rerun audited calls.
   * Without it no replica is audited (and the report says so).
   */
  engine?: (from: number, to: number, rows: number) => Promise<StageEngine>
  /** Secret randomness for which calls are kept and audited (default: crypto). */
  random?: () => number
  /** Where the state is saved after every round, and resumed from at start (pipeline-checkpoint.ts). */
  checkpoints?: CheckpointStore
  /**
   * Held-out samples (x row after row, one-hot y; whole micro-batches) the coordinator scores every version on,
   * running them through its own stage engines one stage at a time (`engine`) and the loss head: no tab ever
   * holds the whole model for it.
   */
  heldOut?: { x: Float32Array; y: Float32Array; rows: number }
  /** The job log: each round's record is published there (signed), and the epochs' records build on them. */
  jobLog?: LogStore
  /** Settles the job's credit on chain after every round (a job with a reward pool and a coordinator key). */
  settlement?: (job: SettledJob) => SettlementHost
}

/** Held-out samples a version is scored on: at most this many, in whole micro-batches. */
export const HELD_OUT_SAMPLES = 256

/** The first held-out samples of `test`, in whole micro-batches (undefined if not even one fits). */
export function heldOutBatch(job: JobSpec, test: TaskBlock): PipelineCoordinatorOptions['heldOut'] {
  if (!job.task || !job.stages) throw new TesseraeError('BAD_STAGE_PLAN', `job "${job.id}" has no task or no stages to score`)
  const micro = job.stages.microBatch
  const rows = Math.floor(Math.min(test.count, HELD_OUT_SAMPLES) / micro) * micro
  if (rows === 0) return undefined
  return { ...taskBatch(job.task, test, Array.from({ length: rows }, (_, i) => i)), rows }
}

/** Each inner step's samples, drawn at random from the coordinator's training block, seeded by the job, round and step (a resumed job does not replay its first rounds' samples). */
export function randomBatches(job: JobSpec, train: TaskBlock): PipelineBatchSource {
  if (!job.task) throw new TesseraeError('BAD_STAGE_PLAN', `job "${job.id}" has no task to draw samples of`)
  const task = job.task
  return (round, step) => {
    const random = seededRandom((job.seed + Math.imul(round, 0x9e3779b1) + Math.imul(step, 0x85ebca6b)) >>> 0)
    return { ...taskBatch(task, train, Array.from({ length: job.batchSize }, () => Math.floor(random() * train.count))), rows: job.batchSize }
  }
}

/** Replicas a stage group holds at most: more add little and each can stall a round for its deadlines. */
export const MAX_REPLICAS_PER_STAGE = 8
/** Volunteers a coordinator remembers as joined at once. */
export const MAX_JOINED = 1024
/** Wallets bound at once to peers that have done no work in the job (a volunteer may bind before it donates). */
export const MAX_UNPAID_BINDINGS = 1024
/** A peer binds a wallet at most this often (each binding is checked and saved). */
export const BIND_EVERY_MS = 10_000
/** What the coordinator keeps of an audited replica's round: every backward it was sent, every forward it answered. */
interface KeptCalls {
  backward: Map<string, { step: string; sent: Uint8Array[]; answered: boolean; reply: Uint8Array | null }>
  forward: Array<{ step: string; microBatch: string; sent: Uint8Array[]; reply: Uint8Array | null }>
}

/** How far past its steps' reach a replica's change may be: AdamW moves a value at most about 3·lr a step. */
const DELTA_REACH = 10

/**
 * A staged job's audits are drawn from the coordinator's own secret randomness after each replica commits,
 * not from a per-round secret revealed later: its head commits to none.
 */
const NO_AUDIT_COMMITMENT = '0'.repeat(64)

export interface PipelineRoundReport {
  round: number
  /** The version the round trained from; the next is version + 1. */
  version: number
  /** Inner steps completed (a step whose micro-batch failed on every peer of a stage ends the round early). */
  steps: number
  /** Mean training loss over the completed steps. */
  loss: number
  /** The peers given each stage, and those whose replica came back and was merged. */
  assigned: Record<string, number>
  merged: string[][]
  /** Peers given a stage that did not serve it or did not hand back their replica. */
  lost: string[]
  /** Peers whose replica trained nothing (no call answered, or no update acknowledged): kept on their stage, not merged. */
  idle: string[]
  resent: number
  /** FLOPs credited this round, per peer. */
  credited: Record<string, number>
  /** Replicas audited this round, and those that failed (their change was not merged, and they are banned). */
  audits: { run: number; failed: Array<{ peer: string; stage: number; reason: string }> }
  /** An audited replica failed, so no stage was merged: the new version is the round's starting one. */
  discarded: boolean
  /** The replicas whose change passed every check, per stage (merged unless the round was discarded). */
  accepted: string[][]
  /** The held-out loss of the version the round made (absent without held-out samples or a new version). */
  heldOut?: number | null
  ms: number
}

export class PipelineCoordinator {
  private readonly options: PipelineCoordinatorOptions
  private readonly now: () => number
  private readonly joined = new Map<string, number>()
  private assignment = new Map<string, number>()
  readonly params: Float32Array
  private readonly momentum: Float32Array
  private readonly centres: Array<Float32Array | null>
  private readonly slices: Array<{ start: number; end: number }>
  private readonly flops: Array<{ forward: number; backward: number }>
  private readonly shards: Shard[]
  /** Each stage's parameter layout, in the stage's own order. */
  private readonly layouts: ParamLayout[]
  /** Whole parameter vectors (each version's, the outer momentum) in the block exchange. */
  private readonly vectors: ExchangeVectorStore
  version = 0
  round = 0
  /** Content id of the current version's whole parameter vector (the use page's link names it). */
  paramsCid = ''
  private announcer: ReturnType<typeof setInterval> | undefined
  readonly reports: PipelineRoundReport[] = []
  /** Every round's summary, including those before a resume (what the dashboard shows). */
  readonly history: PipelineCheckpoint['reports'] = []
  /** Whether this coordinator carried on from a saved checkpoint. */
  resumed = false
  /** The held-out loss of the starting version (null without held-out samples). */
  startHeldOut: number | null = null
  /** Verified FLOPs per peer over every round, and per stage. */
  readonly credit = new Map<string, { flops: number; byStage: number[] }>()
  /** Peers that failed an audit: never given a stage again. */
  readonly banned = new Map<string, string>()
  /** Peers audited at least once: until then every replica of theirs with a call to check is audited. */
  private readonly audited = new Set<string>()
  /** Credit as the job log's rules give it (stage-log.ts): pending until an audit vouches for it; epochs pay the verified. */
  ledger = new CreditsLedger()
  /** Wallets bound to peers (checked by the settlement host), each with its place in the order they came. */
  private bindingsByPeer: Record<string, WalletBinding> = {}
  /** The last binding's place in the order they came (each binding's `seq`). */
  private bindingSeq = 0
  private readonly lastBindAt = new Map<string, number>()
  /** A wallet was bound since the last epoch: one is tried even while no round runs (or after the last). */
  private unsettledBindings = false
  private saving: Promise<void> = Promise.resolve()
  /** The outer momentum's content id as saved for a round (it changes only when a round lands). */
  private momentumSaved: { round: number; cid: Promise<string> } | null = null
  private settlementState: unknown = undefined
  /** The latest round record in the job log (null before the first). */
  logHead: string | null = null
  /** Ended by a governance decision: no round after the current one. */
  private ended = false
  /** Rounds that merged nothing because an audited replica failed (they do not count toward the job's rounds). */
  private discardedRounds = 0
  /** A round is under way (a binding then waits for the round's own epoch). */
  private roundRunning = false
  private settling: Promise<void> = Promise.resolve()
  /** Pays verified credit into epochs (absent without a reward pool). */
  settlement: SettlementHost | undefined
  /** The peers serving a version's stages for inference because this coordinator asked them (announced). */
  private servers: StageServer[] = []
  private readonly engines = new Map<number, Promise<StageEngine>>()
  private readonly reruns = new Map<number, Promise<unknown>>()
  private readonly random: () => number

  private constructor(options: PipelineCoordinatorOptions) {
    const { job } = options
    if (!job.stages) throw new TesseraeError('BAD_STAGE_PLAN', `job "${job.id}" is not split into stages`)
    this.options = options
    this.now = options.now ?? Date.now
    this.random = options.random ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32)
    const model = jobModel(job)
    const layout = paramLayout(model)
    if (options.initialParams.length !== layout.total) throw new TesseraeError('SHAPE_MISMATCH', `${options.initialParams.length} initial parameters do not fit a model of ${layout.total}`)
    this.params = Float32Array.from(options.initialParams)
    this.momentum = new Float32Array(layout.total)
    this.slices = stageSlices(model, job.stages.cuts, layout)
    this.centres = this.slices.map(() => null)
    this.shards = stageRanges(model, job.stages.cuts).map(([from, to]) => buildShard(model, from, to, job.stages!.microBatch))
    this.layouts = this.shards.map((shard) => paramLayout(model, shard.from, shard.to))
    this.vectors = new ExchangeVectorStore(options.exchange, layout.total)
    this.flops = this.shards.map((shard) => ({ forward: countFlops(shard.forward), backward: countFlops(shard.backward) }))
  }

  static async start(options: PipelineCoordinatorOptions): Promise<PipelineCoordinator> {
    if (options.settlement && !options.jobLog) throw new TesseraeError('BAD_STAGE_PLAN', 'a staged job settled on chain needs a job log: every epoch names the round records it pays from')
    const coordinator = new PipelineCoordinator(options)
    if (options.heldOut && !(options.heldOut.rows > 0 && options.heldOut.rows % options.job.stages!.microBatch === 0)) throw new TesseraeError('SHAPE_MISMATCH', `held-out samples come in whole micro-batches of ${options.job.stages!.microBatch}, not ${options.heldOut.rows} rows`)
    await coordinator.resume()
    coordinator.settlement = options.settlement?.(coordinator.settled())
    if (!coordinator.resumed) coordinator.startHeldOut = await coordinator.heldOutLoss()
    coordinator.paramsCid = await coordinator.vectors.putParams(coordinator.params)
    await serveStage(options.node, async (request, _read, from) => coordinator.hear(request, from.toString()))
    const every = options.announceEveryMs ?? 2000
    if (every > 0) {
      void coordinator.announce()
      coordinator.announcer = setInterval(() => void coordinator.announce(), every)
    }
    return coordinator
  }

  /** The saved state, if any: the version's parameters and momentum come from this peer's own block store. */
  private async resume(): Promise<void> {
    const text = await this.options.checkpoints?.load()
    if (!text) return
    const saved = decodePipelineCheckpoint(text, this.stages)
    if (saved.jobId !== this.options.job.id) throw new TesseraeError('CHECKPOINT_MISMATCH', `the saved checkpoint is job "${saved.jobId}"'s, not "${this.options.job.id}"'s`)
    // Its rounds were run (and logged) with one spec; only the number of rounds may change on a restart.
    if (saved.spec !== undefined && saved.spec !== sameSpecText(this.options.job)) throw new TesseraeError('CHECKPOINT_MISMATCH', `job "${saved.jobId}" was saved with another spec than the one it is started with (only its number of rounds may change)`)
    this.params.set(await this.vectors.getParams(saved.paramsCid, { timeoutMs: 30_000 }))
    this.momentum.set(await this.vectors.getParams(saved.momentumCid, { timeoutMs: 30_000 }))
    this.round = saved.round
    this.version = saved.version
    for (const c of saved.credit) this.credit.set(c.peer, { flops: c.flops, byStage: c.byStage })
    for (const b of saved.banned) this.banned.set(b.peer, b.reason)
    for (const peer of saved.audited) this.audited.add(peer)
    this.history.push(...saved.reports)
    this.startHeldOut = saved.startHeldOut
    if (saved.ledger !== undefined) this.ledger = CreditsLedger.fromJSON(saved.ledger)
    this.bindingsByPeer = saved.bindings ?? {}
    this.bindingSeq = Object.values(this.bindingsByPeer).reduce((top, b) => Math.max(top, b.seq), 0)
    this.settlementState = saved.settlement
    this.logHead = saved.logHead ?? null
    this.ended = saved.ended ?? false
    this.discardedRounds = saved.discardedRounds ?? 0
    this.servers = saved.servers ?? []
    this.resumed = true
  }

  /**
   * Saves the state as it is now (taken at once, before anything awaits), after every save asked for before it:
   * a binding saved while a round runs saves the last landed round, and two saves never write at once.
   */
  private save(): Promise<void> {
    const store = this.options.checkpoints
    if (!store) return Promise.resolve()
    // The momentum changes only when a round lands: it is published once a round, not at every binding.
    if (this.momentumSaved?.round !== this.round) {
      const cid = this.vectors.putParams(Float32Array.from(this.momentum))
      const saved = { round: this.round, cid }
      cid.catch(() => this.momentumSaved === saved && (this.momentumSaved = null))
      this.momentumSaved = saved
    }
    const momentumCid = this.momentumSaved!.cid
    const state: Omit<PipelineCheckpoint, 'momentumCid'> = {
      jobId: this.options.job.id, round: this.round, version: this.version, paramsCid: this.paramsCid,
      credit: [...this.credit].slice(-MAX_SAVED_PEERS).map(([peer, c]) => ({ peer, flops: c.flops, byStage: [...c.byStage] })),
      banned: [...this.banned].slice(-MAX_SAVED_PEERS).map(([peer, reason]) => ({ peer, reason })),
      audited: [...this.audited].slice(-MAX_SAVED_PEERS),
      reports: this.history.slice(-KEPT_REPORTS),
      startHeldOut: this.startHeldOut,
      ledger: this.ledger.toJSON(),
      bindings: this.bindingsByPeer,
      settlement: this.settlementState,
      logHead: this.logHead,
      ended: this.ended,
      discardedRounds: this.discardedRounds,
      spec: sameSpecText(this.options.job),
      servers: this.servers.slice(0, MAX_ANNOUNCED_SERVERS),
    }
    const saved = this.saving.then(async () => store.save(encodePipelineCheckpoint({ ...state, momentumCid: await momentumCid })))
    this.saving = saved.catch(() => undefined)
    return saved
  }

  /** A wallet binding the settlement host checked: refused where it could flood or cheat the job. */
  private async recordBinding(peer: string, binding: Omit<WalletBinding, 'seq'>): Promise<void> {
    if (this.banned.has(peer)) throw new TesseraeError('PEER_EXCLUDED', 'this peer failed an audit in this job, so it cannot bind a wallet')
    const wallet = binding.wallet.toLowerCase()
    if (Object.entries(this.bindingsByPeer).some(([p, b]) => this.banned.has(p) && b.wallet.toLowerCase() === wallet)) throw new TesseraeError('WALLET_EXCLUDED', 'a peer bound to this wallet was caught cheating in this job, so the wallet earns nothing more here')
    const last = this.lastBindAt.get(peer)
    if (last !== undefined && this.now() - last < BIND_EVERY_MS) throw new TesseraeError('BUSY', `this peer bound a wallet less than ${BIND_EVERY_MS / 1000} s ago; try again shortly`)
    // Identities cost nothing: peers that have done no work here may hold only so many bindings between them.
    const worked = (p: string) => this.credit.has(p) || this.ledger.pending(p).units > 0 || this.ledger.volunteer(p).units > 0
    if (!worked(peer) && !this.bindingsByPeer[peer] && Object.keys(this.bindingsByPeer).filter((p) => !worked(p)).length >= MAX_UNPAID_BINDINGS) {
      throw new TesseraeError('BUSY', `${MAX_UNPAID_BINDINGS} peers that have done no work in this job yet have bound wallets; donate to it first, then bind`)
    }
    if (!this.bindingsByPeer[peer] && Object.keys(this.bindingsByPeer).length >= MAX_SAVED_PEERS) throw new TesseraeError('BUSY', `${MAX_SAVED_PEERS} wallets are bound in this job already`)
    this.lastBindAt.set(peer, this.now())
    if (this.lastBindAt.size > MAX_JOINED) this.lastBindAt.delete(this.lastBindAt.keys().next().value!)
    this.bindingsByPeer = { ...this.bindingsByPeer, [peer]: { ...binding, seq: ++this.bindingSeq } }
    this.unsettledBindings = true
    await this.save()
    // Between rounds (or after the last) the binding's epoch is not left for a round that may never come.
    if (!this.roundRunning) void this.settle()
  }

  /** The job as settlement sees it: its credits as of the latest closed round are the ledger now (rounds close whole). */
  private settled(): SettledJob {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getters below read this coordinator's live state
    const self = this
    return {
      job: this.options.job,
      get bindings() {
        return self.bindingsByPeer
      },
      recordBinding: (peer, binding) => self.recordBinding(peer, binding),
      get settlement() {
        return self.settlementState
      },
      saveSettlement: async (state) => {
        self.settlementState = state
        await self.save()
      },
      // The pool is released over the rounds that moved the model (a discarded one releases nothing more); the
      // credit counts every round closed.
      closed: () => ({ ledger: CreditsLedger.fromJSON(self.ledger.toJSON()), roundsClosed: self.mergedRounds, roundHead: self.logHead ?? '', ledgerSeq: self.round, forfeited: new Set(self.banned.keys()) }),
      endAfterThisRound: async () => {
        self.ended = true
        await self.save()
      },
    }
  }

  /** Governance decisions, then the epoch of the credit verified so far; a chain failure is logged and retried next round. */
  private settle(): Promise<void> {
    const turn = this.settling.then(() => this.settleNow())
    this.settling = turn.catch(() => undefined)
    return turn
  }

  private async settleNow(): Promise<void> {
    const settlement = this.settlement
    if (!settlement) return
    this.unsettledBindings = false
    try {
      await settlement.followGovernance()
      const outcome = await settlement.closeEpoch()
      if (!outcome.posted) this.options.log?.(`no epoch posted: ${outcome.reason}`)
    } catch (error) {
      this.options.log?.(`settlement failed and is tried again after the next round: ${errorMessage(error).slice(0, 300)}`)
    }
  }

  head(): Head {
    const { job, node } = this.options
    return { jobId: job.id, coordinator: node.peerId.toString(), round: this.round, version: this.version, paramsCid: this.paramsCid, finished: this.finished, auditCommitment: NO_AUDIT_COMMITMENT, sentAtMs: this.now() }
  }

  /** The job and its head on gossip, as every coordinator announces them: how volunteers and the use page find it. */
  async announce(): Promise<void> {
    const data = encodeAnnouncement({ job: this.options.job, head: this.head(), addrs: (this.options.addrs?.() ?? []).slice(0, 16), servers: this.stageServers.slice(0, MAX_ANNOUNCED_SERVERS) })
    try {
      await this.options.node.services.pubsub.publish(TOPIC_JOBS, data)
    } catch (error) {
      // Only while nobody subscribes yet; the next period tries again.
      this.options.log?.(`job not announced: ${errorMessage(error).slice(0, 200)}`)
    }
  }

  get stages(): number {
    return this.slices.length
  }

  /** Volunteers that asked for a stage recently, in the order they first joined. */
  candidates(): string[] {
    const ttl = this.options.joinTtlMs ?? 3 * JOIN_EVERY_MS
    // A silent peer is forgotten (it may join again, as a newcomer).
    for (const [peer, at] of this.joined) if (this.now() - at > 4 * ttl) this.joined.delete(peer)
    return [...this.joined].filter(([peer, at]) => this.now() - at <= ttl && !this.banned.has(peer)).map(([peer]) => peer).slice(0, MAX_REPLICAS_PER_STAGE * this.stages)
  }

  async stop(): Promise<void> {
    clearInterval(this.announcer)
    await this.options.node.unhandle(STAGE_PROTOCOL)
    for (const engine of this.engines.values()) await engine.then((e) => e.release(), () => undefined)
    this.engines.clear()
  }

  private async hear(request: StageRequest, from: string): Promise<{ response: StageResponse; tensors: Uint8Array[] }> {
    if (request.type === 'bind') return { response: await this.bind(request.jobId, from, request.binding), tensors: [] }
    if (request.type !== 'join') return { response: { type: 'refused', code: 'NOT_SERVED', detail: `a coordinator takes only join and bind requests${isStageCall(request) ? '' : `, not ${request.type}`}` }, tensors: [] }
    const jobId = request.jobId
    if (jobId !== this.options.job.id) return { response: { type: 'refused', code: 'NOT_SERVED', detail: `job "${jobId}" is not coordinated here` }, tensors: [] }
    // Identities cost nothing: past a bound, a new one waits until silent ones are forgotten.
    if (!this.joined.has(from) && this.joined.size >= MAX_JOINED) {
      this.candidates()
      if (this.joined.size >= MAX_JOINED) return { response: { type: 'refused', code: 'BUSY', detail: `${MAX_JOINED} volunteers have joined this job` }, tensors: [] }
    }
    // A peer keeps its place in the order it first joined (setting a key again does not move it).
    this.joined.set(from, this.now())
    // The answer says what it has earned so far: the verified FLOPs of every round it was paid for.
    return { response: { type: 'done', flops: Math.min(Math.round(this.credit.get(from)?.flops ?? 0), Number.MAX_SAFE_INTEGER), tensors: 0 }, tensors: [] }
  }

  /** A wallet binding sent by `from`: checked and recorded by the settlement host. */
  private async bind(jobId: string, from: string, binding: SignedBinding): Promise<StageResponse> {
    if (jobId !== this.options.job.id) return { type: 'refused', code: 'NOT_SERVED', detail: `job "${jobId}" is not coordinated here` }
    if (!this.settlement) return { type: 'refused', code: 'BAD_REQUEST', detail: 'this job pays no on-chain rewards, so there is nothing to bind a wallet to' }
    try {
      const bound = await this.settlement.bind(from, binding)
      return { type: 'bound', wallet: bound.wallet, expiry: bound.expiry }
    } catch (error) {
      return { type: 'refused', code: 'BAD_REQUEST', detail: errorMessage(error).slice(0, 900) }
    }
  }

  /** Whether the job has run all its rounds (a job of 0 rounds runs until stopped) or governance ended it. */
  get finished(): boolean {
    return this.ended || (this.options.job.rounds > 0 && this.mergedRounds >= this.options.job.rounds)
  }

  /**
   * Rounds that moved the model: a round discarded for a failed audit does not count toward the job's rounds, so
   * a stream of fresh identities caught cheating can delay a job but never run it to its end with nothing learnt.
   */
  get mergedRounds(): number {
    return this.round - this.discardedRounds
  }

  /**
   * Runs rounds one after another until the job is finished or `signal` aborts, waiting `waitMs` between tries
   * while some stage has nobody to serve it or a round could not complete a step; `onChange` hears every try. A
   * round that throws (this peer's own failure: publishing, its block store) is logged and tried again after the
   * wait, so a job never stops on one. Once aborted, a round under way stops before its next step and changes
   * nothing (no merge, no save), so a coordinator started again from the checkpoint finds it as it was.
   */
  async run(signal: AbortSignal, onChange: () => void = () => undefined, waitMs = 2000): Promise<void> {
    while (!signal.aborted && !this.finished) {
      let report: PipelineRoundReport | null = null
      try {
        report = await this.runRound(signal)
      } catch (error) {
        this.options.log?.(`round ${this.round} failed here and is tried again: ${errorMessage(error).slice(0, 300)}`)
      }
      onChange()
      if ((report === null || report.steps === 0) && !signal.aborted) await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs)
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
      })
    }
  }

  /**
   * One round: null (nothing changes) while some stage has no volunteer able to serve it, or if `signal` aborted
   * it; otherwise the round's report, with the version moved on. A round that completed no step does not count
   * (the same round is tried again).
   */
  async runRound(signal?: AbortSignal): Promise<PipelineRoundReport | null> {
    this.roundRunning = true
    let report: PipelineRoundReport | null
    try {
      report = await this.runRoundNow(signal)
    } finally {
      this.roundRunning = false
    }
    // A wallet bound while the round ran, with no epoch after it (a round that did not land, or a binding that
    // came during the round's own epoch), gets its epoch now.
    if (this.unsettledBindings && !signal?.aborted) await this.settle()
    return report
  }

  private async runRoundNow(signal?: AbortSignal): Promise<PipelineRoundReport | null> {
    const { job, node } = this.options
    const stages = job.stages!
    const started = this.now()
    const assignment = assignStages(this.candidates(), this.assignment, this.stages)
    const count = (held: Iterable<number>) => {
      const stagesHeld = [...held]
      return Array.from({ length: this.stages }, (_, s) => stagesHeld.filter((x) => x === s).length)
    }
    if (count(assignment.values()).some((n) => n === 0)) return null
    const cids = await this.publishStages()
    const lost = new Set<string>()
    const served = new Map<string, number>()
    await Promise.all([...assignment].map(async ([peer, stage]) => {
      try {
        // (Each also serves the version's stage to the use page while it trains from it.)
        await callStage(node, peerIdFromString(peer), { type: 'serve', jobId: job.id, stage, version: this.version, params: cids[stage]!, model: this.paramsCid }, [], this.options.serveTimeoutMs ?? 90_000)
        served.set(peer, stage)
      } catch (error) {
        lost.add(peer)
        this.options.log?.(`${peer.slice(-8)} did not take stage ${stage} of version ${this.version}: ${errorMessage(error).slice(0, 200)}`)
      }
    }))
    this.assignment = new Map([...assignment].filter(([peer]) => !lost.has(peer)))
    this.servers = [...served].map(([peer, stage]) => ({ peer, stage, version: this.version }))
    void this.announce()
    if (count(served.values()).some((n) => n === 0)) return null
    const driver = new PipelineDriver({
      node,
      jobId: job.id,
      version: this.version,
      shapes: stageShapes(jobModel(job), stages.cuts),
      // A peer that failed a call is not sent more this round (each failure can cost a deadline).
      peersOf: (stage) => [...served].filter(([peer, s]) => s === stage && !failedThisRound.has(peer)).map(([peer]) => peerIdFromString(peer)),
      onFail: (_, peer) => failedThisRound.add(peer),
      onUpdate: (_, peer, step) => {
        const steps = updated.get(peer) ?? new Set<string>()
        updated.set(peer, steps.add(step))
      },
      onSend: (call) => {
        const list = sentSteps.get(call.peer) ?? []
        if (list.at(-1) !== call.step) list.push(call.step)
        sentSteps.set(call.peer, list)
        // Every backward sent to a replica to be audited is kept: the replay runs them all.
        if (call.type !== 'backward' || !auditing.has(call.peer)) return
        const kept = keptFor(call.peer).backward
        kept.set(call.microBatch, { step: call.step, sent: call.sent, answered: kept.get(call.microBatch)?.answered ?? false, reply: null })
      },
      head: this.options.head,
      format: this.options.format ?? 'fp16',
      inFlight: 2,
      log: this.options.log,
      // Every answer an audited replica gives is kept with what it answered, to be run again at its step.
      onAnswer: (call) => {
        answered.add(call.peer)
        if (!auditing.has(call.peer)) return
        const kept = keptFor(call.peer)
        if (call.type === 'forward') return void kept.forward.push({ step: call.step, microBatch: call.microBatch, sent: call.sent, reply: call.reply })
        const backward = kept.backward.get(call.microBatch)
        if (!backward) return
        backward.answered = true
        backward.reply = call.reply
      },
    })
    // Whose replica is audited this round is drawn now, in secret: until then, nobody can know.
    // The job's last round audits every replica, so no peer's last rounds stay pending (unpaid) for want of a draw.
    const lastRound = job.rounds > 0 && this.mergedRounds === job.rounds - 1
    const auditing = new Set(this.options.engine ? [...served.keys()].filter((peer) => lastRound || !this.audited.has(peer) || this.random() < job.auditRate) : [])
    const keptCalls = new Map<string, KeptCalls>()
    const keptFor = (peer: string) => {
      let kept = keptCalls.get(peer)
      if (!kept) keptCalls.set(peer, (kept = { backward: new Map(), forward: [] }))
      return kept
    }
    const updated = new Map<string, Set<string>>()
    const answered = new Set<string>()
    const failedThisRound = new Set<string>()
    /** The steps each peer was sent calls of, in order: the only steps it may commit to. */
    const sentSteps = new Map<string, string[]>()
    /** The calls each peer answered that count, by the stage it held. */
    const work = new Map<string, StageWork>()
    let steps = 0
    let loss = 0
    let resent = 0
    for (let step = 0; step < job.innerSteps && !signal?.aborted; step++) {
      await this.options.beforeStep?.(this.round, step)
      const { x, y, rows } = this.options.batches(this.round, step)
      // The job log says a round had steps × batch samples: a source giving more would be paid past what it says.
      if (rows !== job.batchSize) throw new TesseraeError('SHAPE_MISMATCH', `step ${step} of round ${this.round} has ${rows} samples, not the job's batch of ${job.batchSize}`)
      try {
        const report = await driver.step(x, y, rows, stages.microBatch, job.innerLr)
        loss += report.loss
        resent += report.resent
        steps++
        for (const route of report.routes) {
          const stepId = route.microBatch.slice(0, route.microBatch.lastIndexOf('.'))
          for (const [s, peer] of route.forward.entries()) workOf(work, peer, s).forward++
          // A backward counts once its step's update was acknowledged: one whose update it refused added nothing.
          for (const [s, peer] of route.backward.entries()) if (updated.get(peer)?.has(stepId)) workOf(work, peer, s).backward++
        }
      } catch (error) {
        this.options.log?.(`round ${this.round} ends after ${steps} steps: ${errorMessage(error).slice(0, 300)}`)
        break
      }
    }
    // Stopped (the tab closed the job): nothing of this round is kept; the checkpoint stays at its start.
    if (signal?.aborted) return null
    // No step: nothing to merge or pay, every peer keeps its stage, and the same round is tried again.
    if (steps === 0) {
      const empty: PipelineRoundReport = { round: this.round, version: this.version, steps, loss: NaN, assigned: Object.fromEntries(assignment), merged: this.slices.map(() => []), idle: [], lost: [...lost], resent, credited: {}, audits: { run: 0, failed: [] }, discarded: false, accepted: this.slices.map(() => []), ms: this.now() - started }
      this.reports.push(empty)
      return empty
    }
    const idle = new Set<string>()
    // Each replica's change since the version; a stage's group merged by the job's rule.
    const deltas: QuantizedDelta[][] = this.slices.map(() => [])
    const merged: string[][] = this.slices.map(() => [])
    const audits: PipelineRoundReport['audits'] = { run: 0, failed: [] }
    const outcomes: StageAuditOutcome[] = []
    await Promise.all([...served].map(async ([peer, stage]) => {
      const { start, end } = this.slices[stage]!
      try {
        const id = peerIdFromString(peer)
        const reply = await callStage(node, id, { type: 'delta', jobId: job.id, stage, version: this.version }, [], 60_000)
        if (!reply.tensor) throw new TesseraeError('STAGE_OUTPUT_MISSING', 'the replica did not come')
        const delta = decodeDelta(reply.tensor, end - start)
        // A replica that answered nothing trained nothing: whatever it hands back is not merged, nor paid.
        if (!answered.has(peer)) {
          idle.add(peer)
          return
        }
        // No value can have moved further than its own acknowledged updates could move it (and one more, whose
        // acknowledgement may have been lost).
        const updates = updated.get(peer)?.size ?? 0
        const reach = DELTA_REACH * (updates + 1) * job.innerLr
        const far = largestValue(delta)
        if (!(far <= reach)) throw new TesseraeError('STAGE_DELTA_TOO_FAR', `its change reaches ${far.toExponential(2)}, beyond the ${reach.toExponential(2)} its ${updates} updates at learning rate ${job.innerLr} could move a value`)
        // A peer never audited is audited at its first replica; its commitment comes before it learns whether.
        if (auditing.has(peer)) {
          const kept = keptFor(peer)
          const verdict = await this.audit(id, stage, dequantize(delta), { steps: sentSteps.get(peer) ?? [], backward: kept.backward, updated: updated.get(peer) ?? new Set() }, kept.forward)
          if (verdict === null) {
            // Our own engine failed, not the replica: merged unaudited, and audited next time.
          } else if (verdict.passed) {
            audits.run++
            // (Remembered as audited when the round lands: a round that fails to land audits it again.)
            outcomes.push({ peer, stage, passed: true, reason: '' })
          } else {
            audits.run++
            // Excluded (and its unpaid credit forfeited) when the round's record is applied, below.
            const reason = verdict.reason.slice(0, 300)
            audits.failed.push({ peer, stage, reason })
            outcomes.push({ peer, stage, passed: false, reason })
            lost.add(peer)
            this.assignment.delete(peer)
            this.options.log?.(`${peer.slice(-8)} failed the audit of its stage ${stage} replica: ${verdict.reason}`)
            return
          }
        }
        // One that acknowledged no update trained nothing either (its calls went only forward, or its updates
        // were refused): it keeps its stage and is paid for the calls it answered, but its change is not merged.
        if (updates === 0) {
          idle.add(peer)
          return
        }
        deltas[stage]!.push(delta)
        merged[stage]!.push(peer)
      } catch (error) {
        lost.add(peer)
        this.assignment.delete(peer)
        this.options.log?.(`${peer.slice(-8)}'s replica of stage ${stage} did not come back: ${errorMessage(error).slice(0, 200)}`)
      }
    }))
    // A replica caught cheating may have answered its neighbours wrongly all round, and their changes were
    // trained on those answers: none is merged, so a caught cheater costs the round, never the model.
    const discarded = audits.failed.length > 0
    const accepted = merged.map((m) => [...m])
    if (discarded) {
      this.options.log?.(`round ${this.round} merges nothing: ${audits.failed.length} audited replica(s) failed, and their answers reached the other stages' replicas`)
      for (const m of merged) m.length = 0
    }
    // The next version is made on copies: nothing of the round changes this coordinator until its record is in
    // the job log, so a round that fails here (the log, the block store) is tried again from where it was.
    const params = Float32Array.from(this.params)
    const momentum = Float32Array.from(this.momentum)
    const centres = [...this.centres]
    for (const [s, { start, end }] of this.slices.entries()) {
      if (discarded || deltas[s]!.length === 0) continue
      const gradient = mergeStage(job.aggregator, deltas[s]!, end - start, centres[s]!, job.seed + s)
      centres[s] = gradient
      outerStep(params.subarray(start, end), momentum.subarray(start, end), gradient, { lr: job.outerLr, momentum: job.outerMomentum })
    }
    const nextParamsCid = await this.vectors.putParams(params)
    const heldOut = await this.heldOutLoss(params)
    // The round as the job log keeps it: whoever replays the log credits exactly what this coordinator does.
    const record: StageRoundRecord = {
      kind: 'stage-round', job: job.id, spec: job, round: this.round, version: this.version, paramsCid: this.paramsCid, nextParamsCid, startedAtMs: started, closedAtMs: this.now(),
      stageFlops: this.flops, work: [...work.values()].filter((w) => !lost.has(w.peer)), audits: outcomes, prev: this.logHead,
    }
    const logHead = this.options.jobLog ? await this.options.jobLog.put(record) : this.logHead
    // From here to the save nothing awaits: the round lands whole (a save or an epoch in between sees all of it or none).
    this.params.set(params)
    this.momentum.set(momentum)
    centres.forEach((c, s) => (this.centres[s] = c))
    this.logHead = logHead
    for (const a of outcomes) if (a.passed) this.audited.add(a.peer)
    if (discarded) this.discardedRounds++
    applyStageRound(this.ledger, this.banned, record)
    const credited: Record<string, number> = {}
    for (const w of record.work) {
      const flops = stageWorkFlops(record, w)
      credited[w.peer] = flops
      const total = this.credit.get(w.peer) ?? { flops: 0, byStage: new Array<number>(this.stages).fill(0) }
      total.flops += flops
      total.byStage[w.stage]! += flops
      this.credit.set(w.peer, total)
    }
    const report: PipelineRoundReport = { round: this.round, version: this.version, steps, loss: steps > 0 ? loss / steps : NaN, assigned: Object.fromEntries(assignment), merged, idle: [...idle], lost: [...lost], resent, credited, audits, discarded, accepted, heldOut, ms: this.now() - started }
    this.reports.push(report)
    this.round++
    this.version++
    this.paramsCid = nextParamsCid
    this.history.push({ round: report.round, version: report.version, steps, loss: report.loss, heldOut, lost: report.lost, merged, ...(discarded ? { discarded } : {}) })
    if (this.history.length > KEPT_REPORTS) this.history.splice(0, this.history.length - KEPT_REPORTS)
    await this.save()
    void this.announce()
    await this.settle()
    if (this.finished) await this.serveFinal()
    return report
  }

  /**
   * Once training is over, every peer that held a stage serves the job's final version of it for inference, so
   * the model stays usable from its use link with no peer holding it whole (a peer that cannot is logged).
   */
  private async serveFinal(): Promise<void> {
    const { job, node } = this.options
    let cids: string[]
    try {
      cids = await this.publishStages()
    } catch (error) {
      return void this.options.log?.(`the final version's stages could not be published for its volunteers to serve: ${errorMessage(error).slice(0, 200)}`)
    }
    const servers: StageServer[] = []
    await Promise.all([...this.assignment].map(async ([peer, stage]) => {
      try {
        await callStage(node, peerIdFromString(peer), { type: 'serve', jobId: job.id, stage, version: this.version, params: cids[stage]!, model: this.paramsCid, inference: true }, [], this.options.serveTimeoutMs ?? 90_000)
        servers.push({ peer, stage, version: this.version })
      } catch (error) {
        this.options.log?.(`${peer.slice(-8)} does not serve stage ${stage} of the final version ${this.version}: ${errorMessage(error).slice(0, 200)}`)
      }
    }))
    this.servers = servers
    await this.save()
    await this.announce()
  }

  /** Each stage's parameters of the current version, published apart: a peer fetches only its own stage's. */
  private publishStages(): Promise<string[]> {
    return Promise.all(this.slices.map(({ start, end }) => new ExchangeVectorStore(this.options.exchange, end - start).putParams(this.params.subarray(start, end))))
  }

  /** The stage servers this coordinator vouches for now: those it asked to serve a version, less any caught cheating since. */
  get stageServers(): StageServer[] {
    return this.servers.filter((s) => !this.banned.has(s.peer))
  }

  /**
   * The current version's mean loss on the held-out samples, each micro-batch forward through this peer's own
   * engines stage after stage, then the loss head; null without held-out samples or an engine, or if an engine
   * failed (logged: the job goes on).
   */
  async heldOutLoss(values: Float32Array = this.params): Promise<number | null> {
    const samples = this.options.heldOut
    if (!samples || !this.options.engine) return null
    const micro = this.options.job.stages!.microBatch
    const xw = samples.x.length / samples.rows
    const yw = samples.y.length / samples.rows
    try {
      const params = this.slices.map((_, s) => this.stageParams(s, values))
      let total = 0
      for (let r = 0; r < samples.rows; r += micro) {
        let activation = samples.x.subarray(r * xw, (r + micro) * xw)
        for (let s = 0; s < this.stages; s++) {
          const engine = await this.engine(s)
          const input = activation
          activation = await this.turn(s, () => engine.forward(params[s]!, input))
        }
        total += (await this.options.head(activation, samples.y.subarray(r * yw, (r + micro) * yw))).loss
      }
      return total / (samples.rows / micro)
    } catch (error) {
      this.options.log?.(`could not score a version on the held-out samples: ${errorMessage(error).slice(0, 300)}`)
      return null
    }
  }

  /** Stage `stage`'s parameters in `values` (the whole vector), named: views, not copies. */
  private stageParams(stage: number, values: Float32Array): Map<string, Float32Array> {
    const { start, end } = this.slices[stage]!
    return unflatten(this.layouts[stage]!, values.subarray(start, end))
  }

  /**
   * One replica's audit: its commitment to how it trained, the round replayed here from the version and fresh
   * moments (every backward it summed, then each AdamW step), the replayed change against the one it handed
   * back, and every answer it gave rerun at its step's replayed parameters. Null when this peer's own engine failed (the
   * replica is merged unaudited and audited next time).
   */
  private async audit(peer: PeerId, stage: number, change: Float32Array, sent: { steps: readonly string[]; backward: KeptCalls['backward']; updated: ReadonlySet<string> }, forward: KeptCalls['forward']): Promise<StageAuditVerdict | null> {
    const { job, node } = this.options
    const { start, end } = this.slices[stage]!
    const at = { jobId: job.id, stage, version: this.version }
    const layout = this.layouts[stage]!
    let commitment: ReplicaCommitment
    try {
      const reply = await callStage(node, peer, { type: 'commit', ...at }, [], 60_000)
      if (!reply.tensor) return { passed: false, reason: 'sent no commitment' }
      commitment = decodeCommitment(reply.tensor, { steps: job.innerSteps, microBatches: job.batchSize / job.stages!.microBatch })
    } catch (error) {
      return { passed: false, reason: `did not answer its audit: ${errorMessage(error).slice(0, 300)}` }
    }
    const mismatch = commitmentMismatch(commitment, sent)
    if (mismatch) return { passed: false, reason: mismatch }
    // A copy: the replay trains it (unflatten gives views, and the version's values must stay).
    const params = unflatten(layout, this.params.slice(start, end))
    const summed = new Set(commitment.steps.flatMap((s) => s.microBatches))
    let wrong: string | null = null
    const check = (what: string, answer: Uint8Array | null, rerun: Float32Array | null, kind: 'forward' | 'backward') => {
      wrong ??= answerMismatch(what, answer && this.decodeAnswer(stage, kind, answer), rerun)
    }
    try {
      await this.turn(stage, async () => {
        try {
          const engine = await this.engine(stage)
          await replayReplica({
            params, commitment, sentSteps: sent.steps, optimizer: STAGE_ADAMW, lr: job.innerLr,
            // Each summed backward, whose input gradient (its answer) is checked on the way.
            backward: async (values, microBatch) => {
              const call = sent.backward.get(microBatch)!
              const { gradIn, grads } = await this.rerunBackward(engine, stage, call.sent, values)
              if (call.answered) check(`the backward of ${microBatch}`, call.reply, gradIn, 'backward')
              return grads
            },
            // Every other answer it gave in this step, run again at the parameters the step ran with.
            visit: async (step, values) => {
              for (const f of forward) if (f.step === step) check(`the forward of ${f.microBatch}`, f.reply, await this.rerunForward(engine, stage, f.sent, values), 'forward')
              for (const [microBatch, call] of sent.backward) {
                if (call.step !== step || !call.answered || summed.has(microBatch)) continue
                check(`the backward of ${microBatch}`, call.reply, (await this.rerunBackward(engine, stage, call.sent, values)).gradIn, 'backward')
              }
            },
          })
        } catch (error) {
          // Inside the stage's turn, so no other audit is holding the engine let go here.
          void this.engines.get(stage)?.then((e) => e.release(), () => undefined)
          this.engines.delete(stage)
          throw error
        }
      })
    } catch (error) {
      this.options.log?.(`could not replay a stage ${stage} replica to audit it (merged unaudited): ${errorMessage(error).slice(0, 300)}`)
      return null
    }
    if (wrong) return { passed: false, reason: wrong }
    const replayed = dequantize(quantizeInt8(Float32Array.from(flatten(layout, params), (value, i) => this.params[start + i]! - value)))
    return judgeChange({ change, replayed, tensors: layout.names.map((name, i) => ({ name, start: layout.offsets[i]!, end: layout.offsets[i]! + layout.sizes[i]! })), lr: job.innerLr })
  }

  /** A replica's answer as it crossed the boundary: a forward's output activation, or a backward's input gradient. */
  private decodeAnswer(stage: number, kind: 'forward' | 'backward', answer: Uint8Array): Float32Array {
    const shard = this.shards[stage]!
    const { rows, width } = kind === 'forward' ? boundaryShape(shard.backward, GRAD_OUT) : boundaryShape(shard.forward, ACTIVATION)
    return decodeBoundary(answer, rows, width, `stage ${stage}'s answer`).values
  }

  private engine(stage: number): Promise<StageEngine> {
    const shard = this.shards[stage]!
    let engine = this.engines.get(stage)
    if (!engine) this.engines.set(stage, (engine = this.options.engine!(shard.from, shard.to, this.options.job.stages!.microBatch)))
    return engine
  }

  /** One audit at a time per stage: each stage's engine is one ORT session, which runs one call at once. */
  private turn<T>(stage: number, work: () => Promise<T>): Promise<T> {
    const turn = (this.reruns.get(stage) ?? Promise.resolve()).then(work)
    this.reruns.set(stage, turn.catch(() => undefined))
    return turn
  }

  /** A call's answer put through the codec the peer used, so like is compared with like. */
  private roundTrip(values: Float32Array, shape: { rows: number; width: number }): Float32Array {
    return decodeBoundary(encodeBoundary({ ...shape, values }, this.options.format ?? 'fp16'), shape.rows, shape.width, 'the rerun').values
  }

  private async rerunForward(engine: StageEngine, stage: number, sent: Uint8Array[], params: ReadonlyMap<string, Float32Array>): Promise<Float32Array> {
    const shard = this.shards[stage]!
    const input = boundaryShape(shard.forward, ACTIVATION)
    const activation = decodeBoundary(sent[0]!, input.rows, input.width, 'an audited activation').values
    return this.roundTrip(await engine.forward(params, activation), boundaryShape(shard.backward, GRAD_OUT))
  }

  private async rerunBackward(engine: StageEngine, stage: number, sent: Uint8Array[], params: ReadonlyMap<string, Float32Array>): Promise<{ gradIn: Float32Array | null; grads: ReadonlyMap<string, Float32Array> }> {
    const shard = this.shards[stage]!
    const input = boundaryShape(shard.forward, ACTIVATION)
    const output = boundaryShape(shard.backward, GRAD_OUT)
    const activation = decodeBoundary(sent[0]!, input.rows, input.width, 'an audited activation').values
    const gradOut = decodeBoundary(sent[1]!, output.rows, output.width, 'an audited gradient').values
    const { gradIn, grads } = await engine.backward(params, activation, gradOut)
    return { gradIn: gradIn && this.roundTrip(gradIn, input), grads }
  }
}


/** The largest |value| of a quantised delta (its largest block scale × 127 bounds it; this is exact). */
function largestValue(delta: QuantizedDelta): number {
  let far = 0
  for (let b = 0; b < delta.scales.length; b++) {
    const end = Math.min((b + 1) * delta.blockSize, delta.length)
    let top = 0
    for (let i = b * delta.blockSize; i < end; i++) top = Math.max(top, Math.abs(delta.values[i]!))
    far = Math.max(far, top * delta.scales[b]!)
  }
  return far
}

/** A peer's count of answered calls this round (a peer holds one stage a round). */
function workOf(work: Map<string, StageWork>, peer: string, stage: number): StageWork {
  let entry = work.get(peer)
  if (!entry) work.set(peer, (entry = { peer, stage, forward: 0, backward: 0 }))
  return entry
}
