// 0/1 float masks used inside backward rules (ReLU, max-pool). Float32 results, so no bool tensors leave
// the op; they have no gradient of their own.
import type { OpDef, Value } from '../graph.ts'
import { broadcastIndex, broadcastShapes, numel } from '../shape.ts'

export const positiveMaskOp: OpDef<null> = {
  type: 'PositiveMask',
  inferShape: ([x]) => x!,
  evaluate: ([x]) => x!.data.map((v) => (v > 0 ? 1 : 0)),
  emit(e, [x], output) {
    const bool = e.fresh('positive')
    e.node('Greater', [x!, e.floats([0], [])], [bool])
    e.node('Cast', [bool], [output], { to: { int: 1 } })
  },
  flops: (_in, out) => numel(out),
}

export const equalMaskOp: OpDef<null> = {
  type: 'EqualMask',
  inferShape: ([a, b]) => broadcastShapes(a!, b!),
  evaluate([a, b], _attrs, outShape) {
    const ia = broadcastIndex(a!.shape, outShape)
    const ib = broadcastIndex(b!.shape, outShape)
    return Float64Array.from({ length: numel(outShape) }, (_, i) => (a!.data[ia[i]!] === b!.data[ib[i]!] ? 1 : 0))
  },
  emit(e, [a, b], output) {
    const bool = e.fresh('equal')
    e.node('Equal', [a!, b!], [bool])
    e.node('Cast', [bool], [output], { to: { int: 1 } })
  },
  flops: (_in, out) => numel(out),
}

export const positiveMask = (x: Value): Value => x.graph.apply(positiveMaskOp, [x], null)
export const equalMask = (a: Value, b: Value): Value => a.graph.apply(equalMaskOp, [a, b], null)
