// How much a delta must lower the loss on its unit's last batch before it is accepted without a replay
// (verification.ts, NO_PROGRESS). A fixed fraction fits one model at one learning rate: Fashion-MNIST's honest
// units gain 40–60 %, but the character transformer's gained under 0.5 % once its learning rate fell, so a
// fixed 10 % sent every one of them to the referee and tripled its rounds. So where the job's recent gains have
// a median under the fixed fraction, the screen is a fraction of that median instead (the fixed fraction holds
// until enough gains are known): a zero delta still gains nothing, a made-up one loses.
//
// The yardstick learns only from gains a replay vouched for (units drawn, on probation, or doubted): a cheat
// let through by the cheap checks must not lower the screen for the next. What a lenient screen lets through
// unreplayed (a delta that gains a little without the committed work, a stale one) is left to the audit draw,
// which replays units whatever they gained, and to the spot check against the committed end point.
import { median } from '../median.ts'

/**
 * Replayed units' gains kept as the yardstick. Only a replay vouches for a gain, so at an audit rate of 0.1 the
 * window spans tens of rounds; while the screen is too strict for the job, the units it doubts are replayed
 * and their gains refill it.
 */
export const GAIN_WINDOW = 16
/** Below this many the fixed fraction applies. */
export const GAIN_HISTORY_MIN = 8
/**
 * A gain under this fraction of the recent median is sent to the referee. One batch's gain is noisy: the
 * character transformer's honest units gained 0.03–2.1 % at one learning rate (median 1 %), so a fifth of the
 * median sent one unit in five to a replay, a tenth one in sixteen.
 */
export const GAIN_FRACTION = 0.1
/** …and never a gain under this, whatever the median. */
export const GAIN_FLOOR = 1e-4

/** The fraction a delta must lower its last batch's loss by: `fixed`, or a fraction of the `recent` gains' median under it. */
export function gainScreen(fixed: number, recent: readonly number[]): number {
  if (recent.length < GAIN_HISTORY_MIN) return fixed
  // Where the job's honest units clear the fixed fraction (Fashion-MNIST's do), it stays: the relative screen
  // is for jobs where it would doubt most honest work.
  const typical = median(recent)
  return typical >= fixed ? fixed : Math.max(GAIN_FLOOR, GAIN_FRACTION * typical)
}

/** The yardstick after a replayed, passed unit's measured gain (non-finite gains are not kept). */
export function recordGain(recent: readonly number[] | undefined, gain: number): number[] {
  const kept = recent ?? []
  return Number.isFinite(gain) ? [...kept, gain].slice(-GAIN_WINDOW) : [...kept]
}
