import { describe, expect, it } from 'vitest'
import { reportsToCsv } from './report-csv.ts'
import type { RoundReport } from './coordinator-state.ts'

const report = (round: number, patch: Partial<RoundReport> = {}): RoundReport => ({
  round, version: round + 1, startedAtMs: 10, closedAtMs: 20, accepted: 4, rejected: 1, dropped: 0, verified: 2, disagreements: 1,
  outliers: [{ peer: 'p', unitId: 'u', reason: 'r' }], rejections: [], samples: 512, flops: 1e9, bytesIn: 2048,
  meanLossBefore: 2.3, meanLossAfter: 1.9, testAccuracy: 0.7, testLoss: null, aggregationMs: 3.5, ...patch,
})

describe('round reports as CSV', () => {
  it('writes a header and one row per round, with empty cells for missing values', () => {
    const lines = reportsToCsv([report(0), report(1, { meanLossBefore: NaN, meanLossAfter: NaN, testAccuracy: null })]).trimEnd().split('\n')
    expect(lines[0]).toBe('round,version,startedAtMs,closedAtMs,accepted,rejected,dropped,verified,disagreements,outliers,samples,flops,bytesIn,meanLossBefore,meanLossAfter,testAccuracy,testLoss,aggregationMs')
    expect(lines[1]).toBe('0,1,10,20,4,1,0,2,1,1,512,1000000000,2048,2.3,1.9,0.7,,3.5')
    expect(lines[2]).toBe('1,2,10,20,4,1,0,2,1,1,512,1000000000,2048,,,,,3.5')
    expect(reportsToCsv([])).toBe(`${lines[0]}\n`)
  })
})
