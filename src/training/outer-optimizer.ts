// DiLoCo's outer step: Nesterov momentum SGD on the averaged pseudo-gradient (θ_global − θ_local).
export interface OuterSpec {
  lr: number
  momentum: number
}

export const DEFAULT_OUTER: OuterSpec = { lr: 0.7, momentum: 0.9 }

/** Updates `params` and `momentum` in place: m ← μm + g; θ ← θ − lr(g + μm). */
export function outerStep(params: Float32Array, momentum: Float32Array, gradient: Float32Array, spec: OuterSpec): void {
  const { lr, momentum: mu } = spec
  for (let i = 0; i < params.length; i++) {
    const g = gradient[i]!
    const m = mu * momentum[i]! + g
    momentum[i] = m
    params[i] = params[i]! - lr * (g + mu * m)
  }
}
