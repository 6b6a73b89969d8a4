// One Stryker run over a TypeScript area: the Vitest runner with per-test coverage (each mutant runs only
// the tests that reach it), the TypeScript checker (a mutant that does not compile is not a test gap), and
// incremental mode, so a rerun only tests mutants whose code or tests changed since the committed result.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { Stryker } from '@stryker-mutator/core'
import type { MutantResult, PartialStrykerOptions } from '@stryker-mutator/api/core'
import type { TypeScriptArea } from './areas.ts'
import type { MutantOutcome } from './summary.ts'

export const STRYKER_TEMP = '.stryker-tmp'

export function incrementalFile(root: string, area: string): string {
  return join(root, 'mutation', 'incremental', `${area}.json`)
}

/**
 * Runs Stryker over `area`, or only over `files` of it. A narrowed run starts from the area's incremental
 * file but writes its own copy: the committed one always describes the whole area.
 */
export async function runStryker(root: string, name: string, area: TypeScriptArea, options: { files?: string[]; force?: boolean; concurrency: number }): Promise<MutantOutcome[]> {
  const committed = incrementalFile(root, name)
  let scratch: string | null = null
  if (options.files) {
    scratch = mkdtempSync(join(tmpdir(), 'tesserae-mutation-'))
    if (existsSync(committed)) copyFileSync(committed, join(scratch, 'incremental.json'))
  }
  const strykerOptions: PartialStrykerOptions = {
    packageManager: 'npm',
    testRunner: 'vitest',
    vitest: { configFile: 'mutation/vitest.config.ts', related: true },
    coverageAnalysis: 'perTest',
    checkers: ['typescript'],
    tsconfigFile: 'mutation/tsconfig.json',
    typescriptChecker: { prioritizePerformanceOverAccuracy: true },
    mutate: options.files ?? area.mutate,
    testFiles: area.tests,
    incremental: true,
    incrementalFile: scratch === null ? relative(root, committed) : join(scratch, 'incremental.json'),
    force: options.force === true,
    concurrency: options.concurrency,
    // A test that loops forever under a mutant is a detected mutant, but it must not stall the run.
    timeoutMS: 10_000,
    // Static mutants (module-level constants such as a size limit) are evaluated once when a module loads, so
    // the Vitest runner cannot switch them on: each would cost a run of every test only to survive. They are
    // left out (reported as ignored); the limit tests catch a changed constant in a plain `npm test`.
    ignoreStatic: true,
    reporters: [process.stdout.isTTY ? 'progress' : 'progress-append-only'],
    tempDirName: STRYKER_TEMP,
    cleanTempDir: 'always',
    ignorePatterns: ['dist', 'dist-bench', 'test-results', 'playwright-report', 'e2e', 'bench', 'public', '.tesserae', 'mutation/incremental', 'mutation/scores.json', 'mutation/REPORT.md', '*.log'],
    thresholds: { high: 90, low: 80, break: null },
  }
  try {
    const results = await new Stryker(strykerOptions).runMutationTest()
    return results.map((r) => outcomeOf(root, r))
  } finally {
    if (scratch !== null) rmSync(scratch, { recursive: true, force: true })
  }
}

const sources = new Map<string, string[]>()

function outcomeOf(root: string, r: MutantResult): MutantOutcome {
  const file = relative(root, r.fileName).replaceAll('\\', '/')
  if (!sources.has(file)) sources.set(file, readFileSync(join(root, file), 'utf8').split('\n'))
  const lines = sources.get(file)!
  const { start, end } = r.location
  const original =
    start.line === end.line
      ? lines[start.line - 1]!.slice(start.column - 1, end.column - 1)
      : [lines[start.line - 1]!.slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1]!.slice(0, end.column - 1)].join('\n')
  return { file, line: start.line, column: start.column, mutator: r.mutatorName, original, replacement: r.replacement ?? '', status: r.status }
}
