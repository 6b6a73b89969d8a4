// The referee: the coordinator's own engine re-running volunteers' work. Two services:
//  - probe: the loss of given parameters on given steps' batches of a unit (a train step at learning rate 0
//    leaves the parameters where they are and reports the loss, on the very graph volunteers run);
//  - replay: re-run every segment of a unit from the volunteer's committed checkpoint at its start, keeping
//    the referee's own optimiser moments, and measure how far the volunteer's next checkpoint is from where
//    the referee got to. Segments are short, so honest engines (WebGPU against wasm) stay close; a made-up,
//    biased or skipped segment does not.
// The engine and the unit's data are injected: ORT in Node or a compute worker in a tab, shards from the block
// exchange or memory.
import { TesseraeError } from '../errors.ts'
import { segmentBounds, type UnitAssignment } from './unit.ts'
import { unitBatches, type BatchMaker, type InnerEngine } from './unit-runner.ts'
import { flatten, unflatten, type ParamLayout } from './vector.ts'

export interface UnitData {
  /** Samples in the concatenation of the unit's shards. */
  count: number
  makeBatch: BatchMaker
}

export interface SegmentReplay {
  /** 0-based segment index. */
  segment: number
  /** ‖referee end − volunteer end‖ / ‖volunteer end − segment start‖, after allowing for int8 rounding. */
  relativeError: number
  /** The referee's loss at the segment's first step, and the one the volunteer reported. */
  loss: number
  reportedLoss: number
}

export interface RefereeOptions {
  engine: InnerEngine
  layout: ParamLayout
  /** The unit's training samples (the host fetches and caches the shards). */
  data: (unit: UnitAssignment) => Promise<UnitData>
}

/** Engines run one thing at a time: every call on the referee's engine waits for the one before it. */
export class Referee {
  private readonly options: RefereeOptions
  private tail: Promise<unknown> = Promise.resolve()
  /** Milliseconds the engine has spent on probes and replays (the cost of verification). */
  busyMs = 0

  constructor(options: RefereeOptions) {
    this.options = options
  }

  /** Losses of `params` at the batches of the given (1-based) steps of `unit`. */
  probe(unit: UnitAssignment, params: Float32Array, steps: readonly number[]): Promise<number[]> {
    return this.exclusive(async () => {
      const data = await this.options.data(unit)
      await this.options.engine.load(unflatten(this.options.layout, Float32Array.from(params)))
      const losses: number[] = []
      // Each batch runs as the step it is (a run per step): a model with dropout draws its masks from the batch
      // and the step's number (graph/dropout.ts), so only then is the loss the one the volunteer saw.
      for (const s of steps) losses.push((await this.options.engine.train(unitBatches(unit, data.count, data.makeBatch, s, s), 0, s)).losses[0]!)
      return losses
    })
  }

  /**
   * Re-runs every segment of `unit`. `checkpoints` are the volunteer's parameters after each checkpoint step
   * (already fetched by CID and decoded), the last being its θ_end.
   */
  replay(unit: UnitAssignment, start: Float32Array, checkpoints: readonly Float32Array[], reportedLosses: readonly number[]): Promise<SegmentReplay[]> {
    return this.exclusive(async () => {
      const { engine, layout } = this.options
      const bounds = segmentBounds(unit.innerSteps)
      if (checkpoints.length !== bounds.length - 1) throw new TesseraeError('WRONG_CHECKPOINTS', `a unit of ${unit.innerSteps} steps has ${bounds.length - 1} checkpoints, got ${checkpoints.length}`)
      const data = await this.options.data(unit)
      const batches = unitBatches(unit, data.count, data.makeBatch)
      const out: SegmentReplay[] = []
      for (let j = 0; j + 1 < bounds.length; j++) {
        const from = j === 0 ? start : checkpoints[j - 1]!
        await engine.load(unflatten(layout, Float32Array.from(from)), { keepState: j > 0 })
        const { losses } = await engine.train(batches.slice(bounds[j], bounds[j + 1]), unit.lr, bounds[j]! + 1)
        const reached = flatten(layout, await engine.read())
        out.push({ segment: j, relativeError: segmentError(from, reached, checkpoints[j]!), loss: losses[0]!, reportedLoss: reportedLosses[j] ?? NaN })
      }
      return out
    })
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      const started = performance.now()
      try {
        return await task()
      } finally {
        this.busyMs += performance.now() - started
      }
    })
    this.tail = run.catch(() => undefined)
    return run
  }
}

/** How far the volunteer's claimed end of a segment is from the referee's, relative to the segment's length. */
export function segmentError(from: Float32Array, reached: Float32Array, claimed: Float32Array): number {
  let err2 = 0
  let len2 = 0
  for (let i = 0; i < from.length; i++) {
    const e = reached[i]! - claimed[i]!
    const d = claimed[i]! - from[i]!
    err2 += e * e
    len2 += d * d
  }
  if (!Number.isFinite(err2) || !Number.isFinite(len2)) return Infinity
  const error = Math.sqrt(err2)
  const length = Math.sqrt(len2)
  return length === 0 ? (error === 0 ? 0 : Infinity) : error / length
}
