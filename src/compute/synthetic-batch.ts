// Deterministic batches of a model's shapes (inputs in [-0.5, 0.5], one-hot labels): for timing the engine,
// where the data does not matter, in calibration and benchmarks alike.
import { shapeAt, type Model } from '../graph/model.ts'
import { numel } from '../graph/shape.ts'
import type { Batch } from './train-session.ts'

export function syntheticBatch(model: Model, batchSize: number, seed = 0): Batch {
  const x = Float32Array.from({ length: batchSize * numel(model.inputShape) }, (_, i) => Math.sin((i + seed * 7919) * 12.9898) * 0.5)
  const y = new Float32Array(batchSize * numel(shapeAt(model, model.layers.length)))
  for (let row = 0; row < y.length / model.classes; row++) y[row * model.classes + ((row * 7 + seed) % model.classes)] = 1
  return { x, y }
}
