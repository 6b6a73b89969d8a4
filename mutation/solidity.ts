// Mutation testing of the Solidity contracts: every mutant from solidity-mutants.ts is compiled and run
// against the anvil contract tests in a sandbox copy of the project (the working tree is never touched), a
// few at a time. Results are cached by the mutated source and the tests' contents, so a rerun only tests
// mutants of contracts or tests that changed.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, globSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SolidityArea } from './areas.ts'
import { solidityMutants, type SolidityMutant } from './solidity-mutants.ts'
import type { MutantOutcome, MutantStatus } from './summary.ts'
import { STRYKER_TEMP } from './stryker.ts'

interface Cache {
  format: 1
  /** sha-256 of (tests, test helpers, mutated source) → what the tests made of it. */
  results: Record<string, MutantStatus>
}

/** Everything besides a contract whose change can change a verdict: the tests, their helpers and the build. */
const TEST_SUPPORT = ['contracts/testing.ts', 'contracts/build.ts', 'contracts/test/*.sol', 'src/ledger/deploy.ts', 'server/chain.ts', 'server/settlement.ts']

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

function files(root: string, patterns: readonly string[]): string[] {
  return [...new Set(patterns.flatMap((p) => globSync(p, { cwd: root })))].map((f) => f.replaceAll('\\', '/')).sort()
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

  /** Compiles `source` as `file` and runs the tests against it; the file is restored afterwards. */
  async test(file: string, source: string, timeoutMs: number): Promise<{ status: MutantStatus; output: string }> {
    const path = join(this.dir, file)
    const original = readFileSync(path, 'utf8')
    writeFileSync(path, source)
    try {
      const build = await run(process.execPath, ['contracts/build.ts'], this.dir, timeoutMs)
      if (build.code !== 0) return { status: 'CompileError', output: build.output }
      const vitest = join(this.dir, 'node_modules', 'vitest', 'vitest.mjs')
      const tests = await run(process.execPath, [vitest, 'run', ...this.tests, '--bail=1', '--reporter=dot'], this.dir, timeoutMs)
      if (tests.timedOut) return { status: 'Timeout', output: tests.output }
      return { status: tests.code === 0 ? 'Survived' : 'Killed', output: tests.output }
    } finally {
      writeFileSync(path, original)
    }
  }
}

export async function runSolidity(root: string, area: SolidityArea, cachePath: string, options: { files?: string[]; force?: boolean; concurrency: number }): Promise<MutantOutcome[]> {
  const sources = options.files ?? files(root, [area.sources])
  const tests = files(root, area.tests)
  if (tests.length === 0) throw new Error(`no contract tests match ${area.tests.join(', ')}`)
  const testsDigest = sha256(files(root, [...tests, ...TEST_SUPPORT]).map((f) => `${f}\n${readFileSync(join(root, f), 'utf8')}`).join('\n'))
  const cache: Cache = !options.force && existsSync(cachePath) ? (JSON.parse(readFileSync(cachePath, 'utf8')) as Cache) : { format: 1, results: {} }

  const jobs: Array<{ file: string; mutant: SolidityMutant; source: string; key: string }> = []
  for (const file of sources) {
    const source = readFileSync(join(root, file), 'utf8')
    for (const mutant of solidityMutants(source)) {
      const mutated = source.slice(0, mutant.start) + mutant.replacement + source.slice(mutant.end)
      jobs.push({ file, mutant, source: mutated, key: sha256(`${testsDigest}\n${file}\n${mutated}`) })
    }
  }
  const todo = jobs.filter((j) => cache.results[j.key] === undefined)
  console.log(`contracts: ${jobs.length} mutants in ${sources.length} files, ${jobs.length - todo.length} unchanged since the last run, ${todo.length} to test against ${tests.join(', ')}`)

  const results = new Map<string, MutantStatus>(jobs.flatMap((j) => (cache.results[j.key] === undefined ? [] : [[j.key, cache.results[j.key]!] as const])))
  if (todo.length > 0) {
    const sandboxes = Array.from({ length: Math.max(1, Math.min(options.concurrency, todo.length)) }, (_, i) => new Sandbox(makeSandbox(root, i), tests))
    try {
      // The unmutated contracts must pass, or every mutant would look killed.
      const started = performance.now()
      const baseline = await sandboxes[0]!.test(todo[0]!.file, readFileSync(join(root, todo[0]!.file), 'utf8'), 600_000)
      if (baseline.status !== 'Survived') throw new Error(`the contract tests fail without any mutant (${baseline.status}):\n${baseline.output}`)
      const timeoutMs = Math.max(60_000, 5 * (performance.now() - started))
      let next = 0
      let done = 0
      await Promise.all(
        sandboxes.map(async (sandbox) => {
          for (let i = next++; i < todo.length; i = next++) {
            const job = todo[i]!
            const { status } = await sandbox.test(job.file, job.source, timeoutMs)
            results.set(job.key, status)
            // Saved as it goes, so an interrupted run resumes where it stopped.
            cache.results[job.key] = status
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
  const pruned: Cache = { format: 1, results: Object.fromEntries(Object.entries(cache.results).filter(([k]) => options.files !== undefined || keep.has(k)).sort(([a], [b]) => a.localeCompare(b))) }
  writeFileSync(cachePath, `${JSON.stringify(pruned, null, 1)}\n`)
  return jobs.map(({ file, mutant, key }) => ({ file, line: mutant.line, column: mutant.column, mutator: mutant.operator, original: mutant.original, replacement: mutant.replacement, status: results.get(key)! }))
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').slice(0, 60)
