// Non-overlapping 2-D pooling (kernel = stride = k). Backward routes each output gradient back to its k×k
// window: to the maximum for max-pool (via an equality mask against the upsampled output; exact ties share the
// gradient), evenly for average-pool. No int64 argmax indices are ever produced, so it all stays on the GPU.
import type { OpDef, Value } from '../graph.ts'
import { formatShape, numel, ShapeError, type Shape } from '../shape.ts'
import { mul } from './binary.ts'
import { equalMask } from './masks.ts'

type PoolAttrs = { k: number }

function pooledShape(x: Shape, k: number): Shape {
  if (x.length !== 4) throw new ShapeError(`pooling needs NCHW input, got ${formatShape(x)}`)
  if (x[2]! % k !== 0 || x[3]! % k !== 0) throw new ShapeError(`pooling window ${k} does not divide ${formatShape(x)}`)
  return [x[0]!, x[1]!, x[2]! / k, x[3]! / k]
}

function pool(x: Float64Array, xs: Shape, k: number, init: number, combine: (a: number, v: number) => number, finish: (a: number) => number): Float64Array {
  const [n, c, h, w] = xs as [number, number, number, number]
  const oh = h / k
  const ow = w / k
  const out = new Float64Array(n * c * oh * ow)
  for (let p = 0; p < n * c; p++)
    for (let y = 0; y < oh; y++)
      for (let z = 0; z < ow; z++) {
        let acc = init
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) acc = combine(acc, x[(p * h + y * k + i) * w + z * k + j]!)
        out[(p * oh + y) * ow + z] = finish(acc)
      }
  return out
}

export const maxPoolOp: OpDef<PoolAttrs> = {
  type: 'MaxPool',
  inferShape: ([x], { k }) => pooledShape(x!, k),
  evaluate: ([x], { k }) => pool(x!.data, x!.shape, k, -Infinity, Math.max, (a) => a),
  backward: ({ inputs: [x], output, grad, attrs: { k } }) => [mul(upsample(grad, k), equalMask(x!, upsample(output, k)))],
  emit: (e, [x], output, { k }) => e.node('MaxPool', [x!], [output], { kernel_shape: { ints: [k, k] }, strides: { ints: [k, k] } }),
  flops: ([x]) => numel(x!),
}

export const avgPoolOp: OpDef<PoolAttrs> = {
  type: 'AvgPool',
  inferShape: ([x], { k }) => pooledShape(x!, k),
  evaluate: ([x], { k }) => pool(x!.data, x!.shape, k, 0, (a, v) => a + v, (a) => a / (k * k)),
  backward: ({ grad, attrs: { k } }) => [mul(upsample(grad, k), 1 / (k * k))],
  emit: (e, [x], output, { k }) => e.node('AveragePool', [x!], [output], { kernel_shape: { ints: [k, k] }, strides: { ints: [k, k] } }),
  flops: ([x]) => numel(x!),
}

/** Nearest-neighbour upsampling by k: each value fills its k×k window (used only in backward passes). */
export const upsampleOp: OpDef<PoolAttrs> = {
  type: 'Upsample',
  inferShape: ([x], { k }) => [x![0]!, x![1]!, x![2]! * k, x![3]! * k],
  evaluate([x], { k }, outShape) {
    const [n, c, h, w] = outShape as [number, number, number, number]
    const out = new Float64Array(numel(outShape))
    for (let p = 0; p < n * c; p++)
      for (let y = 0; y < h; y++)
        for (let z = 0; z < w; z++) out[(p * h + y) * w + z] = x!.data[(p * (h / k) + Math.floor(y / k)) * (w / k) + Math.floor(z / k)]!
    return out
  },
  // Expand over a unit axis next to single elements ([n,c,h,1,w,1] → [n,c,h,k,w,k]) copies one float at a time
  // on ORT's CPU kernels: 10× slower than this. Columns are repeated by a MatMul with a 0/1 matrix (exact for
  // finite values), rows by an Expand that copies whole rows.
  emit(e, [x], output, { k }, [xs], outShape) {
    const [n, c, h, w] = xs as [number, number, number, number]
    const repeat = Array.from({ length: w * w * k }, (_, i) => (Math.floor((i % (w * k)) / k) === Math.floor(i / (w * k)) ? 1 : 0))
    const columns = e.fresh('up_cols')
    const rows = e.fresh('up_rows')
    const expanded = e.fresh('up_expand')
    e.node('MatMul', [x!, e.floats(repeat, [w, w * k])], [columns])
    e.node('Reshape', [columns, e.int64s([n, c, h, 1, w * k])], [rows])
    e.node('Expand', [rows, e.int64s([n, c, h, k, w * k])], [expanded])
    e.node('Reshape', [expanded, e.int64s(outShape)], [output])
  },
  flops: () => 0,
}

export const maxPool2d = (x: Value, k: number): Value => x.graph.apply(maxPoolOp, [x], { k })
export const avgPool2d = (x: Value, k: number): Value => x.graph.apply(avgPoolOp, [x], { k })
export const upsample = (x: Value, k: number): Value => x.graph.apply(upsampleOp, [x], { k })
