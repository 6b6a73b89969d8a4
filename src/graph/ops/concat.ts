// Joining and cutting along the first axis: how a train step packs many parameter tensors into one flat buffer
// (and cuts views back out), so the optimiser runs as a few large nodes instead of a chain per tensor.
import type { OpDef, Value } from '../graph.ts'
import { formatShape, numel, sameShape, ShapeError } from '../shape.ts'

type SliceAttrs = { start: number; end: number }

export const concatOp: OpDef<null> = {
  type: 'Concat',
  inferShape(inputs) {
    if (inputs.length === 0) throw new ShapeError('Concat needs at least one input')
    const rest = inputs[0]!.slice(1)
    for (const s of inputs) {
      if (s.length === 0 || !sameShape(s.slice(1), rest)) throw new ShapeError(`Concat inputs must agree on all axes but the first: ${inputs.map(formatShape).join(', ')}`)
    }
    return [inputs.reduce((n, s) => n + s[0]!, 0), ...rest]
  },
  evaluate(inputs, _attrs, outShape) {
    const out = new Float64Array(numel(outShape))
    let offset = 0
    for (const t of inputs) {
      out.set(t.data, offset)
      offset += t.data.length
    }
    return out
  },
  backward({ inputs, grad, needs }) {
    let start = 0
    return inputs.map((x, i) => {
      const end = start + x.shape[0]!
      const piece = needs[i] ? slice(grad, start, end) : null
      start = end
      return piece
    })
  },
  emit: (e, inputs, output) => e.node('Concat', [...inputs], [output], { axis: { int: 0 } }),
  flops: () => 0,
}

export const sliceOp: OpDef<SliceAttrs> = {
  type: 'Slice',
  inferShape([x], { start, end }) {
    if (x!.length === 0 || !(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= x![0]!)) {
      throw new ShapeError(`cannot slice rows [${start}, ${end}) of ${formatShape(x!)}`)
    }
    return [end - start, ...x!.slice(1)]
  },
  evaluate([x], { start, end }) {
    const row = numel(x!.shape.slice(1))
    return x!.data.slice(start * row, end * row)
  },
  // The rows outside the slice get zero gradient: pad with constant zeros on either side.
  backward({ inputs: [x], grad, attrs: { start, end } }) {
    const g = x!.graph
    const rest = x!.shape.slice(1)
    const zeros = (rows: number) => g.constant(new Float64Array(rows * numel(rest)), [rows, ...rest])
    const parts = [...(start > 0 ? [zeros(start)] : []), grad, ...(end < x!.shape[0]! ? [zeros(x!.shape[0]! - end)] : [])]
    return [parts.length === 1 ? grad : concat(parts)]
  },
  emit: (e, [x], output, { start, end }) => e.node('Slice', [x!, e.int64s([start]), e.int64s([end]), e.int64s([0])], [output]),
  flops: () => 0,
}

export function concat(xs: readonly Value[]): Value {
  if (xs.length === 0) throw new ShapeError('Concat needs at least one input')
  return xs[0]!.graph.apply(concatOp, [...xs], null)
}
/** Rows [start, end) of x along its first axis. */
export const slice = (x: Value, start: number, end: number): Value => x.graph.apply(sliceOp, [x], { start, end })
