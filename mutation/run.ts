// `npm run test:mutation [-- <area|file>... [--force] [--concurrency N] [--minutes M]]`: mutation testing of the code that
// guards money and trust (mutation/areas.ts). With no argument every area runs; an area name runs that area;
// a file path runs only that file (its area's committed results are kept, and its rows in the report are
// replaced). Incremental: only mutants whose code or tests changed since the committed results are tested;
// --force tests everything again; --minutes time-boxes the Solidity script (untested mutants are left for the
// next run). Writes mutation/scores.json and mutation/REPORT.md.
import { execFileSync } from 'node:child_process'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { matchesGlob } from 'node:path'
import { AREA_NAMES, AREAS, type Area, type AreaName } from './areas.ts'
import { incrementalFile, runStryker } from './stryker.ts'
import { runSolidity } from './solidity.ts'
import { mergeArea, readScores, writeScores, type MutantOutcome } from './summary.ts'
import { fashionMnistDir, sharedDatasetsDir } from '../server/fashion-mnist.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const SCORES = join(root, 'mutation', 'scores.json')
const REPORT = join(root, 'mutation', 'REPORT.md')
// Stryker's sandbox (.stryker-tmp/sandbox-…) is not beside ../shared, where tests find the real datasets.
process.env.FASHION_MNIST_DIR ??= fashionMnistDir()
process.env.TESSERAE_DATASETS_DIR ??= sharedDatasetsDir()

/** Whether `file` is one of the area's mutated files. */
function inArea(area: Area, file: string): boolean {
  const patterns = area.kind === 'typescript' ? area.mutate : [area.sources]
  return patterns.some((p) => !p.startsWith('!') && matchesGlob(file, p)) && !patterns.some((p) => p.startsWith('!') && matchesGlob(file, p.slice(1)))
}

function parseArgs(argv: readonly string[]): { targets: Map<AreaName, string[] | undefined>; force: boolean; concurrency: number; minutes?: number } {
  const targets = new Map<AreaName, string[] | undefined>()
  let force = false
  let minutes: number | undefined
  let concurrency = Math.max(1, Math.min(2, cpus().length))
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--force') force = true
    else if (arg === '--concurrency') concurrency = Number(argv[++i])
    else if (arg === '--minutes') minutes = Number(argv[++i])
    else if ((AREA_NAMES as string[]).includes(arg)) targets.set(arg as AreaName, undefined)
    else {
      const file = arg.replace(/^\.\//, '')
      const area = AREA_NAMES.find((a) => inArea(AREAS[a], file))
      if (!area) throw new Error(`"${arg}" is neither an area (${AREA_NAMES.join(', ')}) nor a file one of them mutates`)
      if (targets.has(area) && targets.get(area) === undefined) continue
      targets.set(area, [...(targets.get(area) ?? []), file])
    }
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('--concurrency takes a positive whole number')
  if (minutes !== undefined && !(minutes > 0)) throw new Error('--minutes takes a positive number')
  if (targets.size === 0) for (const a of AREA_NAMES) targets.set(a, undefined)
  return { targets, force, concurrency, ...(minutes === undefined ? {} : { minutes }) }
}

async function main(): Promise<void> {
  const { targets, force, concurrency, minutes } = parseArgs(process.argv.slice(2))
  // The ledger code and the contract tests import the compiled contracts; a clean clone has none yet.
  execFileSync(process.execPath, [join(root, 'contracts', 'build.ts')], { stdio: 'inherit' })
  for (const [name, files] of targets) {
    const area = AREAS[name]
    console.log(`\n== ${name}${files ? `: ${files.join(', ')}` : ''} ==`)
    const options = { ...(files ? { files } : {}), force, concurrency, ...(minutes === undefined ? {} : { minutes }) }
    const all: MutantOutcome[] = area.kind === 'typescript' ? await runStryker(root, name, area, options) : await runSolidity(root, area, incrementalFile(root, name), options)
    // A narrowed run reports only its files: Stryker also hands back results it reused from the incremental
    // file for other files of the area, which may be from a run that never finished.
    const outcomes = files ? all.filter((o) => files.includes(o.file)) : all
    const scores = readScores(SCORES)
    scores.areas[name] = mergeArea(scores.areas[name], outcomes, files === undefined)
    writeScores(SCORES, REPORT, scores, AREA_NAMES)
    const t = scores.areas[name]!.totals
    console.log(`${name}: ${t.score ?? '–'} % killed (${t.killed + t.timeout} killed, ${t.survived} survived, ${t.noCoverage} without coverage${t.pending > 0 ? `, ${t.pending} not tested yet` : ''}); survivors in mutation/REPORT.md`)
  }
}

await main()
