// The folded update graphs against the textbook formulas, in float64 over several steps: folding the scalars
// (bias corrections, step size, decay, micro-batch scale) must not change what the optimiser computes.
import { describe, expect, it } from 'vitest'
import { Graph } from './graph.ts'
import { evaluateNamed } from './reference.ts'
import { DEFAULT_ADAMW, updateRule, type OptimizerSpec } from './optimizer.ts'
import { seededRandom } from '../random.ts'

const N = 7

function textbook(spec: OptimizerSpec, p: number[], g: number[], state: number[][], lr: number, t: number): [number[], ...number[][]] {
  if (spec.kind === 'sgd') {
    const velocity = p.map((_, i) => spec.momentum * state[0]![i]! + g[i]! + spec.weightDecay * p[i]!)
    return [p.map((x, i) => x - lr * velocity[i]!), velocity]
  }
  const m = p.map((_, i) => spec.beta1 * state[0]![i]! + (1 - spec.beta1) * g[i]!)
  const v = p.map((_, i) => spec.beta2 * state[1]![i]! + (1 - spec.beta2) * g[i]! ** 2)
  const next = p.map((x, i) => {
    const mHat = m[i]! / (1 - spec.beta1 ** t)
    const vHat = v[i]! / (1 - spec.beta2 ** t)
    return x - lr * (mHat / (Math.sqrt(vHat) + spec.eps) + spec.weightDecay * x)
  })
  return [next, m, v]
}

const specs: Array<[string, OptimizerSpec]> = [
  ['AdamW', DEFAULT_ADAMW],
  ['AdamW without weight decay, large eps', { kind: 'adamw', beta1: 0.8, beta2: 0.95, eps: 1e-3, weightDecay: 0 }],
  ['SGD with momentum and weight decay', { kind: 'sgd', momentum: 0.9, weightDecay: 0.05 }],
  ['SGD without momentum', { kind: 'sgd', momentum: 0, weightDecay: 0 }],
]

describe('optimiser updates equal the textbook formulas', () => {
  for (const [name, spec] of specs) {
    for (const gradScale of [1, 0.25]) {
      it(`${name}, gradient scale ${gradScale}`, () => {
        const slots = spec.kind === 'sgd' ? 1 : 2
        const g = new Graph()
        const param = g.input('p', [N])
        const grad = g.input('g', [N])
        const state = Array.from({ length: slots }, (_, s) => g.input(`s${s}`, [N]))
        const [nextParam, ...nextState] = updateRule(spec, { lr: g.input('lr', []), step: g.input('step', []), gradScale })(param, grad, state)
        g.output('p', nextParam!)
        nextState.forEach((v, s) => g.output(`s${s}`, v))

        const random = seededRandom(3)
        let p = Array.from({ length: N }, () => random() * 2 - 1)
        let st = Array.from({ length: slots }, () => new Array<number>(N).fill(0))
        let graphP: Float64Array = Float64Array.from(p)
        let graphSt: Float64Array[] = st.map((s) => Float64Array.from(s))
        for (let t = 1; t <= 4; t++) {
          const rawGrad = Array.from({ length: N }, () => random() * 4 - 2)
          ;[p, ...st] = textbook(spec, p, rawGrad.map((x) => x * gradScale), st, 0.01, t)
          const out = evaluateNamed(g, { p: graphP, g: rawGrad, lr: [0.01], step: [t], ...Object.fromEntries(graphSt.map((s, i) => [`s${i}`, s])) })
          graphP = out.p!
          graphSt = graphSt.map((_, i) => out[`s${i}`]!)
        }
        graphP.forEach((x, i) => expect(x).toBeCloseTo(p[i]!, 12))
        graphSt.forEach((s, k) => s.forEach((x, i) => expect(x).toBeCloseTo(st[k]![i]!, 12)))
      })
    }
  }
})
