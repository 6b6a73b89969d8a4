// AdamW on plain arrays, for a pipeline stage's parameters (the stage peer holds them between its forward and
// backward calls; a whole model's step runs AdamW inside its ONNX graph, graph/optimizer.ts). The update is
// the same: decoupled weight decay, bias-corrected moments.
export interface AdamWSpec {
  beta1: number
  beta2: number
  eps: number
  weightDecay: number
}

export interface AdamWState {
  m: Float32Array
  v: Float32Array
}

export const newAdamWState = (size: number): AdamWState => ({ m: new Float32Array(size), v: new Float32Array(size) })

/** One update of `param` in place with `grad` × `gradScale`, at 1-based step `step`. */
export function adamwUpdate(param: Float32Array, grad: Float32Array, state: AdamWState, spec: AdamWSpec, lr: number, step: number, gradScale = 1): void {
  const { m, v } = state
  const c1 = 1 - spec.beta1 ** step
  const sqrtC2 = Math.sqrt(1 - spec.beta2 ** step)
  const stepSize = (lr * sqrtC2) / c1
  const epsilon = spec.eps * sqrtC2
  const decay = 1 - lr * spec.weightDecay
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! * gradScale
    m[i] = spec.beta1 * m[i]! + (1 - spec.beta1) * g
    v[i] = spec.beta2 * v[i]! + (1 - spec.beta2) * g * g
    param[i] = param[i]! * decay - (stepSize * m[i]!) / (Math.sqrt(v[i]!) + epsilon)
  }
}
