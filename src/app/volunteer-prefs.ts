// The volunteer's choices, kept across reloads: whether this tab was donating, how much of the device it may
// use, and whether to pause while hidden. Credit itself lives with the coordinator, keyed by the tab's
// persistent peer key, so a reload never loses it; these settings only make the reload seamless.
export interface VolunteerPrefs {
  donating: boolean
  /** Fraction of the time the compute worker may be busy, 0.1–1. */
  usage: number
  pauseWhenHidden: boolean
  /** The job this tab last worked for: its earnings stay on the page after the tab stops donating. */
  lastJob?: string
}

export const DEFAULT_PREFS: VolunteerPrefs = { donating: false, usage: 1, pauseWhenHidden: false }
const KEY = 'tesserae.volunteer.v1'

export function parsePrefs(text: string | null): VolunteerPrefs {
  if (text === null) return DEFAULT_PREFS
  try {
    const v = JSON.parse(text) as Partial<Record<keyof VolunteerPrefs, unknown>>
    const usage = typeof v.usage === 'number' && v.usage >= 0.1 && v.usage <= 1 ? v.usage : DEFAULT_PREFS.usage
    const lastJob = typeof v.lastJob === 'string' && v.lastJob.length > 0 && v.lastJob.length <= 128 ? { lastJob: v.lastJob } : {}
    return { donating: v.donating === true, usage, pauseWhenHidden: v.pauseWhenHidden === true, ...lastJob }
  } catch {
    return DEFAULT_PREFS
  }
}

export function loadPrefs(slot: number): VolunteerPrefs {
  return parsePrefs(localStorage.getItem(`${KEY}.${slot}`))
}

export function savePrefs(slot: number, prefs: VolunteerPrefs): void {
  localStorage.setItem(`${KEY}.${slot}`, JSON.stringify(prefs))
}

/** Whether a tab whose peer just became ready donates, and why. */
export type DonationStart = 'no' | 'pressed' | 'resumed'

/**
 * A tab's choices once its peer (and so its identity slot, where they are kept) is ready: what the slot
 * remembered, overridden by whatever was chosen before (Donate, Stop, the slider); whether they must be stored;
 * and whether to donate now: because Donate was pressed on this visit, or to resume after a reload.
 */
export function settleChoices(stored: VolunteerPrefs, chosen: Partial<VolunteerPrefs>, pressed: boolean): { prefs: VolunteerPrefs; store: boolean; start: DonationStart } {
  const prefs = { ...stored, ...chosen }
  return { prefs, store: Object.keys(chosen).length > 0, start: !prefs.donating ? 'no' : pressed ? 'pressed' : 'resumed' }
}
