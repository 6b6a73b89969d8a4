// Coordinate-wise rules (Yin et al., 2018): for every parameter separately, sort the deltas' values and
// average the middle ones. The trimmed mean drops a fifth at each end; the median keeps only the middle.
// Both hold every delta until the result is taken (one byte per parameter per delta, plus its scales).
import type { QuantizedDelta } from '../quantize.ts'
import type { AggregatorRule } from './index.ts'

function coordinatewise(trimFraction: number, description: string): AggregatorRule {
  return {
    description,
    streaming: false,
    begin({ dim }) {
      const deltas: QuantizedDelta[] = []
      return {
        add: (q) => void deltas.push(q),
        result() {
          const out = new Float32Array(dim)
          const n = deltas.length
          if (n === 0) return out
          // Keep at least one value (two for an even count's median) in the middle.
          const drop = Math.min(Math.floor(n * trimFraction), Math.floor((n - 1) / 2))
          const column = new Float64Array(n)
          for (let i = 0; i < dim; i++) {
            for (let k = 0; k < n; k++) {
              const q = deltas[k]!
              column[k] = q.values[i]! * q.scales[Math.floor(i / q.blockSize)]!
            }
            column.sort()
            let sum = 0
            for (let k = drop; k < n - drop; k++) sum += column[k]!
            out[i] = sum / (n - 2 * drop)
          }
          return out
        },
      }
    },
  }
}

export const trimmedMean = coordinatewise(0.2, 'coordinate-wise mean without the highest and lowest fifth')
export const coordinateMedian = coordinatewise(0.5, 'coordinate-wise median')
