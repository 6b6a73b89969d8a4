// A model run through stage peers (issue 19): the use page's way to answer with a model too big for the
// visitor's tab. Each request goes forward stage by stage to peers that announce the version's stages with their
// presence (stage-server.ts), routed and re-sent around failures by the pipeline driver; the version's
// parameters never reach this tab.
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerView } from '../p2p/peer-table.ts'
import type { StageOffer } from '../p2p/presence.ts'
import type { StageServer } from '../p2p/job-topics.ts'
import { jobModel, type JobSpec } from '../training/job.ts'
import { stageShapes } from '../training/job-stages.ts'
import { writeTokens } from '../data/text.ts'
import { TesseraeError } from '../errors.ts'
import { relativeL2 } from '../compute/compare-runs.ts'
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
  /**
   * The stage servers the job's coordinator vouches for (its announcement's), if any: then only their offers of
   * a version they are named for are taken, and anyone else's presence is ignored.
   */
  servers?: () => readonly StageServer[] | undefined
  log?: (line: string) => void
}

export interface StagedAnswer {
  outputs: Float32Array
  /** The peer that ran each stage. */
  route: string[]
  /** Stages whose answer a second peer's agreed with (none: unchecked, or one peer a stage). */
  checkedStages: number[]
}

/** How far apart two honest routes' answers may be (fp32 boundaries; engines differ by about 1e-6). */
export const STAGED_AGREEMENT = 1e-3

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
    const { job, paramsCid, version } = this.options
    const heard = this.options.peers().flatMap((p) => p.stages.filter((o) => o.job === job.id && o.params === paramsCid && o.stage === stage && (version === undefined || o.version === version)).map((offer) => ({ peer: p.peerId, offer })))
    // Where the coordinator names servers for a version, only they serve it; an older version it no longer
    // names (a deployed one, say) is taken from whoever offers it, each answer cross-checked as before.
    const vouched = this.options.servers?.() ?? []
    return heard.filter(({ peer, offer }) => !vouched.some((s) => s.version === offer.version) || vouched.some((s) => s.peer === peer && s.stage === offer.stage && s.version === offer.version))
  }

  /** The version number stage peers serve under: the link's, or (a link without one) the first offer's. */
  private servedVersion(): number | undefined {
    return this.options.version ?? this.offers(0)[0]?.offer.version
  }

  /** Whether the job's coordinator names this version's stage servers (only they are asked). */
  vouched(): boolean {
    const version = this.servedVersion()
    return version !== undefined && (this.options.servers?.() ?? []).some((s) => s.version === version)
  }

  /** How many peers serve each stage now (0 somewhere: the model cannot answer yet). */
  coverage(): number[] {
    return Array.from({ length: this.stages }, (_, s) => this.peersOfStage(s).length)
  }

  /**
   * The model's outputs for one encoded sample, run through the stage peers. With `check`, the sample goes
   * through a second route too, through other peers wherever a stage has more than one, and the two answers must
   * agree: a peer answering wrongly is then caught rather than believed.
   */
  async outputs(x: Float32Array, check = false): Promise<StagedAnswer> {
    const first = await this.route(x, () => true)
    const shared = this.coverage().map((n) => n >= 2)
    if (!check || !shared.includes(true)) return first
    let second: StagedAnswer
    try {
      second = await this.route(x, (stage, peer) => peer !== first.route[stage] || !shared[stage])
    } catch (error) {
      // The other peers of a stage are gone (their presence outlives them): the answer goes unchecked, and says so.
      if (error instanceof TesseraeError && error.code === 'STAGE_UNAVAILABLE') return first
      throw error
    }
    const checkedStages = first.route.flatMap((peer, s) => (second.route[s] !== peer ? [s] : []))
    if (checkedStages.length > 0) {
      const distance = relativeL2(second.outputs, first.outputs)
      if (!(distance <= STAGED_AGREEMENT)) {
        const differ = checkedStages.map((s) => `stage ${s}: ${first.route[s]!.slice(-8)} or ${second.route[s]!.slice(-8)}`).join('; ')
        throw new TesseraeError('STAGE_PEERS_DISAGREE', `two routes through the stage peers gave answers ${distance.toExponential(2)} apart (relative L2), so one of these peers answered wrongly: ${differ}. Nothing is shown; try again, or later.`)
      }
    }
    return { ...first, checkedStages }
  }

  private peersOfStage(stage: number): string[] {
    return [...new Set(this.offers(stage).map((o) => o.peer))]
  }

  /** One route through peers of each stage that `allow` lets through. */
  private async route(x: Float32Array, allow: (stage: number, peer: string) => boolean): Promise<StagedAnswer> {
    const { job, node } = this.options
    const model = jobModel(job)
    const version = this.servedVersion()
    if (version === undefined) throw new TesseraeError('STAGE_UNAVAILABLE', `no peer serves stage 0 of this version of job "${job.id}" yet`)
    const driver = new PipelineDriver({
      node,
      jobId: job.id,
      version,
      shapes: stageShapes(model, job.stages!.cuts),
      peersOf: (stage) => [...new Set(this.offers(stage).filter((o) => o.offer.version === version && allow(stage, o.peer)).map((o) => o.peer))].map((id) => peerIdFromString(id)),
      head: () => Promise.reject(new TesseraeError('BAD_REQUEST', 'inference has no loss head')),
      format: 'fp32',
      inFlight: 1,
      log: this.options.log,
    })
    const { outputs, route } = await driver.infer(x, INFERENCE_ROWS)
    return { outputs, route, checkedStages: [] }
  }

  /**
   * What a language model writes after `prompt`, one pass through the stages per token (`onRoute` hears each's
   * route). The first token is checked through a second route, and each later one with probability `checkShare`.
   */
  async write(prompt: ArrayLike<number>, options: { length: number; temperature: number; seed: number; checkShare?: number }, onRoute?: (answer: StagedAnswer) => void): Promise<Uint16Array> {
    const [context, vocab] = jobModel(this.options.job).inputShape as [number, number]
    let token = 0
    return writeTokens(async (x) => {
      const answer = await this.outputs(x, token++ === 0 || Math.random() < (options.checkShare ?? 0.25))
      onRoute?.(answer)
      return answer.outputs
    }, { context, vocab }, { prompt, ...options })
  }
}
