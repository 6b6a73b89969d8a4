// Optimiser updates as graph nodes, so a whole training step (forward, loss, backward, update) is one ONNX
// graph and parameters never leave the GPU between steps.
import type { Value } from './graph.ts'
import { add, div, mul, sub } from './ops/binary.ts'
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

export interface UpdateInputs {
  param: Value
  grad: Value
  state: Value[]
  lr: Value
  /** 1-based step count, float32 scalar (AdamW bias correction). */
  step: Value
}

/** Returns [new param, ...new state] in stateSlots order. */
export function applyUpdate(spec: OptimizerSpec, { param, grad, state, lr, step }: UpdateInputs): Value[] {
  if (spec.kind === 'sgd') {
    const g = spec.weightDecay > 0 ? add(grad, mul(param, spec.weightDecay)) : grad
    const velocity = add(mul(state[0]!, spec.momentum), g)
    return [sub(param, mul(velocity, lr)), velocity]
  }
  const m = add(mul(state[0]!, spec.beta1), mul(grad, 1 - spec.beta1))
  const v = add(mul(state[1]!, spec.beta2), mul(mul(grad, grad), 1 - spec.beta2))
  // 1 - β^t computed as 1 - exp(t·ln β): Pow with a tensor exponent is avoided for portability.
  const correction1 = sub(step.graph.scalar(1), exp(mul(step, Math.log(spec.beta1))))
  const correction2 = sub(step.graph.scalar(1), exp(mul(step, Math.log(spec.beta2))))
  const update = div(div(m, correction1), add(sqrt(div(v, correction2)), spec.eps))
  const decayed = spec.weightDecay > 0 ? add(update, mul(param, spec.weightDecay)) : update
  return [sub(param, mul(decayed, lr)), m, v]
}
