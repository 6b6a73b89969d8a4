// Token embedding and a pre-norm causal self-attention block: enough for a tiny GPT-style model. Tokens
// arrive one-hot (float32) so the embedding is a MatMul rather than an int64 Gather.
import type { Value } from '../graph.ts'
import { add, div, mul, sub } from '../ops/binary.ts'
import { matmul } from '../ops/matmul.ts'
import { exp } from '../ops/unary.ts'
import { reshape } from '../ops/reshape.ts'
import { transpose, transposeLast2 } from '../ops/transpose.ts'
import { reduceMaxDetached, reduceSum } from '../ops/reduce.ts'
import { heUniform, type Layer } from './layer.ts'
import { dropped, geluOf, layerNorm, linear } from './basic.ts'

/** Options of the layers below: `dropout` gives them dropout sites (GPT-2's: the embedding, each residual branch). */
export interface DropoutOption {
  dropout?: boolean
}

export function embedding(vocab: number, dim: number, seqLen: number, options: DropoutOption = {}): Layer {
  return {
    kind: 'embedding',
    params: [
      { name: 'tokens', shape: [vocab, dim], init: { kind: 'normal', std: 0.02 } },
      { name: 'positions', shape: [seqLen, dim], init: { kind: 'normal', std: 0.02 } },
    ],
    outShape: (s) => [s[0]!, dim],
    ...(options.dropout ? { maskShapes: (s: readonly number[]) => [[s[0]!, dim]] } : {}),
    forward: (x, p, mask) => dropped(add(matmul(x, p('tokens')), p('positions')), options.dropout ? mask?.(0) : undefined),
  }
}

/** Softmax over the last axis; the max shift keeps exp() finite and cancels out of the gradient. */
export function softmaxLast(x: Value): Value {
  const last = x.shape.length - 1
  const e = exp(sub(x, reduceMaxDetached(x, [last], true)))
  return div(e, reduceSum(e, [last], true))
}

/** x + Attention(LayerNorm(x)) + MLP(LayerNorm(...)), with a causal mask so position t sees only ≤ t. */
export function transformerBlock(dim: number, heads: number, seqLen: number, options: DropoutOption = {}): Layer {
  if (dim % heads !== 0) throw new Error(`transformer dim ${dim} is not divisible by ${heads} heads`)
  const headDim = dim / heads
  const sublayers = {
    ln1: layerNorm(dim),
    q: linear(dim, dim),
    // No key bias: q·(k + b) shifts every score in a row equally, which softmax ignores, so its gradient is 0.
    k: linear(dim, dim, { bias: false }),
    v: linear(dim, dim),
    proj: linear(dim, dim),
    ln2: layerNorm(dim),
    fc1: linear(dim, 4 * dim),
    fc2: linear(4 * dim, dim),
  }
  const params = Object.entries(sublayers).flatMap(([prefix, layer]) => layer.params.map((s) => ({ ...s, name: `${prefix}.${s.name}` })))
  for (const p of params) if (p.name.endsWith('weight') && p.name.startsWith('fc2')) p.init = heUniform(4 * dim)
  const mask = new Float64Array(seqLen * seqLen).map((_, i) => (i % seqLen > Math.floor(i / seqLen) ? -1e9 : 0))
  return {
    kind: 'transformer-block',
    params,
    outShape: (s) => s,
    // Two sites: the attention branch and the MLP branch, each dropped before it joins the residual stream.
    ...(options.dropout ? { maskShapes: (s: readonly number[]) => [s, s] } : {}),
    forward(x, p, dropMask) {
      const site = (i: number) => (options.dropout ? dropMask?.(i) : undefined)
      const run = (prefix: keyof typeof sublayers) => (y: Value) => sublayers[prefix].forward(y, (n) => p(`${prefix}.${n}`))
      const batch = x.shape[0]!
      const splitHeads = (y: Value) => transpose(reshape(y, [batch, seqLen, heads, headDim]), [0, 2, 1, 3])
      const h = run('ln1')(x)
      const q = splitHeads(run('q')(h))
      const k = splitHeads(run('k')(h))
      const v = splitHeads(run('v')(h))
      const scores = add(mul(matmul(q, transposeLast2(k)), 1 / Math.sqrt(headDim)), x.graph.constant(mask, [seqLen, seqLen]))
      const attended = matmul(softmaxLast(scores), v)
      const merged = reshape(transpose(attended, [0, 2, 1, 3]), [batch, seqLen, dim])
      const x1 = add(x, dropped(run('proj')(merged), site(0)))
      const hidden = run('fc1')(run('ln2')(x1))
      return add(x1, dropped(run('fc2')(geluOf(hidden)), site(1)))
    },
  }
}
