// Dense, activation, reshaping and normalisation layers.
import type { Value } from '../graph.ts'
import { add, mul, div } from '../ops/binary.ts'
import { matmul } from '../ops/matmul.ts'
import { relu as reluOp, sqrt, tanh } from '../ops/unary.ts'
import { flatten as flattenOp, reshape } from '../ops/reshape.ts'
import { reduceMean } from '../ops/reduce.ts'
import { numel, ShapeError, formatShape } from '../shape.ts'
import { heUniform, type Layer } from './layer.ts'

export function linear(inFeatures: number, outFeatures: number, options: { bias?: boolean } = {}): Layer {
  const bias = options.bias ?? true
  return {
    kind: 'linear',
    params: [
      { name: 'weight', shape: [inFeatures, outFeatures], init: heUniform(inFeatures) },
      ...(bias ? [{ name: 'bias', shape: [outFeatures], init: { kind: 'zeros' } } as const] : []),
    ],
    outShape(inShape) {
      if (inShape[inShape.length - 1] !== inFeatures) throw new ShapeError(`linear(${inFeatures}→${outFeatures}) got input ${formatShape(inShape)}`)
      return [...inShape.slice(0, -1), outFeatures]
    },
    forward: (x, p) => (bias ? add(matmul(x, p('weight')), p('bias')) : matmul(x, p('weight'))),
  }
}

/** Multiplies in a dropout mask where the layer is training with one (graph/dropout.ts), else passes x on. */
export const dropped = (x: Value, mask: Value | undefined): Value => (mask === undefined ? x : mul(x, mask))

/**
 * ReLU, optionally with a dropout site on its output. The site lives in the ReLU rather than in a layer of its
 * own so that a model's parameter names (which count layers) are the same with dropout and without.
 */
export function relu(options: { dropout?: boolean } = {}): Layer {
  return {
    kind: 'relu',
    params: [],
    outShape: (s) => s,
    ...(options.dropout ? { maskShapes: (s: readonly number[]) => [s] } : {}),
    forward: (x, _p, mask) => dropped(reluOp(x), options.dropout ? mask?.(0) : undefined),
  }
}

/** GELU, tanh approximation, built from primitives so autodiff covers it. */
export function geluOf(x: Value): Value {
  const c = Math.sqrt(2 / Math.PI)
  return mul(mul(x, 0.5), add(tanh(mul(add(x, mul(mul(mul(x, x), x), 0.044715)), c)), 1))
}

export function gelu(): Layer {
  return { kind: 'gelu', params: [], outShape: (s) => s, forward: geluOf }
}

export function flatten(): Layer {
  return { kind: 'flatten', params: [], outShape: (s) => [numel(s)], forward: (x) => flattenOp(x) }
}

export function reshapeTo(shape: readonly number[]): Layer {
  return { kind: 'reshape', params: [], outShape: () => shape, forward: (x) => reshape(x, [x.shape[0]!, ...shape]) }
}

/** Layer normalisation over the last axis, composed from primitives (mean, variance, rsqrt). */
export function layerNorm(features: number, eps = 1e-5): Layer {
  return {
    kind: 'layernorm',
    params: [
      { name: 'gamma', shape: [features], init: { kind: 'ones' } },
      { name: 'beta', shape: [features], init: { kind: 'zeros' } },
    ],
    outShape: (s) => s,
    forward(x: Value, p) {
      const last = x.shape.length - 1
      const centred = add(x, mul(reduceMean(x, [last], true), -1))
      const variance = reduceMean(mul(centred, centred), [last], true)
      return add(mul(div(centred, sqrt(add(variance, eps))), p('gamma')), p('beta'))
    },
  }
}
