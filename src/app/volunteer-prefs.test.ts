// Stored volunteer settings are read back strictly: anything malformed falls back to the defaults field by field.
import { describe, expect, it } from 'vitest'
import { DEFAULT_PREFS, parsePrefs } from './volunteer-prefs.ts'

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
