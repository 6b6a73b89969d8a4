// The array AdamW against the textbook formula, step by step.
import { describe, expect, it } from 'vitest'
import { DEFAULT_ADAMW } from '../graph/optimizer.ts'
import { adamwUpdate, newAdamWState } from './adamw.ts'

describe('adamwUpdate', () => {
  it('follows p ← p − lr·(m̂/(√v̂ + ε) + λp) with bias-corrected moments', () => {
    const spec = { ...(DEFAULT_ADAMW as Extract<typeof DEFAULT_ADAMW, { kind: 'adamw' }>), weightDecay: 0.1 }
    const param = Float32Array.from([0.5, -1, 2])
    const state = newAdamWState(3)
    const p = [0.5, -1, 2]
    let m = [0, 0, 0]
    let v = [0, 0, 0]
    for (let t = 1; t <= 4; t++) {
      const grad = Float32Array.from([0.1 * t, -0.2, 0.05 * t * t])
      adamwUpdate(param, grad, state, spec, 0.01, t, 0.5)
      const g = [...grad].map((x) => x * 0.5)
      m = m.map((mi, i) => spec.beta1 * mi + (1 - spec.beta1) * g[i]!)
      v = v.map((vi, i) => spec.beta2 * vi + (1 - spec.beta2) * g[i]! ** 2)
      for (let i = 0; i < 3; i++) {
        const mHat = m[i]! / (1 - spec.beta1 ** t)
        const vHat = v[i]! / (1 - spec.beta2 ** t)
        p[i] = p[i]! - 0.01 * (mHat / (Math.sqrt(vHat) + spec.eps) + spec.weightDecay * p[i]!)
      }
      for (let i = 0; i < 3; i++) expect(param[i]).toBeCloseTo(p[i]!, 6)
    }
  })
})
