// A model run through stage peers (issue 19): the use page's way to answer with a model too big for the
// visitor's tab. Each request goes forward stage by stage to peers that announce the version's stages with their
// presence (stage-server.ts), routed and re-sent around failures by the pipeline driver; the version's
// parameters never reach this tab.
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerView } from '../p2p/peer-table.ts'
import type { StageOffer } from '../p2p/presence.ts'
import { jobModel, type JobSpec } from '../training/job.ts'
import { stageShapes } from '../training/job-stages.ts'
import { writeTokens } from '../data/text.ts'
import { TesseraeError } from '../errors.ts'
import { PipelineDriver } from './pipeline-driver.ts'
import { INFERENCE_ROWS } from './stage-server.ts'

export interface StagedModelOptions {
  node: Libp2p
  job: JobSpec
  /** The version's parameter content id, as the use link names it. */
  paramsCid: string
  /** The version's number as the link names it: only peers serving that number are asked. */
  version?: number
  /** The swarm's peers as this tab hears them now (their presence lists the stages they serve). */
  peers: () => readonly PeerView[]
  log?: (line: string) => void
}

export interface StagedAnswer {
  outputs: Float32Array
  /** The peer that ran each stage. */
  route: string[]
}

export class StagedModel {
  private readonly options: StagedModelOptions
  readonly stages: number

  constructor(options: StagedModelOptions) {
    if (!options.job.stages) throw new TesseraeError('BAD_STAGE_PLAN', `job "${options.job.id}" is not split into stages`)
    this.options = options
    this.stages = options.job.stages.cuts.length + 1
  }

  /** Offers of this version's stage `stage` heard now, each with its peer. */
  private offers(stage: number): Array<{ peer: string; offer: StageOffer }> {
    const { job, paramsCid } = this.options
    const { version } = this.options
    return this.options.peers().flatMap((p) => p.stages.filter((o) => o.job === job.id && o.params === paramsCid && o.stage === stage && (version === undefined || o.version === version)).map((offer) => ({ peer: p.peerId, offer })))
  }

  /** How many peers serve each stage now (0 somewhere: the model cannot answer yet). */
  coverage(): number[] {
    return Array.from({ length: this.stages }, (_, s) => new Set(this.offers(s).map((o) => o.peer)).size)
  }

  /** The model's outputs for one encoded sample, run through the stage peers. */
  async outputs(x: Float32Array): Promise<StagedAnswer> {
    const { job, node } = this.options
    const model = jobModel(job)
    // The version number stage peers serve under: the link's, or (a link without one) the first offer's.
    const version = this.options.version ?? this.offers(0)[0]?.offer.version
    if (version === undefined) throw new TesseraeError('STAGE_UNAVAILABLE', `no peer serves stage 0 of this version of job "${job.id}" yet`)
    const driver = new PipelineDriver({
      node,
      jobId: job.id,
      version,
      shapes: stageShapes(model, job.stages!.cuts),
      peersOf: (stage) => [...new Set(this.offers(stage).filter((o) => o.offer.version === version).map((o) => o.peer))].map((id) => peerIdFromString(id)),
      head: () => Promise.reject(new TesseraeError('BAD_REQUEST', 'inference has no loss head')),
      format: 'fp32',
      inFlight: 1,
      log: this.options.log,
    })
    const { outputs, route } = await driver.infer(x, INFERENCE_ROWS)
    return { outputs, route }
  }

  /** What a language model writes after `prompt`, one pass through the stages per token (`onRoute` hears each's route). */
  async write(prompt: ArrayLike<number>, options: { length: number; temperature: number; seed: number }, onRoute?: (route: string[]) => void): Promise<Uint16Array> {
    const [context, vocab] = jobModel(this.options.job).inputShape as [number, number]
    return writeTokens(async (x) => {
      const answer = await this.outputs(x)
      onRoute?.(answer.route)
      return answer.outputs
    }, { context, vocab }, { prompt, ...options })
  }
}
