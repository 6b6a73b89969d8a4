// What a volunteer does with one work unit: start from the assigned parameters with fresh AdamW state, run
// H inner steps over the unit's seeded sample order, and turn θ_start − θ_end into an int8 delta. The engine
// (ORT in a worker, or in Node) and the batch maker (data/) are injected; nothing here touches either.
import { TesseraeError } from '../errors.ts'
import { flatten, unflatten, type ParamLayout } from './vector.ts'
import { quantizeInt8, encodedDeltaBytes, DEFAULT_QUANT_BLOCK, type QuantizedDelta } from './quantize.ts'
import { trajectoryHash, unitSampleOrder, type UnitAssignment, type UnitResult } from './unit.ts'

export interface InnerBatch {
  x: Float32Array
  y: Float32Array
}

export interface InnerEngine {
  /** Loads parameters and resets optimiser state: every unit starts from the same point for every replica. */
  load(params: Map<string, Float32Array>): Promise<void>
  train(batches: InnerBatch[], lr: number, firstStep: number): Promise<{ losses: number[]; backend: string }>
  read(): Promise<Map<string, Float32Array>>
}

/** Makes one batch from sample indices into the concatenation of the unit's shards. */
export type BatchMaker = (indices: Uint32Array) => InnerBatch

export interface UnitOutput {
  delta: QuantizedDelta
  result: Omit<UnitResult, 'deltaCid'>
}

export async function runUnit(
  unit: UnitAssignment,
  start: Float32Array,
  layout: ParamLayout,
  totalSamples: number,
  makeBatch: BatchMaker,
  engine: InnerEngine,
  flopsPerStep: number,
  now: () => number = () => performance.now(),
): Promise<UnitOutput> {
  if (start.length !== layout.total) throw new TesseraeError('SHAPE_MISMATCH', `the assigned parameters have ${start.length} values, the model has ${layout.total}`)
  const began = now()
  const order = unitSampleOrder(totalSamples, unit.innerSteps, unit.batchSize, unit.seed)
  const batches = Array.from({ length: unit.innerSteps }, (_, s) => makeBatch(order.subarray(s * unit.batchSize, (s + 1) * unit.batchSize)))
  await engine.load(unflatten(layout, Float32Array.from(start)))
  const { losses, backend } = await engine.train(batches, unit.lr, 1)
  const end = flatten(layout, await engine.read())
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
      flops: flopsPerStep * unit.innerSteps,
      trajectoryHash: await trajectoryHash(losses),
      backend,
      elapsedMs: now() - began,
    },
  }
}
