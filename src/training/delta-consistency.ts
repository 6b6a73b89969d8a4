// Does an int8 delta say what the volunteer's committed end point says? Each value of θ_start − θ_end must
// round to the delta's value in its block: off by at most half a quantisation step (plus the float32 error
// of the subtraction itself). Anything more means the delta is not the work the checkpoints describe.
import type { QuantizedDelta } from './quantize.ts'

const FLOAT32_EPSILON = 2 ** -23

/**
 * The worst violation over values [from, to), in units of what rounding allows (≤ 1: consistent), and where.
 * `end` holds the end point's values for exactly that range.
 */
export function deltaMismatch(start: Float32Array, end: Float32Array, delta: QuantizedDelta, from = 0, to = delta.length): { worst: number; index: number } {
  let worst = 0
  let index = -1
  for (let i = from; i < to; i++) {
    const scale = delta.scales[Math.floor(i / delta.blockSize)]!
    const e = end[i - from]!
    const expected = start[i]! - e
    const allowed = (scale / 2) * (1 + 1e-3) + 2 * FLOAT32_EPSILON * (Math.abs(start[i]!) + Math.abs(e)) + 1e-30
    const violation = Math.abs(delta.values[i]! * scale - expected) / allowed
    if (!(violation <= worst)) {
      worst = Number.isFinite(violation) ? violation : Infinity
      index = i
    }
  }
  return { worst, index }
}
