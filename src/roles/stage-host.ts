// A peer serving pipeline stages (issue 19): for each job stage it holds (its shard's engine and parameters at
// one version) it answers the stage protocol, running a micro-batch forward or backward, and adds the
// parameter gradients of every backward it ran, once per micro-batch, until the stage's group synchronises.
import type { Libp2p } from '@libp2p/interface'
import { ACTIVATION, GRAD_OUT } from '../graph/shard.ts'
import { numel } from '../graph/shape.ts'
import type { Graph } from '../graph/graph.ts'
import type { StageEngine } from '../compute/stage-engine.ts'
import { decodeBoundary, encodeBoundary } from '../training/boundary-codec.ts'
import { serveStage } from '../p2p/stage-protocol.ts'
import { STAGE_PROTOCOL, type StageRequest, type StageResponse } from '../p2p/stage-messages.ts'
import { errorMessage } from '../errors.ts'
import { adamwUpdate, newAdamWState, type AdamWSpec, type AdamWState } from '../training/adamw.ts'
import { DEFAULT_ADAMW } from '../graph/optimizer.ts'

export interface ServedStage {
  jobId: string
  stage: number
  version: number
  engine: StageEngine
  /** The version's parameters (copied: the host trains its own replica from them). */
  params: ReadonlyMap<string, Float32Array>
  optimizer?: AdamWSpec
}

export interface StageWork {
  /** Sums of each micro-batch's parameter gradients, since the last update. */
  grads: Map<string, Float32Array>
  /** Micro-batches whose backward ran here since the work was last taken (each counted once). */
  microBatches: string[]
  /** FLOPs of every forward and backward run here. */
  flops: number
  /** Optimiser updates applied. */
  updates: number
}

interface Entry {
  stage: ServedStage
  params: Map<string, Float32Array>
  optimizer: AdamWSpec
  state: Map<string, AdamWState>
  steps: number
  /** Micro-batches added to `work.grads` since the last update. */
  pending: number
  work: StageWork
  queue: Promise<unknown>
}

const ADAMW = DEFAULT_ADAMW as Extract<typeof DEFAULT_ADAMW, { kind: 'adamw' }>
const freshWork = (): StageWork => ({ grads: new Map(), microBatches: [], flops: 0, updates: 0 })

/** Backward and forward runs one stage peer takes on at once; more are refused BUSY (the driver reroutes). */
const MAX_CONCURRENT = 4

/** [rows, width] of a graph input as its boundary tensor: a row per last-axis vector. */
function boundaryShape(graph: Graph, name: string): [number, number] {
  const shape = graph.inputsOfKind('input').find((i) => i.name === name)!.value.shape
  return [numel(shape) / shape.at(-1)!, shape.at(-1)!]
}

export class StageHost {
  private readonly node: Libp2p
  private readonly served = new Map<string, Entry>()
  private running = 0

  private constructor(node: Libp2p) {
    this.node = node
  }

  static async start(node: Libp2p): Promise<StageHost> {
    const host = new StageHost(node)
    await serveStage(node, (request, tensors) => host.handle(request, tensors))
    return host
  }

  /** Serves `stage` (replacing any version of it served before, and the gradients gathered for it). */
  serve(stage: ServedStage): void {
    const params = new Map(stage.engine.shard.params.map((name) => {
      const values = stage.params.get(name)
      if (!values) throw new Error(`stage ${stage.stage} is served without parameter "${name}"`)
      return [name, Float32Array.from(values)]
    }))
    const state = new Map([...params].map(([name, values]) => [name, newAdamWState(values.length)]))
    this.served.set(`${stage.jobId}/${stage.stage}`, { stage, params, optimizer: stage.optimizer ?? ADAMW, state, steps: 0, pending: 0, work: freshWork(), queue: Promise.resolve() })
  }

  /** The replica's parameters as trained here (what the stage's group averages). */
  params(jobId: string, stage: number): ReadonlyMap<string, Float32Array> | null {
    return this.served.get(`${jobId}/${stage}`)?.params ?? null
  }

  /** The work gathered for a stage since it was served or last taken, and a fresh start. */
  takeWork(jobId: string, stage: number): StageWork | null {
    const entry = this.served.get(`${jobId}/${stage}`)
    if (!entry) return null
    const work = entry.work
    entry.work = { ...freshWork(), grads: work.grads }
    return work
  }

  async stop(): Promise<void> {
    await this.node.unhandle(STAGE_PROTOCOL)
    for (const { stage } of this.served.values()) await stage.engine.release()
    this.served.clear()
  }

  private async handle(request: StageRequest, tensors: Uint8Array[]): Promise<{ response: StageResponse; tensors: Uint8Array[] }> {
    const refuse = (code: 'NOT_SERVED' | 'BUSY' | 'BAD_REQUEST', detail: string) => ({ response: { type: 'refused' as const, code, detail }, tensors: [] })
    const entry = this.served.get(`${request.jobId}/${request.stage}`)
    if (!entry) return refuse('NOT_SERVED', `stage ${request.stage} of job "${request.jobId}" is not served here`)
    if (entry.stage.version !== request.version) return refuse('NOT_SERVED', `stage ${request.stage} is served here at version ${entry.stage.version}, not ${request.version}`)
    if (this.running >= MAX_CONCURRENT) return refuse('BUSY', `${this.running} micro-batches are running here`)
    this.running++
    // One run at a time per engine: an ORT session (one wasm instance, or one GPU queue) runs one call at once.
    const turn = entry.queue.then(() => this.run(entry, request, tensors))
    entry.queue = turn.catch(() => undefined)
    try {
      return await turn
    } catch (error) {
      return refuse('BAD_REQUEST', errorMessage(error).slice(0, 900))
    } finally {
      this.running--
    }
  }

  private async run(entry: Entry, request: StageRequest, tensors: Uint8Array[]): Promise<{ response: StageResponse; tensors: Uint8Array[] }> {
    const { stage, params } = entry
    const { shard } = stage.engine
    if (request.type === 'update') {
      // The mean gradient over this replica's micro-batches since its last update; none: nothing to apply.
      if (entry.pending > 0) {
        entry.steps++
        for (const [name, values] of params) adamwUpdate(values, entry.work.grads.get(name)!, entry.state.get(name)!, entry.optimizer, request.lr, entry.steps, 1 / entry.pending)
        entry.work.grads = new Map()
        entry.work.updates++
        entry.pending = 0
      }
      return { response: { type: 'done', flops: 0, tensors: 0 }, tensors: [] }
    }
    const [rows, width] = boundaryShape(shard.forward, ACTIVATION)
    const activation = decodeBoundary(tensors[0]!, rows, width, `the activation into stage ${request.stage}`).values
    if (request.type === 'forward') {
      const out = await stage.engine.forward(params, activation)
      entry.work.flops += shard.forwardFlops
      const outWidth = boundaryShape(shard.backward, GRAD_OUT)[1]
      return { response: { type: 'done', flops: shard.forwardFlops, tensors: 1 }, tensors: [encodeBoundary({ rows: out.length / outWidth, width: outWidth, values: out }, request.format)] }
    }
    const [gradRows, gradWidth] = boundaryShape(shard.backward, GRAD_OUT)
    const gradOut = decodeBoundary(tensors[1]!, gradRows, gradWidth, `the output gradient of stage ${request.stage}`).values
    const { gradIn, grads } = await stage.engine.backward(params, activation, gradOut)
    // A backward the driver sent twice (its first answer was lost) counts once.
    // (The stage may have been served anew meanwhile: this gradient belongs to the version it replaced.)
    if (this.served.get(`${request.jobId}/${request.stage}`) === entry && !entry.work.microBatches.includes(request.microBatch)) {
      for (const [name, g] of grads) {
        const sum = entry.work.grads.get(name)
        if (!sum) entry.work.grads.set(name, Float32Array.from(g))
        else for (let i = 0; i < g.length; i++) sum[i] = sum[i]! + g[i]!
      }
      entry.work.microBatches.push(request.microBatch)
      entry.work.flops += shard.backwardFlops
      entry.pending++
    }
    return { response: { type: 'done', flops: shard.backwardFlops, tensors: gradIn ? 1 : 0 }, tensors: gradIn ? [encodeBoundary({ rows, width, values: gradIn }, request.format)] : [] }
  }
}
