// A coordinator driven by simulated volunteers, with every verification path real: volunteers and the referee
// run the real unit runner and referee on a small deterministic engine (heavy-ball descent on a noisy
// quadratic, a stand-in for H AdamW steps), results are committed, drawn, probed and replayed exactly as in
// the swarm, and hostile volunteers are the attacks in adversaries.ts. Shared by the coordinator's tests and
// the settlement tests that need rounds.
import type { ScreeningOptions } from '../robust-aggregate.ts'
import { Coordinator, type WorkReply } from '../coordinator.ts'
import { MemoryLogStore, MemoryVectorStore } from './memory-stores.ts'
import { MemoryCheckpointStore } from '../memory-checkpoints.ts'
import { decodeDelta, encodeDelta } from '../quantize.ts'
import { Referee, type UnitData } from '../referee.ts'
import { runUnit, type InnerBatch, type InnerEngine, type UnitOutput, type UnitRun } from '../unit-runner.ts'
import type { JobSpec } from '../job.ts'
import type { LogStore } from '../stores.ts'
import type { UnitAssignment, UnitResult } from '../unit.ts'
import type { ParamLayout } from '../vector.ts'
import { ATTACKS, type Attack, type AttackName } from './adversaries.ts'
import { DecodeError } from '../../errors.ts'
import { verdict, type Verdict } from '../verdicts.ts'
import { VolunteerGone, type VerificationThresholds } from '../verification.ts'

export const DIM = 512
export const target = Float32Array.from({ length: DIM }, (_, i) => Math.sin(i))
export const LAYOUT: ParamLayout = { names: ['w'], offsets: [0], sizes: [DIM], total: DIM }
const NOISE = 0.2
/** The harness serves checkpoints in pieces of this many values, as the block exchange serves small chunks. */
const PIECE_VALUES = 64

/**
 * θ ← θ − lr·m, m ← 0.9m + (θ − target + NOISE·x): each batch's x pulls the minimum a little, so a unit's
 * data shapes its delta the way a shard shapes a real one. Loss is ½·mean((θ − target + NOISE·x)²).
 */
export class QuadraticEngine implements InnerEngine {
  private w = new Float32Array(DIM)
  private m = new Float32Array(DIM)
  /** Relative noise added to every update: a different "engine" (WebGPU against wasm) for the referee. */
  private readonly jitter: number
  steps = 0

  constructor(jitter = 0) {
    this.jitter = jitter
  }

  async load(params: Map<string, Float32Array>, options: { keepState?: boolean } = {}): Promise<void> {
    this.w = Float32Array.from(params.get('w')!)
    if (!options.keepState) this.m = new Float32Array(DIM)
  }

  async train(batches: InnerBatch[], lr: number): Promise<{ losses: number[]; backend: string }> {
    const losses: number[] = []
    for (const { x } of batches) {
      let loss = 0
      for (let i = 0; i < DIM; i++) {
        const g = this.w[i]! - target[i]! + NOISE * x[i]!
        loss += (0.5 * g * g) / DIM
        this.m[i] = 0.9 * this.m[i]! + g
        this.w[i] = this.w[i]! - lr * this.m[i]! * (1 + this.jitter * Math.sin(i * 7 + this.steps))
      }
      losses.push(loss)
      this.steps++
    }
    return { losses, backend: 'js' }
  }

  async read(): Promise<Map<string, Float32Array>> {
    return new Map([['w', Float32Array.from(this.w)]])
  }
}

/** Each "sample" is a fixed noise vector; a batch is the mean of its samples' vectors. */
export function quadraticData(unit: UnitAssignment): UnitData {
  const count = unit.shards.reduce((n, s) => n + s.samples, 0)
  const key = unit.shards.map((s) => s.cid).join('/')
  const base = [...key].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 7)
  return {
    count,
    makeBatch: (indices) => {
      const x = new Float32Array(DIM)
      for (const sample of indices) for (let i = 0; i < DIM; i++) x[i]! += Math.sin((base + sample) * 0.37 + i * 1.3) / indices.length
      return { x, y: new Float32Array(0) }
    },
  }
}

/** A referee on the quadratic engine, for tests that need a coordinator but never reach verification. */
export const quadraticReferee = (jitter = 0) => new Referee({ engine: new QuadraticEngine(jitter), layout: LAYOUT, data: async (unit) => quadraticData(unit) })

export const distance = (p: Float32Array) => Math.hypot(...Array.from(p, (x, i) => x - target[i]!))

export type Behaviour = AttackName | Attack

export interface WorkOutcome {
  reply: WorkReply
  result?: UnitResult
  /** Taken for verification (true), or refused at once (false, with the verdict). */
  accepted?: boolean
  verdict?: Verdict
}

export class Harness {
  clock = 0
  readonly vectors = new MemoryVectorStore()
  readonly checkpoints = new MemoryCheckpointStore()
  readonly log = new MemoryLogStore()
  readonly refereeEngine: QuadraticEngine
  readonly volunteerEngine = new QuadraticEngine()
  coordinator!: Coordinator
  readonly job: JobSpec
  private readonly attacks = new Map<string, Attack>()
  private readonly thresholds: VerificationThresholds | undefined
  private readonly screening: ScreeningOptions | undefined
  /** New peers' probes (probe.ts): off unless a test asks, so other tests see only full units. */
  private readonly probeSteps: number
  private readonly logStore: LogStore
  private readonly sign: (peer: string, result: UnitResult) => Promise<string>

  /**
   * `log` replaces the in-memory job log (e.g. one that signs its records); `sign` signs each result as its
   * volunteer would (peers must then be real peer ids).
   */
  constructor(job: JobSpec, options: { refereeJitter?: number; thresholds?: VerificationThresholds; screening?: ScreeningOptions; log?: LogStore; sign?: (peer: string, result: UnitResult) => Promise<string>; probeSteps?: number } = {}) {
    this.job = job
    this.probeSteps = options.probeSteps ?? 0
    this.refereeEngine = new QuadraticEngine(options.refereeJitter ?? 0)
    this.thresholds = options.thresholds
    this.screening = options.screening
    this.logStore = options.log ?? this.log
    this.sign = options.sign ?? (async () => 'ab'.repeat(64))
  }

  async open(): Promise<Coordinator> {
    this.coordinator = await Coordinator.open({
      job: this.job,
      dim: DIM,
      initialParams: () => new Float32Array(DIM),
      flopsPerStep: 1000,
      vectors: this.vectors,
      checkpoints: this.checkpoints,
      log: this.logStore,
      referee: new Referee({ engine: this.refereeEngine, layout: LAYOUT, data: async (unit) => quadraticData(unit) }),
      evaluate: async (p) => ({ accuracy: 1 / (1 + distance(p)), loss: distance(p) }),
      now: () => this.clock,
      secret: '07'.repeat(32),
      thresholds: this.thresholds,
      ...(this.screening ? { screening: this.screening } : {}),
      probeSteps: this.probeSteps,
    })
    return this.coordinator
  }

  /** The peer's attack (one instance per peer, since attacks such as replay remember earlier units). */
  private attackOf(peer: string, behaviour: Behaviour): Attack {
    if (typeof behaviour !== 'string') return behaviour
    let attack = this.attacks.get(peer)
    if (!attack) {
      attack = ATTACKS[behaviour]()
      this.attacks.set(peer, attack)
    }
    return attack
  }

  /** Asks for a unit, works on it as `behaviour` would and submits the result as the host would. */
  async work(peer: string, behaviour: Behaviour = 'honest'): Promise<WorkOutcome> {
    // Time moves on between requests, so submissions are ordered the way real ones are.
    this.clock += 1
    const reply = await this.coordinator.requestWork(peer)
    if (reply.kind !== 'unit') return { reply }
    const output = await this.compute(peer, reply.unit, behaviour)
    return { reply, ...(await this.submit(peer, output, behaviour)) }
  }

  async compute(peer: string, unit: UnitAssignment, behaviour: Behaviour = 'honest'): Promise<UnitOutput> {
    const start = await this.vectors.getParams(unit.paramsCid)
    const data = quadraticData(unit)
    const honest: UnitRun = { unit, start, layout: LAYOUT, totalSamples: data.count, makeBatch: data.makeBatch, engine: this.volunteerEngine, flopsPerStep: 1000, commit: (values) => this.vectors.putParams(values), now: () => this.clock }
    return this.attackOf(peer, behaviour).work(unit, honest, runUnit)
  }

  /** What the host does with a result: store and decode the delta, then hand it over with the evidence. */
  async submit(peer: string, output: UnitOutput, behaviour: Behaviour = 'honest'): Promise<{ result: UnitResult; accepted: boolean; verdict: Verdict }> {
    const bytes = encodeDelta(output.delta)
    const deltaCid = this.vectors.putBytes(bytes)
    const result: UnitResult = { ...output.result, deltaCid }
    let delta
    try {
      delta = decodeDelta(bytes, DIM)
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error
      const refusal = verdict('MALFORMED_DELTA', { detail: error.message.slice(0, 200) })
      await this.coordinator.refuse(peer, result.unitId, refusal)
      return { result, accepted: false, verdict: refusal }
    }
    const { withholds, leaves } = this.attackOf(peer, behaviour)
    const fetch = async (cid: string) => {
      if (leaves) throw new VolunteerGone(peer)
      if (withholds) throw new Error(`no peer delivered block ${cid}`)
      return this.vectors.getParams(cid)
    }
    const reply = await this.coordinator.submit(peer, result, delta, {
      checkpoint: fetch,
      checkpointPieces: async (cid, pick) => {
        const values = await fetch(cid)
        const pieces = Math.ceil(values.length / PIECE_VALUES)
        return { valuesPerPiece: PIECE_VALUES, pieces: new Map(pick(pieces).map((i) => [i, values.subarray(i * PIECE_VALUES, (i + 1) * PIECE_VALUES)])) }
      },
    }, await this.sign(peer, result))
    return { result, accepted: reply.accepted, verdict: reply.verdict }
  }
}

/** Every listed peer asks for work in turn until `rounds` more rounds have closed (the clock jumps when all wait). */
export async function runRounds(h: Harness, peers: Array<[string, Behaviour]>, rounds: number): Promise<void> {
  const goal = h.coordinator.view.current.round + rounds
  for (let guard = 0; h.coordinator.view.current.round < goal && guard < 10_000; guard++) {
    let progressed = false
    for (const [peer, behaviour] of peers) {
      const { reply } = await h.work(peer, behaviour)
      if (reply.kind === 'unit') progressed = true
      await h.coordinator.settled()
    }
    if (!progressed) {
      h.clock += h.job.roundMs + 1
      await h.coordinator.tick()
      await h.coordinator.settled()
    }
  }
}
