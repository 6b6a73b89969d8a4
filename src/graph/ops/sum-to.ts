// Un-broadcasting: the gradient of a broadcast operand is the incoming gradient summed over the axes that
// were broadcast, reshaped back to the operand's shape.
import type { Value } from '../graph.ts'
import { sameShape, type Shape } from '../shape.ts'
import { reduceSum } from './reduce.ts'
import { reshape } from './reshape.ts'

export function sumTo(grad: Value, shape: Shape): Value {
  if (sameShape(grad.shape, shape)) return grad
  const offset = grad.shape.length - shape.length
  const axes: number[] = []
  for (let d = 0; d < grad.shape.length; d++) {
    if (d < offset || (shape[d - offset] === 1 && grad.shape[d] !== 1)) axes.push(d)
  }
  const summed = axes.length > 0 ? reduceSum(grad, axes, true) : grad
  return sameShape(summed.shape, shape) ? summed : reshape(summed, shape)
}
