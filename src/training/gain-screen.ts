// How much a delta must lower the loss on its unit's last batch before it is accepted without a replay
// (verification.ts, NO_PROGRESS). A fixed fraction fits one model at one learning rate: Fashion-MNIST's honest
// units gain 40–60 %, but the character transformer's gained under 0.5 % once its learning rate fell, so a
// fixed 10 % sent every one of them to the referee and tripled its rounds. The screen is therefore relative to
// the gains of this job's recently accepted units where their median is under the fixed fraction (which also
// holds until enough units were accepted): a zero, stale or made-up delta still gains nothing, or far less than its peers' work.
//
// Moving the yardstick down takes most of the recent accepted units, each passing the screen and the audit
// draw, which replays units whatever they gained; and the floor keeps a delta that gains nothing suspicious.
import { median } from '../median.ts'

/** Accepted units' gains kept as the yardstick (about 16 rounds of two units). */
export const GAIN_WINDOW = 32
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

/** The yardstick after an accepted unit's measured gain (non-finite gains are not kept). */
export function recordGain(recent: readonly number[] | undefined, gain: number): number[] {
  const kept = recent ?? []
  return Number.isFinite(gain) ? [...kept, gain].slice(-GAIN_WINDOW) : [...kept]
}
