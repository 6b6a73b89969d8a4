// A peer serving pipeline stages (issue 19): for each job stage it holds (its shard's engine and a replica of
// its parameters at one version) it answers the stage protocol, running a micro-batch forward or backward, and
// adds the parameter gradients of each backward, once per micro-batch, to that step's sum; an update applies
// the step's mean with AdamW. Stage peers keep nothing between a forward and its backward (the backward carries
// its input again), so any peer of a stage can take any call.
import type { Libp2p } from '@libp2p/interface'
import { ACTIVATION, boundaryShape, GRAD_OUT } from '../graph/shard.ts'
import { DEFAULT_ADAMW } from '../graph/optimizer.ts'
import type { StageEngine } from '../compute/stage-engine.ts'
import { boundaryBytes, decodeBoundary, encodeBoundary } from '../training/boundary-codec.ts'
import { adamwUpdate, newAdamWState, type AdamWSpec, type AdamWState } from '../training/adamw.ts'
import { serveStage } from '../p2p/stage-protocol.ts'
import { isStageCall, STAGE_PROTOCOL, type StageCall, type StageRequest, type StageResponse } from '../p2p/stage-messages.ts'
import { errorMessage, TesseraeError } from '../errors.ts'

export interface ServedStage {
  jobId: string
  stage: number
  version: number
  engine: StageEngine
  /** The version's parameters (copied: the host trains its own replica from them). */
  params: ReadonlyMap<string, Float32Array>
  optimizer?: AdamWSpec
  /**
   * Serve forward passes only (a deployed version answering the use page): a backward or an update is refused,
   * so nobody who may ask for a prediction can change the model it is served from.
   */
  inferenceOnly?: boolean
  /**
   * The peers allowed to drive this stage's training (the job's drivers, as its stage map names them): calls from
   * anyone else are refused. Absent: any peer may (a stage served for inference, or a test's pipeline).
   */
  drivers?: ReadonlySet<string>
  /**
   * Keep the round's ledger (a staged job's replica, whose coordinator may replay its round): every update
   * applied since it was served, with the micro-batches summed for it.
   */
  ledger?: boolean
}

/** How a replica trained since it was served (from fresh moments): what its coordinator replays to audit it (stage-audit.ts). */
export interface StageLedger {
  /** Every update applied, in order, with the micro-batches summed for it. */
  applied: Array<{ step: string; microBatches: string[] }>
}

export type StageControlHandler = (request: Exclude<StageRequest, StageCall>, from: string) => Promise<{ response: StageResponse; tensors: Uint8Array[] }>

export interface StageWork {
  /** Micro-batches whose backward ran here since the work was last taken (each counted once). */
  microBatches: string[]
  /** FLOPs of every forward and backward run here. */
  flops: number
  /** Optimiser updates applied. */
  updates: number
}

/** A step's gradients here so far: their sum, and the micro-batches added (each once). */
interface StepSum {
  grads: Map<string, Float32Array>
  microBatches: Set<string>
}

interface Entry {
  stage: ServedStage
  params: Map<string, Float32Array>
  optimizer: AdamWSpec
  state: Map<string, AdamWState>
  updates: number
  /** Steps whose update has not come yet (one that failed part-way never gets one, and is dropped later). */
  steps: Map<string, StepSum>
  work: StageWork
  queue: Promise<unknown>
  /** Told apart from every other serving of a stage here (it names the parameter values with `updates`). */
  generation: number
  /** With `ledger`. */
  ledger: StageLedger | null
}

const inferenceKey = (jobId: string, stage: number) => `${jobId}/${stage}/inference`

/** The replica's parameter values, named: they change only when it is served anew or applies an update. */
const paramsKey = (entry: { generation: number; updates: number }) => `${entry.generation}.${entry.updates}`
let generations = 0

/** A replica's optimiser unless served with another (a coordinator's replay applies the same). */
export const STAGE_ADAMW = DEFAULT_ADAMW as Extract<typeof DEFAULT_ADAMW, { kind: 'adamw' }>
/** Steps of unfinished drivers a stage keeps sums for at once; the oldest goes first. */
const MAX_OPEN_STEPS = 8
/** Forward and backward runs one stage peer takes on at once; more are refused BUSY (the driver reroutes). */
const MAX_CONCURRENT = 4
/**
 * Inference forwards taken on at once, apart from training's (a visitor's load never makes a driver's calls
 * busy), and from any one asker.
 */
const MAX_INFERENCE_CONCURRENT = 2
const MAX_INFERENCE_PER_PEER = 1

export class StageHost {
  private readonly node: Libp2p
  private readonly served = new Map<string, Entry>()
  private running = 0
  private inferring = 0
  private readonly inferringBy = new Map<string, number>()
  private paused = false

  private constructor(node: Libp2p) {
    this.node = node
  }

  /**
   * `control`: how this peer answers a staged job's round requests (join, serve, delta, commit, audit;
   * stage-volunteer.ts);
   * without it they are refused.
   */
  static async start(node: Libp2p, control?: StageControlHandler): Promise<StageHost> {
    const host = new StageHost(node)
    await serveStage(node, (request, read, from) => {
      if (isStageCall(request)) return host.handle(request, read, from.toString())
      if (control) return control(request, from.toString())
      return Promise.resolve({ response: { type: 'refused', code: 'NOT_SERVED', detail: `this peer takes no ${request.type} requests` }, tensors: [] })
    })
    return host
  }

  /** Serves `stage` (replacing any version of it served before, and what was gathered for it). */
  serve(stage: ServedStage): void {
    const params = new Map(stage.engine.shard.params.map((name) => {
      const values = stage.params.get(name)
      if (!values) throw new TesseraeError('BAD_STAGE_PLAN', `stage ${stage.stage} is served without parameter "${name}"`)
      return [name, Float32Array.from(values)]
    }))
    // Every serving starts AdamW afresh, as a whole-model unit does: a replica's round then follows from the
    // version and its gradients alone, which is what lets its coordinator replay it (stage-audit.ts).
    const state = new Map([...params].map(([name, values]) => [name, newAdamWState(values.length)]))
    // A stage served for inference lives beside the replica training it (a volunteer serves the version it
    // trains from to the use page): each has its own entry.
    this.served.set(stage.inferenceOnly ? inferenceKey(stage.jobId, stage.stage) : `${stage.jobId}/${stage.stage}`, { stage, params, optimizer: stage.optimizer ?? STAGE_ADAMW, state, updates: 0, steps: new Map(), work: { microBatches: [], flops: 0, updates: 0 }, queue: Promise.resolve(), ledger: stage.ledger ? { applied: [] } : null, generation: ++generations })
  }

  /** The replica's parameters as trained here (what the stage's group averages). */
  params(jobId: string, stage: number): ReadonlyMap<string, Float32Array> | null {
    return this.served.get(`${jobId}/${stage}`)?.params ?? null
  }

  /** Stops serving a stage (its engine is the caller's to release); `inference`: its inference serving. */
  unserve(jobId: string, stage: number, inference = false): void {
    this.served.delete(inference ? inferenceKey(jobId, stage) : `${jobId}/${stage}`)
  }

  /** Paused: forward and backward calls are refused (the driver sends them to the stage's other peers); updates still apply. */
  setPaused(paused: boolean): void {
    this.paused = paused
  }

  /** The replica's ledger since it was served (null if not served or served without one). */
  ledger(jobId: string, stage: number): StageLedger | null {
    return this.served.get(`${jobId}/${stage}`)?.ledger ?? null
  }

  /** AdamW steps the replica has taken since it was served, or null if not served. */
  optimizerSteps(jobId: string, stage: number): number | null {
    return this.served.get(`${jobId}/${stage}`)?.updates ?? null
  }

  /** The gradient sums of a step not yet updated (null if none), e.g. to compare with a reference. */
  stepGradients(jobId: string, stage: number, step: string): ReadonlyMap<string, Float32Array> | null {
    return this.served.get(`${jobId}/${stage}`)?.steps.get(step)?.grads ?? null
  }

  /** The work done for a stage since it was served or last taken, and a fresh count. */
  takeWork(jobId: string, stage: number): StageWork | null {
    const entry = this.served.get(`${jobId}/${stage}`)
    if (!entry) return null
    const work = entry.work
    entry.work = { microBatches: [], flops: 0, updates: 0 }
    return work
  }

  async stop(): Promise<void> {
    await this.node.unhandle(STAGE_PROTOCOL)
    for (const { stage } of this.served.values()) await stage.engine.release()
    this.served.clear()
  }

  private async handle(request: StageCall, read: (maxBytes: number) => Promise<Uint8Array[]>, from: string): Promise<{ response: StageResponse; tensors: Uint8Array[] }> {
    const refuse = (code: 'NOT_SERVED' | 'BUSY' | 'BAD_REQUEST', detail: string) => ({ response: { type: 'refused' as const, code, detail }, tensors: [] })
    // The training replica takes its drivers' calls; anyone else's forward of the version served for inference
    // goes to that serving (its parameters are the version's, untouched by training).
    const training = this.served.get(`${request.jobId}/${request.stage}`)
    const inference = this.served.get(inferenceKey(request.jobId, request.stage))
    const drives = training && training.stage.version === request.version && (!training.stage.drivers || training.stage.drivers.has(from))
    const entry = drives ? training : inference && (inference.stage.version === request.version || !training) ? inference : training
    if (!entry) return refuse('NOT_SERVED', `stage ${request.stage} of job "${request.jobId}" is not served here`)
    if (entry.stage.version !== request.version) return refuse('NOT_SERVED', `stage ${request.stage} is served here at version ${entry.stage.version}, not ${request.version}`)
    if (entry.stage.drivers && !entry.stage.drivers.has(from)) return refuse('NOT_SERVED', `stage ${request.stage} of job "${request.jobId}" takes calls only from the job's drivers, and ${from} is not one`)
    if (entry.stage.inferenceOnly && request.type !== 'forward') return refuse('NOT_SERVED', `stage ${request.stage} of job "${request.jobId}" is served here for inference only: no ${request.type}`)
    // An update is cheap and ends a step: it is never refused for being busy (a skipped one would merge steps).
    if (request.type !== 'update' && this.paused) return refuse('NOT_SERVED', 'this peer is paused')
    const forInference = entry === inference
    if (forInference) {
      if (this.inferring >= MAX_INFERENCE_CONCURRENT || (this.inferringBy.get(from) ?? 0) >= MAX_INFERENCE_PER_PEER) return refuse('BUSY', `${this.inferring} inference requests are running here`)
    } else if (request.type !== 'update' && this.running >= MAX_CONCURRENT) return refuse('BUSY', `${this.running} micro-batches are running here`)
    if (forInference) {
      this.inferring++
      this.inferringBy.set(from, (this.inferringBy.get(from) ?? 0) + 1)
    } else this.running++
    try {
      const { shard } = entry.stage.engine
      const input = boundaryShape(shard.forward, ACTIVATION)
      const output = boundaryShape(shard.backward, GRAD_OUT)
      // Nothing bigger than this stage's own boundary in fp32 is read.
      const tensors = await read(Math.max(boundaryBytes('fp32', input.rows, input.width), boundaryBytes('fp32', output.rows, output.width)))
      // One run at a time per engine: an ORT session (one wasm instance, or one GPU queue) runs one call at once.
      const turn = entry.queue.then(() => this.run(entry, request, tensors))
      entry.queue = turn.catch(() => undefined)
      return await turn
    } catch (error) {
      return refuse('BAD_REQUEST', errorMessage(error).slice(0, 900))
    } finally {
      if (forInference) {
        this.inferring--
        const left = (this.inferringBy.get(from) ?? 1) - 1
        if (left > 0) this.inferringBy.set(from, left)
        else this.inferringBy.delete(from)
      } else this.running--
    }
  }

  private async run(entry: Entry, request: StageCall, tensors: Uint8Array[]): Promise<{ response: StageResponse; tensors: Uint8Array[] }> {
    const { stage, params } = entry
    const { shard } = stage.engine
    if (request.type === 'update') {
      const sum = entry.steps.get(request.step)
      // This step ends, and with it any earlier step of the same driver that failed part-way (step ids are
      // "<driver nonce>.<n>"); other drivers' open steps stay.
      const driver = request.step.slice(0, request.step.lastIndexOf('.') + 1)
      for (const id of [...entry.steps.keys()]) if (id === request.step || (driver !== '' && id.startsWith(driver))) entry.steps.delete(id)
      if (sum && sum.microBatches.size > 0) {
        entry.updates++
        for (const [name, values] of params) adamwUpdate(values, sum.grads.get(name)!, entry.state.get(name)!, entry.optimizer, request.lr, entry.updates, 1 / sum.microBatches.size)
        entry.work.updates++
        entry.ledger?.applied.push({ step: request.step, microBatches: [...sum.microBatches] })
      }
      return { response: { type: 'done', flops: 0, tensors: 0 }, tensors: [] }
    }
    const input = boundaryShape(shard.forward, ACTIVATION)
    const output = boundaryShape(shard.backward, GRAD_OUT)
    const activation = decodeBoundary(tensors[0]!, input.rows, input.width, `the activation into stage ${request.stage}`).values
    if (request.type === 'forward') {
      const out = await stage.engine.forward(params, activation, paramsKey(entry))
      entry.work.flops += shard.forwardFlops
      return { response: { type: 'done', flops: shard.forwardFlops, tensors: 1 }, tensors: [encodeBoundary({ ...output, values: out }, request.format)] }
    }
    const gradOut = decodeBoundary(tensors[1]!, output.rows, output.width, `the output gradient of stage ${request.stage}`).values
    const { gradIn, grads } = await stage.engine.backward(params, activation, gradOut, paramsKey(entry))
    // (The stage may have been served anew meanwhile: this gradient belongs to the version it replaced.)
    if (this.served.get(`${request.jobId}/${request.stage}`) === entry) {
      let sum = entry.steps.get(request.step)
      if (!sum) {
        if (entry.steps.size >= MAX_OPEN_STEPS) entry.steps.delete(entry.steps.keys().next().value!)
        sum = { grads: new Map(), microBatches: new Set() }
        entry.steps.set(request.step, sum)
      }
      // A backward the driver sent twice (its first answer was lost) counts once.
      if (!sum.microBatches.has(request.microBatch)) {
        for (const [name, g] of grads) {
          const acc = sum.grads.get(name)
          if (!acc) sum.grads.set(name, Float32Array.from(g))
          else for (let i = 0; i < g.length; i++) acc[i] = acc[i]! + g[i]!
        }
        sum.microBatches.add(request.microBatch)
        entry.work.microBatches.push(request.microBatch)
        entry.work.flops += shard.backwardFlops
      }
    }
    return { response: { type: 'done', flops: shard.backwardFlops, tensors: gradIn ? 1 : 0 }, tensors: gradIn ? [encodeBoundary({ ...input, values: gradIn }, request.format)] : [] }
  }
}
