// Two engines for DiLoCo's inner loop with the same shape: one drives a TrainSession directly (Node: headless
// volunteers, benchmarks, tests), the other drives the compute worker (browser tabs). Both start every unit
// from the given parameters with zeroed AdamW state, so replicas of a unit replay identically.
import { buildTrainStep, type LrScale } from '../graph/train-step.ts'
import { DEFAULT_ADAMW } from '../graph/optimizer.ts'
import { initParams, type Model } from '../graph/model.ts'
import { TesseraeError } from '../errors.ts'
import { TrainSession, type Batch, type ExecutionBackend, type OrtModule } from './train-session.ts'
import type { ComputeClient } from './compute-client.ts'
import { throwawayStep } from './synthetic-batch.ts'
import { BatchPool } from '../data/batch-pool.ts'

const STEPS_PER_RUN = 32

export class SessionInnerEngine {
  readonly flopsPerStep: number
  private readonly session: TrainSession

  private constructor(session: TrainSession, flopsPerStep: number) {
    this.session = session
    this.flopsPerStep = flopsPerStep
  }

  static async create(ort: OrtModule, model: Model, batchSize: number, backend: ExecutionBackend = 'wasm', lrScale?: LrScale): Promise<SessionInnerEngine> {
    const step = buildTrainStep(model, batchSize, DEFAULT_ADAMW, { lrScale })
    const session = await TrainSession.create(ort, step, { backend })
    // A session's first run is its slowest (a CNN's: 0.3 s against 0.1 s after): a referee pays it now rather
    // than on the first volunteer's probe. Every unit loads its parameters and fresh optimiser state first.
    session.load(initParams(model, 0))
    await throwawayStep(session, model, batchSize)
    return new SessionInnerEngine(session, step.flopsPerStep)
  }

  async load(params: Map<string, Float32Array>, options: { keepState?: boolean } = {}): Promise<void> {
    const state = options.keepState ? (await this.session.read(true)).state : undefined
    this.session.load(params, state)
  }

  async train(batches: Batch[], lr: number, firstStep: number): Promise<{ losses: number[]; backend: string }> {
    const losses: number[] = []
    // Stacks of steps per engine run (train-session.ts); a stack bounds the staging memory for its batches.
    for (let done = 0; done < batches.length; done += STEPS_PER_RUN) {
      const results = await this.session.runSteps(batches.slice(done, done + STEPS_PER_RUN), lr, firstStep + done)
      for (const [i, { loss }] of results.entries()) {
        if (!Number.isFinite(loss)) throw new TesseraeError('DIVERGED', `the loss became ${loss} at inner step ${firstStep + done + i}`)
        losses.push(loss)
      }
    }
    return { losses, backend: this.session.backend }
  }

  async read(): Promise<Map<string, Float32Array>> {
    return (await this.session.read()).params
  }

  release(): Promise<void> {
    return this.session.release()
  }
}

export class WorkerInnerEngine {
  private readonly client: ComputeClient
  /**
   * The batches the worker handed back, refilled by the next ones made for this engine; kept only once a
   * caller asks for spare batches (a referee that never does would hold them for nothing).
   */
  private pool: BatchPool | null = null

  constructor(client: ComputeClient) {
    this.client = client
  }

  spare(xLength: number, yLength: number): Batch | undefined {
    this.pool ??= new BatchPool()
    return this.pool.take(xLength, yLength)
  }

  async load(params: Map<string, Float32Array>, options: { keepState?: boolean } = {}): Promise<void> {
    await this.client.loadParams(Object.fromEntries(params), options.keepState ?? false)
  }

  async train(batches: Batch[], lr: number, firstStep: number): Promise<{ losses: number[]; backend: string }> {
    // A unit's batches are made for this call alone, so they can move to the worker without a copy.
    const summary = await this.client.train(batches, lr, firstStep, { handOver: true, spent: (spent) => this.pool?.give(spent) })
    return { losses: summary.losses, backend: summary.backend }
  }

  async read(): Promise<Map<string, Float32Array>> {
    return new Map(Object.entries(await this.client.readParams()))
  }
}
