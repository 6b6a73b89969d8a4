import type { OpDef, Value } from '../graph.ts'
import { formatShape, numel, ShapeError, type Shape } from '../shape.ts'

export const reshapeOp: OpDef<{ shape: Shape }> = {
  type: 'Reshape',
  inferShape([x], { shape }) {
    if (numel(x!) !== numel(shape)) throw new ShapeError(`cannot reshape ${formatShape(x!)} to ${formatShape(shape)}`)
    return shape
  },
  evaluate: ([x]) => x!.data.slice(),
  backward: ({ inputs: [x], grad }) => [reshape(grad, x!.shape)],
  emit: (e, [x], output, { shape }) => e.node('Reshape', [x!, e.int64s(shape)], [output]),
  flops: () => 0,
}

export const reshape = (x: Value, shape: Shape): Value => x.graph.apply(reshapeOp, [x], { shape })
export const flatten = (x: Value): Value => reshape(x, [x.shape[0]!, numel(x.shape.slice(1))])
