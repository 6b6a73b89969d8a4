// A job's round reports as CSV, one row per round, for the researcher's own analysis. Numbers are written
// as-is (NaN and null as empty cells), so a spreadsheet reads them without guessing.
import type { RoundReport } from './coordinator-state.ts'

const COLUMNS = [
  'round', 'version', 'startedAtMs', 'closedAtMs', 'accepted', 'rejected', 'dropped', 'audits', 'auditsFailed', 'bans',
  'samples', 'flops', 'bytesIn', 'meanLossBefore', 'meanLossAfter', 'testAccuracy', 'testLoss', 'aggregationMs', 'refereeMs',
] as const

function cell(value: number | null): string {
  return value === null || !Number.isFinite(value) ? '' : String(value)
}

export function reportsToCsv(reports: readonly RoundReport[]): string {
  const value = (r: RoundReport, c: (typeof COLUMNS)[number]): number | null => (c === 'audits' ? r.audits.run : c === 'auditsFailed' ? r.audits.failed : c === 'bans' ? r.bans.length : r[c])
  const rows = reports.map((r) => COLUMNS.map((c) => cell(value(r, c))).join(','))
  return [COLUMNS.join(','), ...rows].join('\n') + '\n'
}
