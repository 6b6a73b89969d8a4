// Broadcasting elementwise arithmetic. Each op's backward rule sits beside its forward definition.
import type { OpDef, Value } from '../graph.ts'
import { broadcastIndex, broadcastShapes, numel, type Shape } from '../shape.ts'
import { sumTo } from './sum-to.ts'
import { neg } from './unary.ts'

type BinaryBackward = (a: Value, b: Value, out: Value, g: Value, needs: readonly boolean[]) => [Value | null, Value | null]

function binaryOp(type: string, fn: (x: number, y: number) => number, backward: BinaryBackward): OpDef<null> {
  return {
    type,
    inferShape: ([a, b]) => broadcastShapes(a!, b!),
    evaluate([a, b], _attrs, outShape) {
      const out = new Float64Array(numel(outShape))
      const ia = broadcastIndex(a!.shape, outShape)
      const ib = broadcastIndex(b!.shape, outShape)
      for (let i = 0; i < out.length; i++) out[i] = fn(a!.data[ia[i]!]!, b!.data[ib[i]!]!)
      return out
    },
    backward: ({ inputs: [a, b], output, grad, needs }) => backward(a!, b!, output, grad, needs),
    emit: (e, inputs, output) => e.node(type, [...inputs], [output]),
    flops: (_in, out: Shape) => numel(out),
  }
}

export const addOp = binaryOp('Add', (x, y) => x + y, (a, b, _o, g, needs) => [needs[0] ? sumTo(g, a.shape) : null, needs[1] ? sumTo(g, b.shape) : null])

export const subOp = binaryOp('Sub', (x, y) => x - y, (a, b, _o, g, needs) => [needs[0] ? sumTo(g, a.shape) : null, needs[1] ? neg(sumTo(g, b.shape)) : null])

export const mulOp = binaryOp('Mul', (x, y) => x * y, (a, b, _o, g, needs) => [needs[0] ? sumTo(mul(g, b), a.shape) : null, needs[1] ? sumTo(mul(g, a), b.shape) : null])

export const divOp = binaryOp('Div', (x, y) => x / y, (a, b, out, g, needs) => [
  needs[0] ? sumTo(div(g, b), a.shape) : null,
  // d(a/b)/db = -a/b² = -out/b
  needs[1] ? sumTo(neg(div(mul(g, out), b)), b.shape) : null,
])

const lift = (a: Value, b: Value | number): Value => (typeof b === 'number' ? a.graph.scalar(b) : b)

export const add = (a: Value, b: Value | number): Value => a.graph.apply(addOp, [a, lift(a, b)], null)
export const sub = (a: Value, b: Value | number): Value => a.graph.apply(subOp, [a, lift(a, b)], null)
export const mul = (a: Value, b: Value | number): Value => a.graph.apply(mulOp, [a, lift(a, b)], null)
export const div = (a: Value, b: Value | number): Value => a.graph.apply(divOp, [a, lift(a, b)], null)
/** c - a, for a constant c. */
export const rsub = (c: number, a: Value): Value => a.graph.apply(subOp, [a.graph.scalar(c), a], null)
