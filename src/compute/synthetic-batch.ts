// Deterministic batches of a model's shapes (inputs in [-0.5, 0.5], one-hot labels): for timing the engine,
// where the data does not matter, in calibration and benchmarks alike.
import { shapeAt, type Model } from '../graph/model.ts'
import { numel } from '../graph/shape.ts'
import type { Batch, TrainSession } from './train-session.ts'

/**
 * One step at learning rate 0 on synthetic rows of a loaded session, thrown away: a session's first run is its
 * slowest, so a unit should not be the one to pay for it. The caller loads real parameters and fresh optimiser
 * state afterwards.
 */
export async function throwawayStep(session: TrainSession, model: Model, batchSize: number): Promise<void> {
  await session.runSteps([syntheticBatch(model, batchSize)], 0, 1)
}

export function syntheticBatch(model: Model, batchSize: number, seed = 0): Batch {
  const x = Float32Array.from({ length: batchSize * numel(model.inputShape) }, (_, i) => Math.sin((i + seed * 7919) * 12.9898) * 0.5)
  const y = new Float32Array(batchSize * numel(shapeAt(model, model.layers.length)))
  for (let row = 0; row < y.length / model.classes; row++) y[row * model.classes + ((row * 7 + seed) % model.classes)] = 1
  return { x, y }
}
