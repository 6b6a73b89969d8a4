// 2-D convolution (NCHW, stride 1, symmetric zero padding) and the two ops its backward pass needs:
// the input gradient is a transposed convolution with the same kernel; the weight gradient is a convolution of
// the input with the output gradient, batch and channel axes swapped. All three run as plain ONNX Conv /
// ConvTranspose on the GPU.
import type { OpDef, Value } from '../graph.ts'
import { formatShape, numel, ShapeError, type Shape } from '../shape.ts'

type ConvAttrs = { pad: number }

function convOutShape(x: Shape, w: Shape, pad: number): Shape {
  if (x.length !== 4 || w.length !== 4) throw new ShapeError(`Conv2d needs NCHW input and OIHW kernel, got ${formatShape(x)} and ${formatShape(w)}`)
  if (x[1] !== w[1]) throw new ShapeError(`Conv2d input has ${x[1]} channels but the kernel expects ${w[1]}`)
  const h = x[2]! + 2 * pad - w[2]! + 1
  const wd = x[3]! + 2 * pad - w[3]! + 1
  if (h < 1 || wd < 1) throw new ShapeError(`Conv2d kernel ${formatShape(w)} is larger than padded input ${formatShape(x)}`)
  return [x[0]!, w[0]!, h, wd]
}

/** Calls visit(xIndex, wIndex, yIndex) for every multiply-accumulate of the convolution. */
function forEachMac(xs: Shape, ws: Shape, ys: Shape, pad: number, visit: (xi: number, wi: number, yi: number) => void): void {
  const [n, c, h, w] = xs as [number, number, number, number]
  const [o, , kh, kw] = ws as [number, number, number, number]
  const [, , oh, ow] = ys as [number, number, number, number]
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++)
      for (let y = 0; y < oh; y++)
        for (let x = 0; x < ow; x++) {
          const yi = ((b * o + oc) * oh + y) * ow + x
          for (let ic = 0; ic < c; ic++)
            for (let i = 0; i < kh; i++) {
              const iy = y + i - pad
              if (iy < 0 || iy >= h) continue
              for (let j = 0; j < kw; j++) {
                const ix = x + j - pad
                if (ix < 0 || ix >= w) continue
                visit(((b * c + ic) * h + iy) * w + ix, ((oc * c + ic) * kh + i) * kw + j, yi)
              }
            }
        }
}

const convFlops = (x: Shape, w: Shape, y: Shape) => 2 * numel(y) * x[1]! * w[2]! * w[3]!

export const conv2dOp: OpDef<ConvAttrs> = {
  type: 'Conv2d',
  inferShape: ([x, w], { pad }) => convOutShape(x!, w!, pad),
  evaluate([x, w], { pad }, outShape) {
    const out = new Float64Array(numel(outShape))
    forEachMac(x!.shape, w!.shape, outShape, pad, (xi, wi, yi) => (out[yi]! += x!.data[xi]! * w!.data[wi]!))
    return out
  },
  backward: ({ inputs: [x, w], grad, attrs, needs }) => [
    needs[0] ? x!.graph.apply(conv2dInputGradOp, [grad, w!], { ...attrs, inputShape: x!.shape }) : null,
    needs[1] ? x!.graph.apply(conv2dWeightGradOp, [x!, grad], { ...attrs, kernelShape: w!.shape }) : null,
  ],
  emit: (e, [x, w], output, { pad }, [, ws]) =>
    e.node('Conv', [x!, w!], [output], { kernel_shape: { ints: ws!.slice(2) }, pads: { ints: [pad, pad, pad, pad] }, strides: { ints: [1, 1] } }),
  flops: ([x, w], y) => convFlops(x!, w!, y),
}

/** dL/dx of a convolution: gy [N,O,OH,OW], w [O,C,KH,KW] → [N,C,H,W]. */
export const conv2dInputGradOp: OpDef<ConvAttrs & { inputShape: Shape }> = {
  type: 'Conv2dInputGrad',
  inferShape: (_in, { inputShape }) => inputShape,
  evaluate([gy, w], { pad, inputShape }) {
    const out = new Float64Array(numel(inputShape))
    forEachMac(inputShape, w!.shape, gy!.shape, pad, (xi, wi, yi) => (out[xi]! += gy!.data[yi]! * w!.data[wi]!))
    return out
  },
  emit: (e, [gy, w], output, { pad }, [, ws]) =>
    e.node('ConvTranspose', [gy!, w!], [output], { kernel_shape: { ints: ws!.slice(2) }, pads: { ints: [pad, pad, pad, pad] }, strides: { ints: [1, 1] } }),
  flops: ([gy, w], x) => convFlops(x, w!, gy!),
}

/** dL/dw of a convolution: x [N,C,H,W], gy [N,O,OH,OW] → [O,C,KH,KW]. */
export const conv2dWeightGradOp: OpDef<ConvAttrs & { kernelShape: Shape }> = {
  type: 'Conv2dWeightGrad',
  inferShape: (_in, { kernelShape }) => kernelShape,
  evaluate([x, gy], { pad, kernelShape }) {
    const out = new Float64Array(numel(kernelShape))
    forEachMac(x!.shape, kernelShape, gy!.shape, pad, (xi, wi, yi) => (out[wi]! += x!.data[xi]! * gy!.data[yi]!))
    return out
  },
  emit(e, [x, gy], output, { pad }, [, gys]) {
    // Treat channels as the batch and the batch as channels: conv(xᵀ [C,N,H,W], gyᵀ [O,N,OH,OW]) = [C,O,KH,KW].
    const xT = e.fresh('conv_wgrad_x')
    const gT = e.fresh('conv_wgrad_g')
    const cw = e.fresh('conv_wgrad')
    e.node('Transpose', [x!], [xT], { perm: { ints: [1, 0, 2, 3] } })
    e.node('Transpose', [gy!], [gT], { perm: { ints: [1, 0, 2, 3] } })
    e.node('Conv', [xT, gT], [cw], { kernel_shape: { ints: gys!.slice(2) }, pads: { ints: [pad, pad, pad, pad] }, strides: { ints: [1, 1] } })
    e.node('Transpose', [cw], [output], { perm: { ints: [1, 0, 2, 3] } })
  },
  flops: ([x, gy], w) => convFlops(x!, w, gy!),
}

export const conv2d = (x: Value, w: Value, pad: number): Value => x.graph.apply(conv2dOp, [x, w], { pad })
