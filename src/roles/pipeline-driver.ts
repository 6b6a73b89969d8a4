// Drives micro-batches through a job's stages over the swarm (issue 19), SWARM-style: each micro-batch goes
// forward stage by stage, each time to a live peer of that stage drawn at random, weighted towards peers with
// fewer of this driver's micro-batches in flight; the loss head runs here, on the data's own labels; the
// gradient goes back the same way. Stage peers keep nothing between the two passes (a backward carries its
// input activation again), so a peer that refuses, times out or leaves costs only the call in flight, which
// is sent to another peer of its stage.
import type { Libp2p, PeerId } from '@libp2p/interface'
import { TesseraeError, errorMessage } from '../errors.ts'
import { decodeBoundary, encodeBoundary, type BoundaryFormat } from '../training/boundary-codec.ts'
import { callStage, STAGE_DEADLINE_MS, type StageReply } from '../p2p/stage-protocol.ts'
import type { StageRequest } from '../p2p/stage-messages.ts'
import { numel, type Shape } from '../graph/shape.ts'

const MAX_ATTEMPTS = 40

export interface PipelineDriverOptions {
  node: Libp2p
  jobId: string
  version: number
  /** shapes[s]: the per-sample shape of what goes into stage s (shapes[stages] is the model's output). */
  shapes: readonly Shape[]
  /** The live peers of each stage, asked afresh for every call. */
  peersOf: (stage: number) => PeerId[]
  /** The loss head on the last stage's output for one micro-batch: its mean loss and that loss's gradient. */
  head: (output: Float32Array, y: Float32Array) => Promise<{ loss: number; grad: Float32Array }>
  format: BoundaryFormat
  /** Micro-batches in the pipeline at once. */
  inFlight: number
  random?: () => number
  deadlineMs?: number
  log?: (line: string) => void
  /** Hears every answered forward and backward call: what was sent and what came back (a coordinator keeps some to audit). */
  onAnswer?: (call: AnsweredCall) => void
  /** Hears every forward or backward call before it is sent (what a coordinator replays to audit a replica). */
  onSend?: (call: Omit<AnsweredCall, 'reply'>) => void
  /** Hears every update a peer acknowledged (it says it applied that step: a coordinator holds it to that). */
  onUpdate?: (stage: number, peer: string, step: string) => void
  /** Hears every call that failed other than as busy, and every update that did not reach its peer. */
  onFail?: (stage: number, peer: string) => void
}

export interface AnsweredCall {
  stage: number
  type: 'forward' | 'backward'
  peer: string
  step: string
  microBatch: string
  /** The request's tensors as sent (activation; and for a backward, the output's gradient). */
  sent: Uint8Array[]
  /** The reply's tensor (null for a first stage's backward). */
  reply: Uint8Array | null
}

export interface MicroBatchRoute {
  microBatch: string
  /** The peer (as a string) that ran each stage's forward, and each stage's backward. */
  forward: string[]
  backward: string[]
}

export interface PipelineStepReport {
  loss: number
  routes: MicroBatchRoute[]
  /** Calls sent again to another peer after a refusal, timeout or broken stream. */
  resent: number
  /** Bytes that crossed each boundary per micro-batch, both ways (activation forward, gradient back). */
  boundaryBytes: number[]
  flops: number
}

export class PipelineDriver {
  private readonly options: PipelineDriverOptions
  private readonly inFlight = new Map<string, number>()
  private readonly random: () => number
  private steps = 0
  /** Makes this driver's step and micro-batch ids its own: stage peers keep steps apart by them. */
  private readonly nonce: string

  constructor(options: PipelineDriverOptions) {
    this.options = options
    this.random = options.random ?? Math.random
    this.nonce = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('')
  }

  get stages(): number {
    return this.options.shapes.length - 1
  }

  /** Boundary b's tensor for one micro-batch: a row per last-axis vector. */
  private boundary(b: number, microBatch: number): { rows: number; width: number } {
    const shape = this.options.shapes[b]!
    return { rows: (microBatch * numel(shape)) / shape.at(-1)!, width: shape.at(-1)! }
  }

  /**
   * One step: `rows` samples (x row after row, one-hot y) in micro-batches of `microBatch`, then every stage peer
   * that ran a backward applies its optimiser at learning rate `lr` (0: no update; the gradients stay gathered).
   */
  async step(x: Float32Array, y: Float32Array, rows: number, microBatch: number, lr = 0): Promise<PipelineStepReport> {
    if (!(rows > 0 && rows % microBatch === 0)) throw new TesseraeError('BAD_BATCH', `a batch of ${rows} rows does not split into micro-batches of ${microBatch}`)
    const step = `${this.nonce}.${this.steps++}`
    const count = rows / microBatch
    const failed = new Set<string>()
    // A micro-batch that fails ends the step: the others in flight finish, no new one starts, and no peer is
    // told to update (each drops the step's sum when this driver's next step ends).
    let stop = false
    const report: PipelineStepReport = { loss: 0, routes: [], resent: 0, boundaryBytes: this.options.shapes.slice(1, -1).map(() => 0), flops: 0 }
    let next = 0
    const worker = async () => {
      while (!stop && next < count) {
        const m = next++
        const slice = (data: Float32Array) => data.subarray((data.length / rows) * m * microBatch, (data.length / rows) * (m + 1) * microBatch)
        try {
          report.routes[m] = await this.microBatch(step, `${step}.${m}`, slice(x), slice(y), microBatch, failed, report)
        } catch (error) {
          stop = true
          throw error
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.options.inFlight, count) }, worker))
    // Every peer that added gradients this step applies them (its replica's optimiser step).
    const updates = report.routes.flatMap((r) => r.backward.map((peer, stage) => ({ peer, stage })))
    const unique = lr > 0 ? [...new Map(updates.map((u) => [`${u.stage}/${u.peer}`, u])).values()] : []
    await Promise.all(unique.map(async ({ peer, stage }) => {
      const target = this.options.peersOf(stage).find((p) => p.toString() === peer)
      if (!target) return
      try {
        await callStage(this.options.node, target, { type: 'update', jobId: this.options.jobId, stage, version: this.options.version, step, lr }, [], this.options.deadlineMs ?? STAGE_DEADLINE_MS)
        this.options.onUpdate?.(stage, peer, step)
      } catch (error) {
        // A replica that missed its update left or stalled: it is sent nothing more (its steps stay in order), and
        // its group's next synchronisation drops or outvotes it.
        this.options.onFail?.(stage, peer)
        this.options.log?.(`stage ${stage} peer ${peer.slice(-8)} did not apply step ${step}: ${errorMessage(error).slice(0, 200)}`)
      }
    }))
    report.loss /= count
    for (let b = 0; b < report.boundaryBytes.length; b++) report.boundaryBytes[b] = report.boundaryBytes[b]! / count
    return report
  }

  /**
   * Inference across stages (the use page, when a model does not fit the visitor's tab): `rows` samples
   * forward through live stage peers, routed and re-sent like training calls, and the model's outputs back.
   * Stage peers add nothing for a forward, so this costs them no state.
   */
  async infer(x: Float32Array, rows: number): Promise<{ outputs: Float32Array; route: string[]; resent: number }> {
    const report: PipelineStepReport = { loss: 0, routes: [], resent: 0, boundaryBytes: this.options.shapes.slice(1, -1).map(() => 0), flops: 0 }
    const failed = new Set<string>()
    const step = `${this.nonce}.${this.steps++}`
    const id = `${step}.infer`
    let input = encodeBoundary({ ...this.boundary(0, rows), values: x }, this.options.format)
    let outputs: Float32Array | null = null
    const route: string[] = []
    for (let s = 0; s < this.stages; s++) {
      const { peer, reply } = await this.call(s, 'forward', step, id, [input], failed, report, (r) => (outputs = this.checked(s + 1, rows, r.tensor, `stage ${s}'s activation`, id)))
      route.push(peer)
      input = reply.tensor!
    }
    return { outputs: outputs!, route, resent: report.resent }
  }

  /** A stage's reply, checked here before the next stage gets it (so a malformed one is its sender's fault). */
  private checked(b: number, rows: number, bytes: Uint8Array | null, what: string, id: string): Float32Array {
    if (!bytes) throw new TesseraeError('STAGE_OUTPUT_MISSING', `${what} for ${id} did not come`)
    const { rows: r, width } = this.boundary(b, rows)
    return decodeBoundary(bytes, r, width, what).values
  }

  private async microBatch(step: string, id: string, x: Float32Array, y: Float32Array, rows: number, failed: Set<string>, report: PipelineStepReport): Promise<MicroBatchRoute> {
    const { format } = this.options
    const route: MicroBatchRoute = { microBatch: id, forward: [], backward: [] }
    const encode = (b: number, values: Float32Array) => encodeBoundary({ ...this.boundary(b, rows), values }, format)
    // inputs[s]: what went into stage s, as sent (so a backward re-sends the very bytes its forward read).
    const inputs: Uint8Array[] = [encode(0, x)]
    let output: Float32Array | null = null
    for (let s = 0; s < this.stages; s++) {
      const { peer, reply } = await this.call(s, 'forward', step, id, [inputs[s]!], failed, report, (r) => (output = this.checked(s + 1, rows, r.tensor, `stage ${s}'s activation`, id)))
      route.forward.push(peer)
      inputs.push(reply.tensor!)
      if (s + 1 < this.stages) report.boundaryBytes[s]! += reply.tensor!.length
    }
    const last = this.stages
    // The last stage's reply, as checked: the model's output for the loss head.
    const { loss, grad } = await this.options.head(output!, y)
    report.loss += loss
    let gradOut = encode(last, grad)
    for (let s = last - 1; s >= 0; s--) {
      const { peer, reply } = await this.call(s, 'backward', step, id, [inputs[s]!, gradOut], failed, report, (r) => (s > 0 ? this.checked(s, rows, r.tensor, `stage ${s}'s input gradient`, id) : null))
      route.backward.unshift(peer)
      if (s > 0) {
        report.boundaryBytes[s - 1]! += reply.tensor!.length
        gradOut = reply.tensor!
      }
    }
    return route
  }

  /** One call to some live peer of `stage`, sent on to another peer of it when one fails. */
  private async call(stage: number, type: 'forward' | 'backward', step: string, microBatch: string, tensors: Uint8Array[], failed: Set<string>, report: PipelineStepReport, accept: (reply: StageReply) => unknown): Promise<{ peer: string; reply: StageReply }> {
    const { node, jobId, version, format } = this.options
    const request: StageRequest = { type, jobId, stage, version, step, microBatch, format }
    let last = ''
    for (let attempt = 0; ; attempt++) {
      const peer = this.pick(stage, failed)
      if (!peer) throw new TesseraeError('STAGE_UNAVAILABLE', `no live peer serves stage ${stage} of job "${jobId}" (version ${version}) for ${microBatch}${last && `; the last failed with: ${last}`}`)
      // Peers that only ever answer BUSY are not waited on for ever (about half a minute of back-offs).
      if (attempt >= MAX_ATTEMPTS) throw new TesseraeError('STAGE_UNAVAILABLE', `stage ${stage} of job "${jobId}" stayed busy or failing through ${attempt} tries of ${microBatch}; the last: ${last}`)
      const key = peer.toString()
      this.options.onSend?.({ stage, type, peer: key, step, microBatch, sent: tensors })
      this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1)
      try {
        const reply = await callStage(node, peer, request, tensors, this.options.deadlineMs ?? STAGE_DEADLINE_MS)
        accept(reply)
        report.flops += reply.flops
        this.options.onAnswer?.({ stage, type, peer: key, step, microBatch, sent: tensors, reply: reply.tensor })
        return { peer: key, reply }
      } catch (error) {
        const busy = error instanceof TesseraeError && error.code === 'STAGE_REFUSED' && error.cause === 'BUSY'
        if (!busy) {
          failed.add(key)
          this.options.onFail?.(stage, key)
        }
        last = errorMessage(error).slice(0, 300)
        report.resent++
        this.options.log?.(`stage ${stage} ${type} of ${microBatch} on ${key.slice(-8)} failed (${errorMessage(error).slice(0, 200)}); sending it to another peer`)
        if (busy) await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1000)))
      } finally {
        this.inFlight.set(key, this.inFlight.get(key)! - 1)
      }
    }
  }

  /** A live peer of `stage` not failed this step, at random, weighted by 1 / (1 + its micro-batches in flight). */
  private pick(stage: number, failed: Set<string>): PeerId | null {
    const peers = this.options.peersOf(stage).filter((p) => !failed.has(p.toString()))
    if (peers.length === 0) return null
    const weights = peers.map((p) => 1 / (1 + (this.inFlight.get(p.toString()) ?? 0)))
    let r = this.random() * weights.reduce((a, b) => a + b, 0)
    for (let i = 0; i < peers.length; i++) {
      r -= weights[i]!
      if (r <= 0) return peers[i]!
    }
    return peers.at(-1)!
  }
}
