// The words a volunteer reads for a verdict: the screen a doubted unit missed is named in per cent.
import { describe, expect, it } from 'vitest'
import { verdictMessage } from './verdict-messages.ts'
import { verdict } from '../training/verdicts.ts'

describe('verdict messages', () => {
  it('names the gain the screen asked of a unit doubted for no progress, when the verdict carries it', () => {
    expect(verdictMessage(verdict('NO_PROGRESS', { before: 1.6, after: 1.599, screen: 0.0007 }))).toContain('(1.6 → 1.599) by the 0.07 % asked')
    expect(verdictMessage(verdict('NO_PROGRESS', { before: 2, after: 1.9 }))).toMatch(/\(2 → 1\.9\)$/)
  })
})
