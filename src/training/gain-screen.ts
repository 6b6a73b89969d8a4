// How much a delta must lower the loss on its unit's last batch before it is accepted without a replay
// (verification.ts, NO_PROGRESS). A fixed fraction fits one model at one learning rate: Fashion-MNIST's honest
// units gain 40–60 %, but the character transformer's gained under 0.5 % once its learning rate fell, so a
// fixed 10 % sent every one of them to the referee and tripled its rounds. The screen is therefore relative to
// the gains of this job's recently accepted units, capped by the fixed fraction (which also holds until enough
// units were accepted): a zero, stale or made-up delta still gains nothing, or far less than its peers' work.
//
// Moving the yardstick down takes most of the recent accepted units, each passing the screen and the audit
// draw, which replays units whatever they gained; and the floor keeps a delta that gains nothing suspicious.
import { median } from '../median.ts'

/** Accepted units' gains kept as the yardstick (about 16 rounds of two units). */
export const GAIN_WINDOW = 32
/** Below this many the fixed fraction applies. */
export const GAIN_HISTORY_MIN = 8
/** A gain under this fraction of the recent median is sent to the referee. */
export const GAIN_FRACTION = 0.2
/** …and never a gain under this, whatever the median. */
export const GAIN_FLOOR = 1e-4

/** The fraction a delta must lower its last batch's loss by: `fixed` capped, relative to `recent` gains. */
export function gainScreen(fixed: number, recent: readonly number[]): number {
  if (recent.length < GAIN_HISTORY_MIN) return fixed
  return Math.min(fixed, Math.max(GAIN_FLOOR, GAIN_FRACTION * median(recent)))
}

/** The yardstick after an accepted unit's measured gain (non-finite gains are not kept). */
export function recordGain(recent: readonly number[] | undefined, gain: number): number[] {
  const kept = recent ?? []
  return Number.isFinite(gain) ? [...kept, gain].slice(-GAIN_WINDOW) : [...kept]
}
