import type { OpDef, Value } from '../graph.ts'
import { numel, ShapeError, strides } from '../shape.ts'

export const transposeOp: OpDef<{ perm: readonly number[] }> = {
  type: 'Transpose',
  inferShape([x], { perm }) {
    if (perm.length !== x!.length || [...perm].sort().some((p, i) => p !== i)) throw new ShapeError(`bad permutation [${perm}] for rank ${x!.length}`)
    return perm.map((p) => x![p]!)
  },
  evaluate([x], { perm }, outShape) {
    const inStrides = strides(x!.shape)
    const out = new Float64Array(numel(outShape))
    const idx = new Array<number>(outShape.length).fill(0)
    for (let flat = 0; flat < out.length; flat++) {
      let src = 0
      for (let d = 0; d < perm.length; d++) src += idx[d]! * inStrides[perm[d]!]!
      out[flat] = x!.data[src]!
      for (let d = outShape.length - 1; d >= 0; d--) {
        if (++idx[d]! < outShape[d]!) break
        idx[d] = 0
      }
    }
    return out
  },
  backward({ grad, attrs: { perm } }) {
    const inverse = new Array<number>(perm.length)
    perm.forEach((p, i) => (inverse[p] = i))
    return [transpose(grad, inverse)]
  },
  emit: (e, [x], output, { perm }) => e.node('Transpose', [x!], [output], { perm: { ints: perm } }),
  flops: () => 0,
}

export const transpose = (x: Value, perm: readonly number[]): Value => x.graph.apply(transposeOp, [x], { perm })

/** Swaps the last two axes (matrix transpose, batched). */
export function transposeLast2(x: Value): Value {
  const perm = x.shape.map((_, i) => i)
  const r = perm.length
  ;[perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!]
  return transpose(x, perm)
}
