// Elementwise functions of one tensor, each with the backward rule that uses its own output where cheaper.
import type { OpDef, Value } from '../graph.ts'
import { numel } from '../shape.ts'
import { div, mul, rsub } from './binary.ts'
import { positiveMask } from './masks.ts'

type UnaryBackward = (x: Value, out: Value, g: Value) => Value

function unaryOp(type: string, fn: (x: number) => number, backward: UnaryBackward, flopsPerElement = 1): OpDef<null> {
  return {
    type,
    inferShape: ([x]) => x!,
    evaluate([x]) {
      return x!.data.map(fn)
    },
    backward: ({ inputs: [x], output, grad }) => [backward(x!, output, grad)],
    emit: (e, inputs, output) => e.node(type, [...inputs], [output]),
    flops: (_in, out) => numel(out) * flopsPerElement,
  }
}

export const expOp = unaryOp('Exp', Math.exp, (_x, out, g) => mul(g, out), 4)
export const logOp = unaryOp('Log', Math.log, (x, _out, g) => div(g, x), 4)
export const sqrtOp = unaryOp('Sqrt', Math.sqrt, (_x, out, g) => div(mul(g, 0.5), out), 4)
export const tanhOp = unaryOp('Tanh', Math.tanh, (_x, out, g) => mul(g, rsub(1, mul(out, out))), 6)
export const reluOp = unaryOp('Relu', (x) => (x > 0 ? x : 0), (x, _out, g) => mul(g, positiveMask(x)))
export const negOp = unaryOp('Neg', (x) => -x, (_x, _out, g) => neg(g))

export const exp = (x: Value): Value => x.graph.apply(expOp, [x], null)
export const log = (x: Value): Value => x.graph.apply(logOp, [x], null)
export const sqrt = (x: Value): Value => x.graph.apply(sqrtOp, [x], null)
export const tanh = (x: Value): Value => x.graph.apply(tanhOp, [x], null)
export const relu = (x: Value): Value => x.graph.apply(reluOp, [x], null)
export const neg = (x: Value): Value => x.graph.apply(negOp, [x], null)
