import type { OpDef, Value } from '../graph.ts'
import { broadcastIndex, broadcastShapes, formatShape, sameShape, ShapeError } from '../shape.ts'
import { sumTo } from './sum-to.ts'

export const expandOp: OpDef<{ shape: readonly number[] }> = {
  type: 'Expand',
  inferShape([x], { shape }) {
    const out = broadcastShapes(x!, shape)
    if (!sameShape(out, shape)) throw new ShapeError(`cannot expand ${formatShape(x!)} to ${formatShape(shape)}`)
    return shape
  },
  evaluate([x], _attrs, outShape) {
    const map = broadcastIndex(x!.shape, outShape)
    return Float64Array.from(map, (src) => x!.data[src]!)
  },
  backward: ({ inputs: [x], grad }) => [sumTo(grad, x!.shape)],
  emit: (e, [x], output, { shape }) => e.node('Expand', [x!, e.int64s(shape)], [output]),
  flops: () => 0,
}

export const expand = (x: Value, shape: readonly number[]): Value => (sameShape(x.shape, shape) ? x : x.graph.apply(expandOp, [x], { shape }))
