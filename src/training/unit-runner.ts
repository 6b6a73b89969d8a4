// What a volunteer does with one work unit: start from the assigned parameters with fresh AdamW state, run
// H inner steps over the unit's seeded sample order, and turn θ_start − θ_end into an int8 delta. After
// every segment it commits the parameters it reached (stored where the referee can fetch them by CID), so an
// audit can replay each segment from the volunteer's own starting point. The engine (ORT in a worker, or in
// Node) and the batch maker (data/) are injected; nothing here touches either.
import { TesseraeError } from '../errors.ts'
import { flatten, unflatten, type ParamLayout } from './vector.ts'
import { quantizeInt8, encodedDeltaBytes, DEFAULT_QUANT_BLOCK, type QuantizedDelta } from './quantize.ts'
import { segmentBounds, trajectoryHash, unitSampleOrder, type UnitAssignment, type UnitResult } from './unit.ts'

export interface InnerBatch {
  x: Float32Array
  y: Float32Array
}

export interface InnerEngine {
  /**
   * Loads parameters. The optimiser state restarts at zero (every unit starts from the same point for every
   * replay) unless `keepState`: the referee moving to a volunteer's checkpoint keeps its own AdamW moments.
   * The arrays are views of the caller's vector: an engine copies them and keeps none.
   */
  load(params: Map<string, Float32Array>, options?: { keepState?: boolean }): Promise<void>
  /** Runs one step per batch; `firstStep` is the 1-based number of the first (AdamW bias correction). */
  train(batches: InnerBatch[], lr: number, firstStep: number): Promise<{ losses: number[]; backend: string }>
  /** The parameters reached, handed over to the caller (the engine keeps no reference to them). */
  read(): Promise<Map<string, Float32Array>>
  /** Arrays of a batch this engine is done with, of exactly these sizes, for the next batch to overwrite. */
  spare?(xLength: number, yLength: number): InnerBatch | undefined
}

/**
 * Makes one batch from sample indices into the concatenation of the unit's shards; `salt`, fixed by the unit's
 * seed and the step, draws whatever else a batch varies by (a text window's offset), so replays draw it alike.
 */
export type BatchMaker = (indices: Uint32Array, salt: number) => InnerBatch

/** The salt of a unit's step `s` (0-based). */
export const stepSalt = (seed: number, s: number): number => (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(s + 1, 0x165667b1)) >>> 0

/** The batches of a unit's steps from..to (1-based, inclusive), in the order every replay uses. */
export function unitBatches(unit: UnitAssignment, totalSamples: number, makeBatch: BatchMaker, from = 1, to = unit.innerSteps): InnerBatch[] {
  const order = unitSampleOrder(totalSamples, unit.innerSteps, unit.batchSize, unit.seed)
  return Array.from({ length: to - from + 1 }, (_, k) => {
    const s = from - 1 + k
    return makeBatch(order.subarray(s * unit.batchSize, (s + 1) * unit.batchSize), stepSalt(unit.seed, s))
  })
}

export interface UnitRun {
  unit: UnitAssignment
  start: Float32Array
  layout: ParamLayout
  totalSamples: number
  makeBatch: BatchMaker
  engine: InnerEngine
  flopsPerStep: number
  /** Stores the parameters reached after `step` where the coordinator can fetch them; returns their CID. */
  commit: (params: Float32Array, step: number) => Promise<string>
  now?: () => number
}

export interface UnitOutput {
  delta: QuantizedDelta
  result: Omit<UnitResult, 'deltaCid'>
}

export async function runUnit(run: UnitRun): Promise<UnitOutput> {
  const { unit, start, layout, engine } = run
  const now = run.now ?? (() => performance.now())
  if (start.length !== layout.total) throw new TesseraeError('SHAPE_MISMATCH', `the assigned parameters have ${start.length} values, the model has ${layout.total}`)
  const began = now()
  await engine.load(unflatten(layout, start))
  const bounds = segmentBounds(unit.innerSteps)
  const losses: number[] = []
  const segmentLosses: number[] = []
  const checkpoints: string[] = []
  let backend = ''
  let end = start
  for (let j = 0; j + 1 < bounds.length; j++) {
    // A segment's batches are made when it runs: a unit's whole set (6 MB for the demo CNN) need not be held.
    const batches = unitBatches(unit, run.totalSamples, run.makeBatch, bounds[j]! + 1, bounds[j + 1]!)
    const out = await engine.train(batches, unit.lr, bounds[j]! + 1)
    backend = out.backend
    segmentLosses.push(out.losses[0]!)
    losses.push(...out.losses)
    end = flatten(layout, await engine.read())
    checkpoints.push(await run.commit(end, bounds[j + 1]!))
  }
  const delta = new Float32Array(start.length)
  for (let i = 0; i < delta.length; i++) delta[i] = start[i]! - end[i]!
  const q = quantizeInt8(delta, DEFAULT_QUANT_BLOCK)
  return {
    delta: q,
    result: {
      unitId: unit.unitId,
      jobId: unit.jobId,
      round: unit.round,
      version: unit.version,
      deltaBytes: encodedDeltaBytes(q.length, q.blockSize),
      lossBefore: losses[0]!,
      lossAfter: losses[losses.length - 1]!,
      samples: unit.innerSteps * unit.batchSize,
      flops: run.flopsPerStep * unit.innerSteps,
      trajectoryHash: await trajectoryHash(losses),
      checkpoints,
      segmentLosses,
      backend,
      elapsedMs: now() - began,
    },
  }
}
