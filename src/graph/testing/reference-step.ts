// Test helper: one whole train step in the float64 reference interpreter, micro-batching included, the way
// TrainSession runs it on ORT (accumulate runs over leading row slices, then the update run).
import type { TrainStep } from '../train-step.ts'
import { evaluateNamed } from '../reference.ts'
import { numel } from '../shape.ts'
import { dropoutMasks } from '../dropout.ts'

export type CarriedValues = Record<string, ArrayLike<number>>

export function referenceStep(step: TrainStep, carried: CarriedValues, batch: { x: ArrayLike<number>; y: ArrayLike<number> }, lr: number, stepNumber: number): { carried: Record<string, Float64Array>; loss: number; correct: number } {
  const microBatches = step.batchSize / step.microBatch
  const inputs = new Map(step.graph.inputsOfKind('input').map(({ name, value }) => [name, numel(value.shape)]))
  // The masks the session draws for this batch and step, from the same function: the reference checks what
  // the graph computes with them, and the session test that the session feeds them.
  const masks = step.dropout === null ? [] : dropoutMasks(step.dropout, step.batchSize, Float32Array.from(batch.x), stepNumber)
  const whole = new Map<string, ArrayLike<number>>([['x', batch.x], ['y', batch.y], ...(step.dropout?.masks.map((m, i) => [m.name, masks[i]!] as const) ?? [])])
  const rows = (i: number) =>
    Object.fromEntries(
      [...whole].map(([name, values]) => {
        const length = inputs.get(name)!
        return [name, Array.from(values).slice(i * length, (i + 1) * length)]
      }),
    )
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
