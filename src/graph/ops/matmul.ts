// Batched matrix product [..., M, K] x [..., K, N] with broadcast batch dims. Backward: dA = dC·Bᵀ, dB = Aᵀ·dC,
// each summed back over any batch dims its operand was broadcast along.
import type { OpDef, Value } from '../graph.ts'
import { broadcastIndex, broadcastShapes, formatShape, numel, ShapeError } from '../shape.ts'
import { sumTo } from './sum-to.ts'
import { transposeLast2 } from './transpose.ts'

export const matmulOp: OpDef<null> = {
  type: 'MatMul',
  inferShape([a, b]) {
    if (a!.length < 2 || b!.length < 2) throw new ShapeError(`MatMul needs rank ≥ 2, got ${formatShape(a!)} and ${formatShape(b!)}`)
    const [m, k] = a!.slice(-2) as [number, number]
    const [k2, n] = b!.slice(-2) as [number, number]
    if (k !== k2) throw new ShapeError(`MatMul inner dimensions differ: ${formatShape(a!)} x ${formatShape(b!)}`)
    return [...broadcastShapes(a!.slice(0, -2), b!.slice(0, -2)), m, n]
  },
  evaluate([a, b], _attrs, outShape) {
    const [m, n] = outShape.slice(-2) as [number, number]
    const k = a!.shape[a!.shape.length - 1]!
    const batchShape = outShape.slice(0, -2)
    const batches = numel(batchShape)
    const ia = broadcastIndex(a!.shape.slice(0, -2), batchShape)
    const ib = broadcastIndex(b!.shape.slice(0, -2), batchShape)
    const out = new Float64Array(numel(outShape))
    for (let t = 0; t < batches; t++) {
      const aOff = ia[t]! * m * k
      const bOff = ib[t]! * k * n
      const oOff = t * m * n
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0
          for (let p = 0; p < k; p++) acc += a!.data[aOff + i * k + p]! * b!.data[bOff + p * n + j]!
          out[oOff + i * n + j] = acc
        }
      }
    }
    return out
  },
  backward: ({ inputs: [a, b], grad, needs }) => [
    needs[0] ? sumTo(matmul(grad, transposeLast2(b!)), a!.shape) : null,
    needs[1] ? sumTo(matmul(transposeLast2(a!), grad), b!.shape) : null,
  ],
  emit: (e, inputs, output) => e.node('MatMul', [...inputs], [output]),
  flops: ([a], out) => 2 * numel(out) * a![a!.length - 1]!,
}

export const matmul = (a: Value, b: Value): Value => a.graph.apply(matmulOp, [a, b], null)
