import { describe, expect, it } from 'vitest'
import { reportsToCsv } from './report-csv.ts'
import type { RoundReport } from './coordinator-state.ts'

const report = (round: number, patch: Partial<RoundReport> = {}): RoundReport => ({
  round, version: round + 1, startedAtMs: 10, closedAtMs: 20, accepted: 4, rejected: 1, dropped: 0,
  audits: { run: 2, passed: 1, failed: 1, incomplete: 0, byReason: { every: 0, probation: 1, draw: 1, suspicious: 0 }, bySuspicion: {} },
  rejections: [{ peer: 'p', unitId: 'u', code: 'AUDIT_FAILED', params: {} }], bans: [{ peer: 'p', unitId: 'u', code: 'AUDIT_FAILED' }], samples: 512, flops: 1e9, bytesIn: 2048,
  meanLossBefore: 2.3, meanLossAfter: 1.9, testAccuracy: 0.7, testLoss: null, aggregationMs: 3.5, refereeMs: 40, roundSecret: 'ab', ...patch,
})

describe('round reports as CSV', () => {
  it('writes a header and one row per round, with empty cells for missing values', () => {
    const lines = reportsToCsv([report(0), report(1, { meanLossBefore: NaN, meanLossAfter: NaN, testAccuracy: null })]).trimEnd().split('\n')
    expect(lines[0]).toBe('round,version,startedAtMs,closedAtMs,accepted,rejected,dropped,audits,auditsFailed,bans,samples,flops,bytesIn,meanLossBefore,meanLossAfter,testAccuracy,testLoss,aggregationMs,refereeMs')
    expect(lines[1]).toBe('0,1,10,20,4,1,0,2,1,1,512,1000000000,2048,2.3,1.9,0.7,,3.5,40')
    expect(lines[2]).toBe('1,2,10,20,4,1,0,2,1,1,512,1000000000,2048,,,,,3.5,40')
    expect(reportsToCsv([])).toBe(`${lines[0]}\n`)
    // Infinite values are as unusable in a spreadsheet as NaN; zero is a value.
    const edge = reportsToCsv([report(2, { meanLossBefore: Infinity, meanLossAfter: -Infinity, testLoss: 0, bans: [] })]).trimEnd().split('\n')
    expect(edge[1]).toBe('2,3,10,20,4,1,0,2,1,0,512,1000000000,2048,,,0.7,0,3.5,40')
  })
})
