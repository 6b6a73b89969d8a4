// A peer serving a version of a job's model stage by stage, for inference (issue 19: the use page of a model a
// visitor's tab cannot hold). It fetches the version's parameters by their content id from the job's coordinator
// or any peer holding them, runs its stages' forward passes (StageHost, inference only) and announces which it
// serves with its presence, which is how a visitor's tab finds a peer for every stage.
import { peerIdFromString } from '@libp2p/peer-id'
import type { Swarm } from '../p2p/swarm.ts'
import type { BlockExchange } from '../p2p/block-exchange.ts'
import { MAX_STAGE_OFFERS, type StageOffer } from '../p2p/presence.ts'
import { buildShard, type Shard } from '../graph/shard.ts'
import type { StageEngine } from '../compute/stage-engine.ts'
import { jobModel, type JobSpec } from '../training/job.ts'
import { jobStageRange } from '../training/job-stages.ts'
import { paramLayout, unflatten } from '../training/vector.ts'
import { TesseraeError } from '../errors.ts'
import { ExchangeVectorStore } from './exchange-vector-store.ts'
import { StageHost } from './stage-host.ts'

/** Samples a use-page request carries: one picture, row or prompt window at a time. */
export const INFERENCE_ROWS = 1

export interface StageServerOptions {
  swarm: Swarm
  exchange: BlockExchange
  /** A stage's engine: ORT in this process (a Node peer) or in the compute worker (a tab). */
  engine: (shard: Shard) => Promise<StageEngine>
  log?: (line: string) => void
}

export class StageServer {
  readonly host: StageHost
  private readonly options: StageServerOptions
  private offers: StageOffer[] = []

  private constructor(host: StageHost, options: StageServerOptions) {
    this.host = host
    this.options = options
  }

  static async start(options: StageServerOptions): Promise<StageServer> {
    return new StageServer(await StageHost.start(options.swarm.node), options)
  }

  /** What this peer serves and announces. */
  get serving(): readonly StageOffer[] {
    return this.offers
  }

  /**
   * Serves `stages` of `job`'s version `version`, whose parameters have content id `paramsCid`, and announces
   * them. Refused (nothing served) for a job without stages, a stage it does not have, or more stages than a
   * presence carries.
   */
  async serveVersion(job: JobSpec, version: number, paramsCid: string, stages: readonly number[], timeoutMs = 120_000): Promise<void> {
    const ranges = stages.map((stage) => jobStageRange(job, stage))
    const model = jobModel(job)
    const kept = this.offers.filter((o) => !(o.job === job.id && stages.includes(o.stage)))
    if (kept.length + stages.length > MAX_STAGE_OFFERS) throw new TesseraeError('BAD_STAGE_PLAN', `a peer serves at most ${MAX_STAGE_OFFERS} stages at once`)
    const layout = paramLayout(model)
    const flat = await new ExchangeVectorStore(this.options.exchange, layout.total).getParams(paramsCid, { providers: [peerIdFromString(job.coordinator)], timeoutMs })
    const params = unflatten(layout, flat)
    for (const [i, stage] of stages.entries()) {
      const [from, to] = ranges[i]!
      const engine = await this.options.engine(buildShard(model, from, to, INFERENCE_ROWS))
      this.host.serve({ jobId: job.id, stage, version, engine, params, inferenceOnly: true })
    }
    this.offers = [...kept, ...stages.map((stage) => ({ job: job.id, params: paramsCid, version, stage }))]
    this.options.swarm.setStages(this.offers)
    this.options.log?.(`serving stages ${stages.join(', ')} of job "${job.id}" version ${version}`)
  }

  async stop(): Promise<void> {
    this.offers = []
    await this.host.stop()
  }
}
