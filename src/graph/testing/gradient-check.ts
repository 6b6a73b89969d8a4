// Test helper: compares autodiff gradients with central finite differences, both in float64.
import { Graph, type Value } from '../graph.ts'
import { gradients } from '../autodiff.ts'
import { evaluate } from '../reference.ts'
import { mul } from '../ops/binary.ts'
import { reduceSum } from '../ops/reduce.ts'
import { numel, type Shape } from '../shape.ts'
import { seededRandom } from '../../random.ts'

export interface GradCheckResult {
  maxAbsError: number
  maxRelError: number
}

export function checkGradients(shapes: Shape[], build: (inputs: Value[]) => Value, options: { seed?: number; step?: number; values?: Float64Array[] } = {}): GradCheckResult {
  const random = seededRandom(options.seed ?? 1)
  const g = new Graph()
  const params = shapes.map((s, i) => g.param(`p${i}`, s))
  const y = build(params)
  // A random projection makes every output element matter to the scalar loss.
  const projection = g.constant(Float64Array.from({ length: numel(y.shape) }, () => random() * 2 - 1), y.shape)
  const loss = reduceSum(mul(y, projection), y.shape.map((_, i) => i))
  const grads = gradients(loss, params)
  const values = options.values ?? shapes.map((s) => Float64Array.from({ length: numel(s) }, () => random() * 2 - 1))
  const feeds = () => Object.fromEntries(values.map((v, i) => [`p${i}`, v]))
  const analytic = evaluate(g, feeds(), grads)
  const h = options.step ?? 1e-6
  let maxAbsError = 0
  let maxRelError = 0
  values.forEach((v, pi) => {
    for (let j = 0; j < v.length; j++) {
      const original = v[j]!
      v[j] = original + h
      const plus = evaluate(g, feeds(), [loss])[0]![0]!
      v[j] = original - h
      const minus = evaluate(g, feeds(), [loss])[0]![0]!
      v[j] = original
      const numeric = (plus - minus) / (2 * h)
      const err = Math.abs(numeric - analytic[pi]![j]!)
      maxAbsError = Math.max(maxAbsError, err)
      maxRelError = Math.max(maxRelError, err / Math.max(1, Math.abs(numeric)))
    }
  })
  return { maxAbsError, maxRelError }
}
