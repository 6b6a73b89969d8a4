// The mutation report kept in the repository: mutation/scores.json (per area and file: counts, score,
// every surviving mutant) and mutation/REPORT.md rendered from it. A run replaces the files it mutated and
// leaves the other areas and files as they were.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

/** Stryker's statuses; the Solidity script uses the same ones. */
export type MutantStatus = 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'CompileError' | 'RuntimeError' | 'Ignored' | 'Pending'

export interface MutantOutcome {
  file: string
  line: number
  column: number
  mutator: string
  original: string
  replacement: string
  status: MutantStatus
}

export interface Counts {
  killed: number
  timeout: number
  survived: number
  noCoverage: number
  /** Mutants that do not compile or crash the run: not counted in the score (Stryker does the same). */
  errors: number
  ignored: number
  /** Not tested yet: a time-boxed run stopped before them (the next run takes them); not in the score. */
  pending: number
  /** (killed + timeout) / (killed + timeout + survived + noCoverage), in per cent; null with no valid mutant. */
  score: number | null
}

export interface AreaReport {
  ranAt: string
  totals: Counts
  files: Record<string, Counts>
  /** Survived and not covered by any test, in file order. */
  survivors: MutantOutcome[]
}

export interface ScoreFile {
  areas: Record<string, AreaReport>
}

const EMPTY: Counts = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, errors: 0, ignored: 0, pending: 0, score: null }

export function count(outcomes: readonly MutantOutcome[]): Counts {
  const c = { ...EMPTY }
  for (const o of outcomes) {
    if (o.status === 'Killed') c.killed++
    else if (o.status === 'Timeout') c.timeout++
    else if (o.status === 'Survived') c.survived++
    else if (o.status === 'NoCoverage') c.noCoverage++
    else if (o.status === 'Ignored') c.ignored++
    else if (o.status === 'Pending') c.pending++
    else c.errors++
  }
  return withScore(c)
}

function withScore(c: Counts): Counts {
  const detected = c.killed + c.timeout
  const valid = detected + c.survived + c.noCoverage
  return { ...c, score: valid === 0 ? null : Math.round((1000 * detected) / valid) / 10 }
}

function sum(counts: readonly Counts[]): Counts {
  const total = { ...EMPTY }
  for (const c of counts) for (const key of ['killed', 'timeout', 'survived', 'noCoverage', 'errors', 'ignored', 'pending'] as const) total[key] += c[key]
  return withScore(total)
}

/**
 * Folds one run's outcomes into an area's report: files the run mutated are replaced, others kept;
 * `complete` runs (the whole area) also drop files that are no longer in it.
 */
export function mergeArea(previous: AreaReport | undefined, outcomes: readonly MutantOutcome[], complete: boolean, ranAt = new Date().toISOString()): AreaReport {
  const byFile = new Map<string, MutantOutcome[]>()
  for (const o of outcomes) byFile.set(o.file, [...(byFile.get(o.file) ?? []), o])
  const files: Record<string, Counts> = complete ? {} : { ...(previous?.files ?? {}) }
  for (const [file, list] of byFile) files[file] = count(list)
  const kept = complete ? [] : (previous?.survivors ?? []).filter((s) => !byFile.has(s.file))
  const fresh = outcomes.filter((o) => o.status === 'Survived' || o.status === 'NoCoverage')
  const survivors = [...kept, ...fresh].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column)
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)))
  return { ranAt, totals: sum(Object.values(sorted)), files: sorted, survivors }
}

export function readScores(path: string): ScoreFile {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ScoreFile) : { areas: {} }
}

const pct = (c: Counts) => (c.score === null ? '–' : `${c.score.toFixed(1)} %`)
const oneLine = (text: string) => {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > 70 ? `${line.slice(0, 67)}…` : line
}
const code = (text: string) => (text === '' ? '(removed)' : `\`${oneLine(text).replaceAll('`', "'")}\``)

export function renderReport(scores: ScoreFile, order: readonly string[]): string {
  const areas = order.filter((a) => scores.areas[a])
  const lines = [
    '# Mutation testing report',
    '',
    'Written by `npm run test:mutation` (see README, "Mutation testing"); do not edit by hand. Score = mutants',
    'killed (or timed out) / mutants that compile; survivors are listed per file with their line. Static mutants',
    '(module-level constants, which the Vitest runner cannot switch on) are not scored; the table counts them.',
    '',
    '| area | score | killed | timeout | survived | no coverage | not compiling | static (not scored) | not tested yet | last run |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...areas.map((a) => {
      const r = scores.areas[a]!
      const t = r.totals
      return `| ${a} | ${pct(t)} | ${t.killed} | ${t.timeout} | ${t.survived} | ${t.noCoverage} | ${t.errors} | ${t.ignored} | ${t.pending ?? 0} | ${r.ranAt.slice(0, 10)} |`
    }),
  ]
  for (const a of areas) {
    const r = scores.areas[a]!
    lines.push('', `## ${a}`, '', '| file | score | killed | survived | no coverage | not tested yet |', '|---|---|---|---|---|---|')
    for (const [file, c] of Object.entries(r.files)) lines.push(`| ${file} | ${pct(c)} | ${c.killed + c.timeout} | ${c.survived} | ${c.noCoverage} | ${c.pending ?? 0} |`)
    if (r.survivors.length > 0) {
      lines.push('', 'Surviving mutants:', '')
      for (const s of r.survivors) lines.push(`- ${s.file}:${s.line} ${s.mutator}${s.status === 'NoCoverage' ? ' (no test reaches it)' : ''}: ${code(s.original)} → ${code(s.replacement)}`)
    }
  }
  return `${lines.join('\n')}\n`
}

export function writeScores(path: string, reportPath: string, scores: ScoreFile, order: readonly string[]): void {
  writeFileSync(path, `${JSON.stringify(scores, null, 2)}\n`)
  writeFileSync(reportPath, renderReport(scores, order))
}
