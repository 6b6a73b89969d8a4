// Losses from primitives only (ReduceMax/Sub/Exp/ReduceSum/Log), because LogSoftmax and
// SoftmaxCrossEntropyLoss fall back to the CPU on ORT's WebGPU EP: softmax cross-entropy for classes and
// tokens (labels arrive one-hot in float32: no int64 tensors), squared error for values (regression).
import type { Value } from './graph.ts'
import { add, mul, rsub, sub } from './ops/binary.ts'
import { exp, log } from './ops/unary.ts'
import { reduceMaxDetached, reduceSum } from './ops/reduce.ts'
import { equalMask, positiveMask } from './ops/masks.ts'
import type { Model } from './model.ts'
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

/**
 * Mean over rows of the squared error summed over the last axis: the regression loss, in the target's
 * standardised units (a model that always predicts the mean scores about 1).
 */
export function squaredError(prediction: Value, target: Value): Value {
  const last = prediction.shape.length - 1
  const rows = numel(prediction.shape) / prediction.shape[last]!
  const d = sub(prediction, target)
  return mul(reduceSum(mul(d, d), prediction.shape.map((_, i) => i)), 1 / rows)
}

/** Rows predicted within half a standard deviation on every output: regression's "correct" count. */
export function closeCount(prediction: Value, target: Value): Value {
  const last = prediction.shape.length - 1
  const d = sub(prediction, target)
  // A row is close when its largest squared error is under 0.25; positiveMask is exactly (x > 0).
  const close = positiveMask(rsub(0.25, reduceMaxDetached(mul(d, d), [last], true)))
  return reduceSum(close, close.shape.map((_, i) => i))
}

/** The model's training loss and its count of correct rows, by the model's objective. */
export function lossAndCorrect(model: Pick<Model, 'objective'>, output: Value, target: Value): { loss: Value; correct: Value } {
  return (model.objective ?? 'classes') === 'values'
    ? { loss: squaredError(output, target), correct: closeCount(output, target) }
    : { loss: softmaxCrossEntropy(output, target), correct: correctCount(output, target) }
}

/** Rows whose labelled logit is the maximum (ties with another logit count as correct; measure zero in practice). */
export function correctCount(logits: Value, oneHot: Value): Value {
  const last = logits.shape.length - 1
  const hit = equalMask(reduceSum(mul(oneHot, logits), [last], true), reduceMaxDetached(logits, [last], true))
  return reduceSum(hit, hit.shape.map((_, i) => i))
}
