// The robust aggregation rules a job can choose, as a table: adding a rule is one file and one row here.
// Every rule sees the round's accepted deltas once each, in any order, and returns the pseudo-gradient for
// the outer step. Streaming rules keep one vector however many deltas arrive; coordinate-wise rules hold
// every delta (one byte per parameter each) until the round's result is taken.
import type { QuantizedDelta } from '../quantize.ts'
import type { DeltaStats } from '../robust-aggregate.ts'
import { centredClip } from './centred-clip.ts'
import { mean } from './mean.ts'
import { coordinateMedian, trimmedMean } from './coordinatewise.ts'

export interface AggregationContext {
  dim: number
  /** Last round's aggregate (the centre centred clipping clips around), or null in the first round. */
  centre: Float32Array | null
  /** Arrival statistics of every delta that will be added, known before the first is streamed in. */
  stats: readonly DeltaStats[]
}

export interface Aggregation {
  add(delta: QuantizedDelta, stats: DeltaStats): void
  result(): Float32Array
}

export interface AggregatorRule {
  /** One line for the job form and the README. */
  description: string
  /** Memory flat in the number of deltas. */
  streaming: boolean
  begin(context: AggregationContext): Aggregation
}

export const AGGREGATORS = {
  'centred-clip': centredClip,
  mean,
  'trimmed-mean': trimmedMean,
  median: coordinateMedian,
} satisfies Record<string, AggregatorRule>

export type AggregatorName = keyof typeof AGGREGATORS
export const AGGREGATOR_NAMES = Object.keys(AGGREGATORS) as AggregatorName[]
export const DEFAULT_AGGREGATOR: AggregatorName = 'centred-clip'
