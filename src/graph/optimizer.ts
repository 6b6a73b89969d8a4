// Optimiser updates as graph nodes, so a whole training step (forward, loss, backward, update) is one ONNX
// graph and parameters never leave the GPU between steps. The update runs on flat parameter buckets, and every
// scalar sub-expression (bias corrections, step size, decay factor) is computed once per graph and folded into
// the per-element chain: AdamW costs 13 elementwise passes over the parameters, not 16 per tensor.
import type { Value } from './graph.ts'
import { add, div, mul, rsub, sub } from './ops/binary.ts'
import { exp, sqrt } from './ops/unary.ts'

export type OptimizerSpec =
  | { kind: 'sgd'; momentum: number; weightDecay: number }
  | { kind: 'adamw'; beta1: number; beta2: number; eps: number; weightDecay: number }

export const DEFAULT_ADAMW: OptimizerSpec = { kind: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 }
export const DEFAULT_SGD: OptimizerSpec = { kind: 'sgd', momentum: 0.9, weightDecay: 0 }

/** Names of the per-parameter state slots each optimiser keeps. */
export function stateSlots(spec: OptimizerSpec): string[] {
  return spec.kind === 'sgd' ? ['momentum'] : ['adam_m', 'adam_v']
}

export interface UpdateSettings {
  lr: Value
  /** 1-based step count, float32 scalar (AdamW bias correction). */
  step: Value
  /** Factor on every gradient, folded into constants: 1/k when the gradient is a sum over k micro-batches. */
  gradScale?: number
}

/**
 * Applies the optimiser to one parameter buffer: returns [new param, ...new state] in stateSlots order. `scale`,
 * when given, multiplies each element's learning rate (weight decay included): 0 freezes it, 0.1 trains it ten
 * times slower (fine-tuning a kept body under a new head).
 */
export type UpdateRule = (param: Value, grad: Value, state: readonly Value[], scale?: Value) => Value[]

/** Builds the graph's shared scalars once and returns the per-buffer update (decoupled weight decay). */
export function updateRule(spec: OptimizerSpec, { lr, step, gradScale = 1 }: UpdateSettings): UpdateRule {
  if (spec.kind === 'sgd') {
    return (param, grad, [velocity], scale) => {
      const scaled = gradScale === 1 ? grad : mul(grad, gradScale)
      const g = spec.weightDecay > 0 ? add(scaled, mul(param, spec.weightDecay)) : scaled
      const next = add(mul(velocity!, spec.momentum), g)
      const step = mul(next, lr)
      return [sub(param, scale ? mul(step, scale) : step), next]
    }
  }
  // With c_t = 1 - β^t: p − lr·(m̂/(√v̂ + ε) + λp) = p·(1 − lr·λ) − (lr·√c₂/c₁)·m / (√v + ε·√c₂).
  // β^t is exp(t·ln β): Pow with a tensor exponent is avoided for portability.
  const c1 = rsub(1, exp(mul(step, Math.log(spec.beta1))))
  const sqrtC2 = sqrt(rsub(1, exp(mul(step, Math.log(spec.beta2)))))
  const stepSize = div(mul(lr, sqrtC2), c1)
  const epsilon = mul(sqrtC2, spec.eps)
  const decay = spec.weightDecay > 0 ? rsub(1, mul(lr, spec.weightDecay)) : null
  return (param, grad, [m, v], scale) => {
    const nextM = add(mul(m!, spec.beta1), mul(grad, (1 - spec.beta1) * gradScale))
    const nextV = add(mul(v!, spec.beta2), mul(mul(grad, grad), (1 - spec.beta2) * gradScale * gradScale))
    const ratio = div(nextM, add(sqrt(nextV), epsilon))
    if (!scale) return [sub(decay === null ? param : mul(param, decay), mul(ratio, stepSize)), nextM, nextV]
    // p·(1 − s·lr·λ) − s·(step size)·ratio: the same update with every element's learning rate times s.
    const scaledDecay = spec.weightDecay > 0 ? rsub(1, mul(mul(lr, spec.weightDecay), scale)) : null
    return [sub(scaledDecay === null ? param : mul(param, scaledDecay), mul(mul(ratio, stepSize), scale)), nextM, nextV]
  }
}
