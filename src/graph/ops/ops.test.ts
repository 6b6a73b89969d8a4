// Every differentiable op's backward rule against central finite differences in float64.
import { describe, expect, it } from 'vitest'
import { checkGradients } from '../testing/gradient-check.ts'
import { add, div, mul, sub } from './binary.ts'
import { exp, log, relu, sqrt, tanh, tanhOp, neg } from './unary.ts'
import { matmul } from './matmul.ts'
import { transpose } from './transpose.ts'
import { reshape } from './reshape.ts'
import { reduceMean, reduceSum } from './reduce.ts'
import { expand } from './expand.ts'
import { conv2d } from './conv2d.ts'
import { avgPool2d, maxPool2d } from './pool.ts'
import { concat, slice } from './concat.ts'
import type { OpDef, Value } from '../graph.ts'

const TOLERANCE = 1e-6
const cases: Array<[string, number[][], (v: Value[]) => Value]> = [
  ['add with broadcasting', [[2, 3], [3]], ([a, b]) => add(a!, b!)],
  ['sub with broadcasting', [[2, 1, 3], [4, 1]], ([a, b]) => sub(a!, b!)],
  ['mul with broadcasting', [[2, 3, 4], [3, 1]], ([a, b]) => mul(a!, b!)],
  ['div', [[3, 4], [3, 4]], ([a, b]) => div(a!, add(mul(b!, b!), 1))],
  ['exp', [[5]], ([a]) => exp(a!)],
  ['log', [[5]], ([a]) => log(add(mul(a!, a!), 0.5))],
  ['sqrt', [[5]], ([a]) => sqrt(add(mul(a!, a!), 0.5))],
  ['tanh', [[6]], ([a]) => tanh(a!)],
  ['relu', [[8]], ([a]) => relu(a!)],
  ['neg', [[3]], ([a]) => neg(a!)],
  ['matmul 2-D', [[3, 4], [4, 5]], ([a, b]) => matmul(a!, b!)],
  ['matmul batched with a shared right operand', [[2, 3, 4], [4, 2]], ([a, b]) => matmul(a!, b!)],
  ['matmul batched both sides', [[2, 2, 3, 4], [2, 2, 4, 3]], ([a, b]) => matmul(a!, b!)],
  ['transpose', [[2, 3, 4]], ([a]) => transpose(a!, [2, 0, 1])],
  ['reshape', [[2, 6]], ([a]) => reshape(a!, [3, 4])],
  ['reduceSum keepdims', [[2, 3, 4]], ([a]) => reduceSum(a!, [1], true)],
  ['reduceSum dropping axes', [[2, 3, 4]], ([a]) => reduceSum(a!, [0, 2])],
  ['reduceMean', [[3, 4]], ([a]) => reduceMean(a!, [1], true)],
  ['expand', [[3, 1]], ([a]) => expand(a!, [2, 3, 4])],
  ['conv2d padded', [[2, 2, 5, 5], [3, 2, 3, 3]], ([x, w]) => conv2d(x!, w!, 1)],
  ['conv2d unpadded rectangular kernel', [[1, 3, 6, 5], [2, 3, 3, 2]], ([x, w]) => conv2d(x!, w!, 0)],
  ['maxPool2d', [[2, 2, 4, 4]], ([x]) => maxPool2d(x!, 2)],
  ['avgPool2d', [[1, 2, 6, 6]], ([x]) => avgPool2d(x!, 3)],
  ['concat along the first axis', [[2, 3], [1, 3], [4, 3]], (xs) => concat(xs)],
  ['slice of middle rows', [[5, 2]], ([x]) => slice(x!, 1, 3)],
  ['slice of the first and of the last rows', [[6]], ([x]) => add(slice(x!, 0, 2), slice(x!, 4, 6))],
]

describe('op gradients match central finite differences (float64)', () => {
  for (const [name, shapes, build] of cases) {
    it(name, () => {
      const { maxRelError } = checkGradients(shapes, build)
      expect(maxRelError).toBeLessThan(TOLERANCE)
    })
  }

  it('catches a wrong backward rule (the check can fail)', () => {
    // tanh with the backward rule of exp: d/dx = out instead of 1 - out².
    const wrongTanh: OpDef<null> = { ...tanhOp, type: 'WrongTanh', backward: ({ output, grad }) => [mul(grad, output)] }
    const { maxRelError } = checkGradients([[4]], ([a]) => a!.graph.apply(wrongTanh, [a!], null))
    expect(maxRelError).toBeGreaterThan(0.1)
  })
})
