// A job's round reports as CSV, one row per round, for the researcher's own analysis. Numbers are written
// as-is (NaN and null as empty cells), so a spreadsheet reads them without guessing.
import type { RoundReport } from './coordinator-state.ts'

const COLUMNS = [
  'round', 'version', 'startedAtMs', 'closedAtMs', 'accepted', 'rejected', 'dropped', 'verified', 'disagreements', 'outliers',
  'samples', 'flops', 'bytesIn', 'meanLossBefore', 'meanLossAfter', 'testAccuracy', 'testLoss', 'aggregationMs',
] as const

function cell(value: number | null): string {
  return value === null || !Number.isFinite(value) ? '' : String(value)
}

export function reportsToCsv(reports: readonly RoundReport[]): string {
  const rows = reports.map((r) => COLUMNS.map((c) => (c === 'outliers' ? String(r.outliers.length) : cell(r[c]))).join(','))
  return [COLUMNS.join(','), ...rows].join('\n') + '\n'
}
