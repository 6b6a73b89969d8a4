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

export interface ServedStage {
  jobId: string
  stage: number
  version: number
  engine: StageEngine
  params: ReadonlyMap<string, Float32Array>
}

export interface StageWork {
  /** Sums over the micro-batches below of each one's parameter gradients. */
  grads: Map<string, Float32Array>
  microBatches: string[]
  /** FLOPs of every forward and backward run here. */
  flops: number
}

/** Backward and forward runs one stage peer takes on at once; more are refused BUSY (the driver reroutes). */
const MAX_CONCURRENT = 4

/** [rows, width] of a graph input as its boundary tensor: a row per last-axis vector. */
function boundaryShape(graph: Graph, name: string): [number, number] {
  const shape = graph.inputsOfKind('input').find((i) => i.name === name)!.value.shape
  return [numel(shape) / shape.at(-1)!, shape.at(-1)!]
}

export class StageHost {
  private readonly node: Libp2p
  private readonly served = new Map<string, { stage: ServedStage; work: StageWork; queue: Promise<unknown> }>()
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
    this.served.set(`${stage.jobId}/${stage.stage}`, { stage, work: { grads: new Map(), microBatches: [], flops: 0 }, queue: Promise.resolve() })
  }

  /** The work gathered for a stage since it was served or last taken, and a fresh start. */
  takeWork(jobId: string, stage: number): StageWork | null {
    const entry = this.served.get(`${jobId}/${stage}`)
    if (!entry) return null
    const work = entry.work
    entry.work = { grads: new Map(), microBatches: [], flops: 0 }
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

  private async run(entry: { stage: ServedStage; work: StageWork }, request: StageRequest, tensors: Uint8Array[]): Promise<{ response: StageResponse; tensors: Uint8Array[] }> {
    const { stage } = entry
    const { shard } = stage.engine
    const [rows, width] = boundaryShape(shard.forward, ACTIVATION)
    const activation = decodeBoundary(tensors[0]!, rows, width, `the activation into stage ${request.stage}`).values
    if (request.type === 'forward') {
      const out = await stage.engine.forward(stage.params, activation)
      entry.work.flops += shard.forwardFlops
      const outWidth = boundaryShape(shard.backward, GRAD_OUT)[1]
      return { response: { type: 'done', flops: shard.forwardFlops, tensors: 1 }, tensors: [encodeBoundary({ rows: out.length / outWidth, width: outWidth, values: out }, request.format)] }
    }
    const [gradRows, gradWidth] = boundaryShape(shard.backward, GRAD_OUT)
    const gradOut = decodeBoundary(tensors[1]!, gradRows, gradWidth, `the output gradient of stage ${request.stage}`).values
    const { gradIn, grads } = await stage.engine.backward(stage.params, activation, gradOut)
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
    }
    return { response: { type: 'done', flops: shard.backwardFlops, tensors: gradIn ? 1 : 0 }, tensors: gradIn ? [encodeBoundary({ rows, width, values: gradIn }, request.format)] : [] }
  }
}
