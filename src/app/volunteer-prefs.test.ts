// Stored volunteer settings are read back strictly: anything malformed falls back to the defaults field by field.
import { describe, expect, it } from 'vitest'
import { DEFAULT_PREFS, parsePrefs, settleChoices } from './volunteer-prefs.ts'

describe('parsePrefs', () => {
  it('keeps valid settings and the last job, and drops what is malformed', () => {
    expect(parsePrefs(null)).toEqual(DEFAULT_PREFS)
    expect(parsePrefs('{not json')).toEqual(DEFAULT_PREFS)
    expect(parsePrefs(JSON.stringify({ donating: true, usage: 0.5, pauseWhenHidden: true, lastJob: 'job-1' }))).toEqual({ donating: true, usage: 0.5, pauseWhenHidden: true, lastJob: 'job-1' })
    expect(parsePrefs(JSON.stringify({ donating: 'yes', usage: 0.05, lastJob: 7 }))).toEqual(DEFAULT_PREFS)
    expect(parsePrefs(JSON.stringify({ usage: 1.5, lastJob: 'x'.repeat(129) }))).toEqual(DEFAULT_PREFS)
    expect(parsePrefs(JSON.stringify({ usage: 0.1, lastJob: '' }))).toEqual({ ...DEFAULT_PREFS, usage: 0.1 })
  })
})

describe('settleChoices: what a tab does once its peer is ready', () => {
  const donating = { ...DEFAULT_PREFS, donating: true, usage: 0.3, lastJob: 'job-1' }

  it('resumes a tab that was donating before the reload, at its remembered usage, storing nothing new', () => {
    expect(settleChoices(donating, {}, false)).toEqual({ prefs: donating, store: false, start: 'resumed' })
    expect(settleChoices(DEFAULT_PREFS, {}, false)).toEqual({ prefs: DEFAULT_PREFS, store: false, start: 'no' })
  })

  it('starts one whose Donate was pressed while the swarm was starting, keeping the slot\'s other settings', () => {
    expect(settleChoices(DEFAULT_PREFS, { donating: true }, true)).toEqual({ prefs: { ...DEFAULT_PREFS, donating: true }, store: true, start: 'pressed' })
    expect(settleChoices({ ...donating, donating: false }, { donating: true }, true)).toEqual({ prefs: donating, store: true, start: 'pressed' })
    // Pressed once the peer was up but before the device check: the slot already says donating.
    expect(settleChoices(donating, {}, true).start).toBe('pressed')
  })

  it('does not resume a tab stopped (or re-set) before its peer was ready, and stores what was chosen', () => {
    expect(settleChoices(donating, { donating: true, usage: 0.5 }, true).prefs.usage).toBe(0.5)
    expect(settleChoices(donating, { donating: false }, false)).toEqual({ prefs: { ...donating, donating: false }, store: true, start: 'no' })
    expect(settleChoices(donating, { usage: 0.7 }, false)).toEqual({ prefs: { ...donating, usage: 0.7 }, store: true, start: 'resumed' })
  })
})
