// Test helper: one whole train step in the float64 reference interpreter, micro-batching included, the way
// TrainSession runs it on ORT (accumulate runs over leading row slices, then the update run).
import type { TrainStep } from '../train-step.ts'
import { evaluateNamed } from '../reference.ts'
import { numel } from '../shape.ts'

export type CarriedValues = Record<string, ArrayLike<number>>

export function referenceStep(step: TrainStep, carried: CarriedValues, batch: { x: ArrayLike<number>; y: ArrayLike<number> }, lr: number, stepNumber: number): { carried: Record<string, Float64Array>; loss: number; correct: number } {
  const microBatches = step.batchSize / step.microBatch
  const inputs = new Map(step.graph.inputsOfKind('input').map(({ name, value }) => [name, numel(value.shape)]))
  const xLen = inputs.get('x')!
  const yLen = inputs.get('y')!
  const rows = (i: number) => ({ x: Array.from(batch.x).slice(i * xLen, (i + 1) * xLen), y: Array.from(batch.y).slice(i * yLen, (i + 1) * yLen) })
  let sums: Record<string, ArrayLike<number>> = Object.fromEntries(step.gradSums.map((s, b) => [s.input, new Float64Array(step.layout.bucketSizes[b]!)]))
  let loss = 0
  let correct = 0
  for (let i = 0; i < microBatches - 1; i++) {
    const out = evaluateNamed(step.accumulate!, { ...carried, ...sums, ...rows(i) })
    sums = Object.fromEntries(step.gradSums.map((s) => [s.input, out[s.output]!]))
    loss += out.loss![0]!
    correct += out.correct![0]!
  }
  const out = evaluateNamed(step.graph, { ...carried, ...sums, ...rows(microBatches - 1), lr: [lr], step: [stepNumber] })
  return {
    carried: Object.fromEntries(step.carried.map((c) => [c.input, out[c.output]!])),
    loss: (loss + out.loss![0]!) / microBatches,
    correct: correct + out.correct![0]!,
  }
}
