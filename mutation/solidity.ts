// Mutation testing of the Solidity contracts: every mutant from solidity-mutants.ts is compiled and run
// against the anvil contract tests in a sandbox copy of the project (the working tree is never touched), a
// few at a time. The mutated contract's own tests run first, one file at a time, and a mutant stops at the
// first file that fails, so most mutants cost one test file. Each verdict is cached with what it depends on
// (a kill on the test file that killed it, a survivor on every test), so a rerun after adding tests only tests
// the survivors again, and a run stopped by its time box (--minutes) resumes where it stopped.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, globSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { SolidityArea } from './areas.ts'
import { solidityMutants, type SolidityMutant, type SolidityOperator } from './solidity-mutants.ts'
import type { MutantOutcome, MutantStatus } from './summary.ts'
import { STRYKER_TEMP } from './stryker.ts'

interface Verdict {
  status: MutantStatus
  /** The test file that killed it (or timed out). */
  by?: string
  /** What the verdict depends on: see `digestFor`. */
  digest: string
}

interface Cache {
  format: 2
  /** sha-256 of (contract, mutated source) → the verdict and what it depends on. */
  results: Record<string, Verdict>
}

/** Everything besides a contract and the tests whose change can change a verdict: the test helpers and the build. */
const TEST_SUPPORT = ['contracts/*.ts', '!contracts/*.test.ts', 'contracts/test/*.sol', 'src/ledger/{deploy,escrow,epoch-tree,job-key}.ts', 'server/{chain,ports,settlement}.ts']

const OPERATOR_ORDER: SolidityOperator[] = ['modifier', 'condition', 'relational', 'logical', 'arithmetic', 'statement', 'constant', 'boolean']

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

function files(root: string, patterns: readonly string[]): string[] {
  const excluded = new Set(patterns.filter((p) => p.startsWith('!')).flatMap((p) => globSync(p.slice(1), { cwd: root })))
  return [...new Set(patterns.filter((p) => !p.startsWith('!')).flatMap((p) => globSync(p, { cwd: root })))]
    .filter((f) => !excluded.has(f))
    .map((f) => f.replaceAll('\\', '/'))
    .sort()
}

const contents = (root: string, paths: readonly string[]) => sha256(paths.map((f) => `${f}\n${readFileSync(join(root, f), 'utf8')}`).join('\n'))

/**
 * What a verdict depends on, so tests can be added without testing every mutant again: a mutant that does not
 * compile, only on the build; a killed one, on the helpers and the test file that killed it; a survivor, on
 * the helpers and every test (any new test may kill it).
 */
function digestFor(root: string, tests: readonly string[]): (status: MutantStatus, by?: string) => string {
  const support = contents(root, files(root, TEST_SUPPORT))
  const all = contents(root, tests)
  return (status, by) => (status === 'CompileError' ? contents(root, ['contracts/build.ts']) : by !== undefined ? sha256(`${support}\n${contents(root, [by])}`) : sha256(`${support}\n${all}`))
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; timedOut: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, FORCE_COLOR: '0' }, detached: true })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)))
    child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      // The whole group: vitest's workers and the anvil it started.
      process.kill(-child.pid!, 'SIGKILL')
    }, timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, timedOut, output })
    })
  })
}

/**
 * The order `tests` run in against a mutant of `contract`: its own example tests (a file whose first word is
 * in the contract's name: escrow.test.ts for JobEscrow.sol), then its own property tests, then the others.
 */
export function testOrder(contract: string, tests: readonly string[]): string[] {
  const name = basename(contract, '.sol').toLowerCase()
  const rank = (test: string) => {
    const own = name.includes(basename(test).split(/[-.]/)[0]!.toLowerCase())
    return (own ? 0 : 2) + (test.includes('property') ? 1 : 0)
  }
  return [...tests].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

/** A copy of what the contract tests need, with node_modules linked, in which contracts can be rewritten. */
function makeSandbox(root: string, index: number): string {
  const dir = join(root, STRYKER_TEMP, `solidity-${index}`)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  for (const entry of ['contracts', 'src', 'server', 'package.json', 'tsconfig.json', 'vitest.config.ts']) cpSync(join(root, entry), join(dir, entry), { recursive: true })
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir')
  return dir
}

class Sandbox {
  readonly dir: string
  private readonly tests: string[]

  constructor(dir: string, tests: string[]) {
    this.dir = dir
    this.tests = tests
  }

  /**
   * Compiles `source` as `file` and runs the tests against it, the contract's own first, one file at a time
   * up to the first that fails; the file is restored afterwards. `timeoutMs` bounds each test file.
   */
  async test(file: string, source: string, timeoutMs: number): Promise<{ status: MutantStatus; by?: string; output: string }> {
    const path = join(this.dir, file)
    const original = readFileSync(path, 'utf8')
    writeFileSync(path, source)
    try {
      const build = await run(process.execPath, ['contracts/build.ts'], this.dir, timeoutMs)
      if (build.code !== 0) return { status: 'CompileError', output: build.output }
      const vitest = join(this.dir, 'node_modules', 'vitest', 'vitest.mjs')
      let output = ''
      for (const test of testOrder(file, this.tests)) {
        const result = await run(process.execPath, [vitest, 'run', test, '--bail=1', '--reporter=dot'], this.dir, timeoutMs)
        output = result.output
        if (result.timedOut) return { status: 'Timeout', by: test, output }
        if (result.code !== 0) return { status: 'Killed', by: test, output }
      }
      return { status: 'Survived', output }
    } finally {
      writeFileSync(path, original)
    }
  }
}

export async function runSolidity(root: string, area: SolidityArea, cachePath: string, options: { files?: string[]; force?: boolean; concurrency: number; minutes?: number }): Promise<MutantOutcome[]> {
  const sources = options.files ?? files(root, [area.sources])
  const tests = files(root, area.tests)
  if (tests.length === 0) throw new Error(`no contract tests match ${area.tests.join(', ')}`)
  const digest = digestFor(root, tests)
  const read = !options.force && existsSync(cachePath) ? (JSON.parse(readFileSync(cachePath, 'utf8')) as Cache) : null
  const cache: Cache = read?.format === 2 ? read : { format: 2, results: {} }
  const current = (v: Verdict | undefined) => v !== undefined && v.digest === digest(v.status, v.by)

  const jobs: Array<{ file: string; mutant: SolidityMutant; source: string; key: string }> = []
  for (const file of sources) {
    const source = readFileSync(join(root, file), 'utf8')
    for (const mutant of solidityMutants(source)) {
      const mutated = source.slice(0, mutant.start) + mutant.replacement + source.slice(mutant.end)
      jobs.push({ file, mutant, source: mutated, key: sha256(`${file}\n${mutated}`) })
    }
  }
  // Guards first (removed modifiers and checks, flipped comparisons), then the bookkeeping: a time-boxed run
  // spends its time on access control and limits before constants and events.
  const todo = jobs.filter((j) => !current(cache.results[j.key])).sort((a, b) => OPERATOR_ORDER.indexOf(a.mutant.operator) - OPERATOR_ORDER.indexOf(b.mutant.operator))
  console.log(`contracts: ${jobs.length} mutants in ${sources.length} files, ${jobs.length - todo.length} unchanged since the last run, ${todo.length} to test against ${tests.join(', ')}`)

  const results = new Map<string, MutantStatus>(jobs.flatMap((j) => (current(cache.results[j.key]) ? [[j.key, cache.results[j.key]!.status] as const] : [])))
  if (todo.length > 0) {
    const sandboxes = Array.from({ length: Math.max(1, Math.min(options.concurrency, todo.length)) }, (_, i) => new Sandbox(makeSandbox(root, i), tests))
    try {
      // The unmutated contracts must pass, or every mutant would look killed.
      const started = performance.now()
      const baseline = await sandboxes[0]!.test(todo[0]!.file, readFileSync(join(root, todo[0]!.file), 'utf8'), 600_000)
      if (baseline.status !== 'Survived') throw new Error(`the contract tests fail without any mutant (${baseline.status}):\n${baseline.output}`)
      const timeoutMs = Math.max(60_000, 5 * (performance.now() - started))
      // No new mutant starts after the time box; those left are reported untested and the next run takes them.
      const stopAt = options.minutes === undefined ? Infinity : started + options.minutes * 60_000
      let next = 0
      let done = 0
      await Promise.all(
        sandboxes.map(async (sandbox) => {
          for (let i = next++; i < todo.length && performance.now() < stopAt; i = next++) {
            const job = todo[i]!
            const { status, by } = await sandbox.test(job.file, job.source, timeoutMs)
            results.set(job.key, status)
            // Saved as it goes, so an interrupted run resumes where it stopped.
            cache.results[job.key] = { status, ...(by === undefined ? {} : { by }), digest: digest(status, by) }
            writeFileSync(cachePath, `${JSON.stringify(cache)}\n`)
            const m = job.mutant
            console.log(`[${++done}/${todo.length}] ${status.padEnd(12)} ${job.file}:${m.line} ${m.operator}: ${oneLine(m.original)} → ${oneLine(m.replacement) || '(removed)'}`)
          }
        }),
      )
    } finally {
      for (const s of sandboxes) rmSync(s.dir, { recursive: true, force: true })
    }
  }
  // Keep only what the current sources produce (unless this run covered some files only).
  const keep = new Set(jobs.map((j) => j.key))
  const pruned: Cache = { format: 2, results: Object.fromEntries(Object.entries(cache.results).filter(([k]) => options.files !== undefined || keep.has(k)).sort(([a], [b]) => a.localeCompare(b))) }
  writeFileSync(cachePath, `${JSON.stringify(pruned, null, 1)}\n`)
  const untested = jobs.filter((j) => !results.has(j.key)).length
  if (untested > 0) console.log(`contracts: the time box ran out with ${untested} mutants untested; run again to test them`)
  return jobs.map(({ file, mutant, key }) => ({ file, line: mutant.line, column: mutant.column, mutator: mutant.operator, original: mutant.original, replacement: mutant.replacement, status: results.get(key) ?? 'Pending' }))
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').slice(0, 60)
