// Softmax cross-entropy and accuracy from primitives only (ReduceMax/Sub/Exp/ReduceSum/Log), because
// LogSoftmax and SoftmaxCrossEntropyLoss fall back to the CPU on ORT's WebGPU EP. Labels arrive one-hot in
// float32: no int64 tensors.
import type { Value } from './graph.ts'
import { add, mul, sub } from './ops/binary.ts'
import { exp, log } from './ops/unary.ts'
import { reduceMaxDetached, reduceSum } from './ops/reduce.ts'
import { equalMask } from './ops/masks.ts'
import { numel } from './shape.ts'

/** Mean over all rows (every axis but the last) of -log softmax(logits)[label]. */
export function softmaxCrossEntropy(logits: Value, oneHot: Value): Value {
  const last = logits.shape.length - 1
  const rows = numel(logits.shape) / logits.shape[last]!
  const max = reduceMaxDetached(logits, [last], true)
  const logSumExp = add(log(reduceSum(exp(sub(logits, max)), [last], true)), max)
  const picked = reduceSum(mul(oneHot, logits), [last], true)
  return mul(reduceSum(sub(logSumExp, picked), logits.shape.map((_, i) => i)), 1 / rows)
}

/** Rows whose labelled logit is the maximum (ties with another logit count as correct; measure zero in practice). */
export function correctCount(logits: Value, oneHot: Value): Value {
  const last = logits.shape.length - 1
  const hit = equalMask(reduceSum(mul(oneHot, logits), [last], true), reduceMaxDetached(logits, [last], true))
  return reduceSum(hit, hit.shape.map((_, i) => i))
}
