// Convolution and pooling layers over NCHW images.
import { add } from '../ops/binary.ts'
import { conv2d as convOp } from '../ops/conv2d.ts'
import { avgPool2d, maxPool2d } from '../ops/pool.ts'
import { formatShape, ShapeError } from '../shape.ts'
import { heUniform, type Layer } from './layer.ts'

export function conv2d(inChannels: number, outChannels: number, kernel: number, pad = Math.floor(kernel / 2)): Layer {
  return {
    kind: 'conv2d',
    params: [
      { name: 'weight', shape: [outChannels, inChannels, kernel, kernel], init: heUniform(inChannels * kernel * kernel) },
      { name: 'bias', shape: [outChannels, 1, 1], init: { kind: 'zeros' } },
    ],
    outShape(s) {
      if (s.length !== 3 || s[0] !== inChannels) throw new ShapeError(`conv2d(${inChannels}→${outChannels}) got per-sample input ${formatShape(s)}`)
      return [outChannels, s[1]! + 2 * pad - kernel + 1, s[2]! + 2 * pad - kernel + 1]
    },
    forward: (x, p) => add(convOp(x, p('weight'), pad), p('bias')),
  }
}

function pool(kind: 'maxpool' | 'avgpool', k: number): Layer {
  return {
    kind,
    params: [],
    outShape(s) {
      if (s.length !== 3 || s[1]! % k !== 0 || s[2]! % k !== 0) throw new ShapeError(`${kind}(${k}) does not divide per-sample input ${formatShape(s)}`)
      return [s[0]!, s[1]! / k, s[2]! / k]
    },
    forward: (x) => (kind === 'maxpool' ? maxPool2d(x, k) : avgPool2d(x, k)),
  }
}

export const maxPool = (k: number): Layer => pool('maxpool', k)
export const avgPool = (k: number): Layer => pool('avgpool', k)
