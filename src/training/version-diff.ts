// Each new version of a job's parameters travels as an int8 diff against the one before, as compressed as a
// volunteer's upload. The coordinator makes the version exactly what a volunteer rebuilds from the diff (the
// outer step's result, rounded to the diff's int8 grid), so a rebuilt vector hashes to the version's content id
// and every peer trains and audits from identical parameters; a volunteer that does not hold the version before
// (or whose rebuild does not match) fetches the full vector instead.
import { dequantize, quantizeInt8, type QuantizedDelta } from './quantize.ts'

/** The version after `previous`, as anyone rebuilds it from `diff`: float32, the same bits on every engine. */
export function applyVersionDiff(previous: Float32Array, diff: QuantizedDelta): Float32Array {
  if (diff.length !== previous.length) throw new RangeError(`a diff of ${diff.length} values cannot update ${previous.length} parameters`)
  const next = dequantize(diff)
  for (let i = 0; i < next.length; i++) next[i] = previous[i]! + next[i]!
  return next
}

/** `target` rounded to the int8 grid of its difference from `previous`: the version to publish, and its diff. */
export function quantizeVersion(previous: Float32Array, target: Float32Array): { params: Float32Array; diff: QuantizedDelta } {
  const change = new Float32Array(target.length)
  for (let i = 0; i < change.length; i++) change[i] = target[i]! - previous[i]!
  const diff = quantizeInt8(change)
  return { params: applyVersionDiff(previous, diff), diff }
}
