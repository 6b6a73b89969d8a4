// Reductions over static axes. ReduceMax is only ever used to stabilise exp() (softmax, log-sum-exp), where
// the result does not depend on it mathematically, so it is a stop-gradient by design.
import type { OpDef, Tensor64, Value } from '../graph.ts'
import { numel, ShapeError, strides, type Shape } from '../shape.ts'
import { expand } from './expand.ts'
import { reshape } from './reshape.ts'
import { mul } from './binary.ts'

type ReduceAttrs = { axes: readonly number[]; keepdims: boolean }

function reducedShape(x: Shape, { axes, keepdims }: ReduceAttrs): Shape {
  for (const a of axes) if (a < 0 || a >= x.length) throw new ShapeError(`reduce axis ${a} out of range for rank ${x.length}`)
  return keepdims ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i))
}

function reduce(x: Tensor64, axes: readonly number[], init: number, combine: (acc: number, v: number) => number): Float64Array {
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
  const outStrides = strides(keptShape)
  const out = new Float64Array(numel(keptShape)).fill(init)
  const idx = new Array<number>(x.shape.length).fill(0)
  for (let flat = 0; flat < x.data.length; flat++) {
    let dst = 0
    for (let d = 0; d < idx.length; d++) if (!axes.includes(d)) dst += idx[d]! * outStrides[d]!
    out[dst] = combine(out[dst]!, x.data[flat]!)
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < x.shape[d]!) break
      idx[d] = 0
    }
  }
  return out
}

export const reduceSumOp: OpDef<ReduceAttrs> = {
  type: 'ReduceSum',
  inferShape: ([x], attrs) => reducedShape(x!, attrs),
  evaluate: ([x], { axes }) => reduce(x!, axes, 0, (a, v) => a + v),
  backward({ inputs: [x], grad, attrs: { axes } }) {
    const kept = x!.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    return [expand(reshape(grad, kept), x!.shape)]
  },
  emit: (e, [x], output, { axes, keepdims }) => e.node('ReduceSum', [x!, e.int64s(axes)], [output], { keepdims: { int: keepdims ? 1 : 0 } }),
  flops: (inShapes) => numel(inShapes[0]!),
}

export const reduceMaxOp: OpDef<ReduceAttrs> = {
  type: 'ReduceMax',
  stopGradient: true,
  inferShape: ([x], attrs) => reducedShape(x!, attrs),
  evaluate: ([x], { axes }) => reduce(x!, axes, -Infinity, Math.max),
  emit: (e, [x], output, { axes, keepdims }) => e.node('ReduceMax', [x!, e.int64s(axes)], [output], { keepdims: { int: keepdims ? 1 : 0 } }),
  flops: (inShapes) => numel(inShapes[0]!),
}

export const reduceSum = (x: Value, axes: readonly number[], keepdims = false): Value => x.graph.apply(reduceSumOp, [x], { axes, keepdims })
/** Max with zero gradient: use only where the result cancels out mathematically (exp stabilisation). */
export const reduceMaxDetached = (x: Value, axes: readonly number[], keepdims = false): Value => x.graph.apply(reduceMaxOp, [x], { axes, keepdims })
export const reduceMean = (x: Value, axes: readonly number[], keepdims = false): Value => {
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1)
  return mul(reduceSum(x, axes, keepdims), 1 / count)
}
