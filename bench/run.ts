// `npm run bench`: builds the benchmark page, serves it cross-origin isolated on loopback, runs the engine suite
// (Node raw sessions and the browser worker side by side, with TensorFlow.js in the page) and the task-family
// suite (one job per task family against TensorFlow.js) in plain Chromium and the WebGPU suite with
// --enable-unsafe-webgpu, then prints markdown tables and saves bench/results/*.json.
// Ratios are measured side by side in one run, never across runs.
import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { chromium } from '@playwright/test'
import { startStaticServer } from '../server/static-server.ts'
import { CHROMIUM_ARGS, CHROMIUM_PATH, WEBGPU_ARGS } from '../e2e/chromium.ts'
import type { Page } from '@playwright/test'
import { benchEngine, engineTable, type EngineResult } from './engine.ts'
import { benchWebGpu, webGpuTable } from './engine-webgpu.ts'
import { benchTasks, tasksTable, type TasksResult } from './tasks.ts'
import { NodeSessions } from './node-sessions.ts'
import { benchSwarm } from './swarm.ts'
import { benchAggregation } from './aggregation.ts'
import { benchData } from './data.ts'
import { benchAudit } from './audit.ts'
import { benchLogAudit } from './log-audit.ts'
import { benchCoordinatorCapacity, capacityTable } from './coordinator-capacity.ts'
import { benchFirstMinute } from './first-minute.ts'
import { benchPipeline, pipelineTable } from './pipeline.ts'
import { benchDropout, dropoutTable } from './dropout.ts'
import { benchHeadless, headlessTable } from './headless-engine.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const requested = (process.argv[2] ?? 'wasm,tasks,webgpu,headless,swarm,pipeline,dropout,aggregation,audit,log-audit,data,capacity,first-minute').split(',')
const browserSuites = requested.filter((s): s is 'wasm' | 'tasks' | 'webgpu' => s === 'wasm' || s === 'tasks' || s === 'webgpu')
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const log = (line: string) => console.log(`  ${line}`)

// Node suites first: they need no browser and report the swarm's communication and aggregation costs.
const headless = requested.includes('headless') ? await benchHeadless({ rounds: ROUNDS, log }) : null
const swarm = requested.includes('swarm') ? await benchSwarm({ volunteers: 8, rounds: 4, model: 'mlp', innerSteps: 128, batchSize: 32 }) : null
const pipeline = requested.includes('pipeline') ? await benchPipeline({ steps: ROUNDS, batch: 16, microBatch: 4, log }) : null
const dropout = requested.includes('dropout') ? await benchDropout({ rounds: ROUNDS, steps: 8, batch: 16, log }) : null
const aggregation = requested.includes('aggregation') ? benchAggregation(1000, 1 << 20) : null
const audit = requested.includes('audit') ? [await benchAudit({ volunteers: 8, rounds: 4, innerSteps: 64, batchSize: 32 }), await benchAudit({ volunteers: 64, rounds: 4, innerSteps: 64, batchSize: 32 })] : null
const logAudit = requested.includes('log-audit') ? await benchLogAudit([{ volunteers: 4, epochs: 8 }, { volunteers: 16, epochs: 16 }]) : null
const data = requested.includes('data') ? await benchData(new URL('../../shared/datasets/fashion-mnist/', import.meta.url)) : null
const capacity = requested.includes('capacity') ? await benchCoordinatorCapacity({ volunteers: 8, deltasEach: 25, aggregators: 8 }) : null
// The built app (`npm run build`) against the whole local stack: a first visitor's minute, then a long donation.
const firstMinute = requested.includes('first-minute') ? await benchFirstMinute({ runs: Number(process.env.BENCH_FIRST_MINUTE_RUNS ?? 5), soakSeconds: Number(process.env.BENCH_SOAK_SECONDS ?? 180), readsPerSecond: 100, log }) : null

if (browserSuites.length > 0) execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/vite/bin/vite.js', import.meta.url)), 'build', '--config', 'bench/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' })
const server = browserSuites.length === 0 ? null : await startStaticServer({
  rootDir: fileURLToPath(new URL('../dist-bench', import.meta.url)),
  host: '127.0.0.1',
  port: 0,
  config: { relayAddrs: [], iceServers: [], chain: { rpcUrl: 'http://127.0.0.1:8545', chainId: 31337, name: 'unused', local: true } },
})

async function inPage<T>(args: string[], query: string, run: (page: Page) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...args] })
  try {
    const page = await browser.newPage()
    page.setDefaultTimeout(15 * 60_000)
    page.on('console', (message) => message.type() === 'error' && console.log(`  [page] ${message.text()}`))
    await page.goto(`${server!.url}?${query}`)
    await page.waitForFunction(() => window.bench !== undefined)
    return await run(page)
  } finally {
    await browser.close()
  }
}

let engine: EngineResult | null = null
let tasks: TasksResult | null = null
let webgpu: Awaited<ReturnType<typeof benchWebGpu>> | null = null
const nodeSessions = new NodeSessions()
try {
  if (browserSuites.includes('wasm')) {
    console.log('engine: Node raw session, browser worker and TensorFlow.js, side by side')
    engine = await inPage([], 'tfjs=wasm', (page) => benchEngine(page, nodeSessions, { rounds: ROUNDS, batchSize: 64, threads: [1, 2], log }))
  }
  if (browserSuites.includes('tasks')) {
    console.log('tasks: one job per task family, the compute worker and TensorFlow.js on one wasm thread, side by side')
    tasks = await inPage([], 'tfjs=wasm', (page) => benchTasks(page, { rounds: ROUNDS, batchSize: 64, log }))
  }
  if (browserSuites.includes('webgpu')) {
    console.log('webgpu: the compute worker on Chromium\'s WebGPU adapter')
    webgpu = await inPage(WEBGPU_ARGS, 'tfjs=webgpu', (page) => benchWebGpu(page, log))
  }
} finally {
  nodeSessions.close()
  await server?.close()
}

const lines: string[] = []
if (engine) lines.push(...engineTable(engine))
if (tasks) lines.push('', ...tasksTable(tasks))
if (webgpu) lines.push('', ...webGpuTable(webgpu))
if (headless) lines.push('', ...headlessTable(headless))
if (swarm) {
  lines.push('', '| swarm (Node, loopback libp2p) | value |', '|---|---|')
  lines.push(`| model, volunteers, rounds, H × batch | ${swarm.model} (${swarm.parameters} params), ${swarm.volunteers}, ${swarm.rounds}, ${swarm.innerSteps} × ${swarm.batchSize} |`)
  lines.push(`| test accuracy after ${swarm.samples} samples: swarm vs single tab | ${swarm.swarmAccuracy.toFixed(4)} vs ${swarm.singleTabAccuracy.toFixed(4)} |`)
  lines.push(`| wall time: swarm vs single tab | ${swarm.swarmSeconds.toFixed(1)} s vs ${swarm.singleTabSeconds.toFixed(1)} s |`)
  lines.push(`| upload per volunteer per round: DiLoCo int8 vs sync fp32 DP | ${(swarm.uploadBytesPerVolunteerPerRound / 1024).toFixed(0)} KiB vs ${(swarm.syncDpBytesPerVolunteerPerRound / 2 ** 20).toFixed(1)} MiB = 1/${swarm.uploadRatio.toFixed(0)} |`)
  lines.push(`| download per volunteer per round (parameters + shards) | ${(swarm.downloadBytesPerVolunteerPerRound / 2 ** 20).toFixed(2)} MiB |`)
}
if (pipeline) lines.push('', ...pipelineTable(pipeline))
if (dropout) lines.push('', ...dropoutTable(dropout))
if (aggregation) {
  lines.push('', '| aggregation of int8 deltas | value |', '|---|---|')
  lines.push(`| deltas × parameters | ${aggregation.deltas} × ${aggregation.parameters} |`)
  lines.push(`| at round close: screening + centred clipping | ${(aggregation.screenMs + aggregation.clipMs).toFixed(0)} ms |`)
  lines.push(`| on arrival: norms, distances, sketches (all deltas together) | ${aggregation.statsMs.toFixed(0)} ms (${(aggregation.statsMs / aggregation.deltas).toFixed(2)} ms per delta) |`)
  lines.push(`| memory growth after 10 / 100 / 1000 deltas | ${aggregation.memoryMiB.map((m) => `${m.heapAndBuffersMiB.toFixed(1)} MiB`).join(' / ')} |`)
}
if (audit) {
  lines.push('', `| verification cost (MLP, H = 64 × 32, audit rate ${audit[0]!.auditRate}) | coordinator per round | volunteers' compute per round | referee re-execution | share of volunteer compute | units re-executed |`, '|---|---|---|---|---|---|')
  for (const a of audit) {
    for (const [label, r] of [['first round (all on probation)', a.first], ['later rounds (mean)', a.later]] as const) {
      lines.push(`| ${a.volunteers} volunteers, ${label} | ${(r.coordinatorMs / 1000).toFixed(2)} s | ${(r.volunteerMs / 1000).toFixed(2)} s | ${(r.refereeMs / 1000).toFixed(2)} s | ${(100 * r.refereeShare).toFixed(0)} % | ${r.audited.toFixed(1)} of ${r.units} |`)
    }
  }
}
if (logAudit) {
  lines.push('', '| auditing a job log (npm run audit, records in memory) | units | result signatures | audit time | per epoch | per unit |', '|---|---|---|---|---|---|')
  for (const r of logAudit) lines.push(`| ${r.volunteers} volunteers × ${r.epochs} epochs | ${r.units} | ${r.resultSignatures} | ${(r.auditMs / 1000).toFixed(2)} s | ${r.msPerEpoch.toFixed(0)} ms | ${r.msPerUnit.toFixed(1)} ms |`)
}
if (data) {
  lines.push('', '| data path (Node, full Fashion-MNIST train set) | value |', '|---|---|')
  lines.push(`| IDX pair import (gzip, ${data.samples} samples) | ${data.idx.ms.toFixed(0)} ms (${data.idx.samplesPerSecond.toFixed(0)} samples/s) |`)
  lines.push(`| CSV import (${data.csv.rows} rows, ${data.csv.megabytes.toFixed(1)} MiB) | ${data.csv.ms.toFixed(0)} ms (${data.csv.samplesPerSecond.toFixed(0)} samples/s) |`)
  lines.push(`| JSONL import (${data.jsonl.rows} lines, ${data.jsonl.megabytes.toFixed(1)} MiB) | ${data.jsonl.ms.toFixed(0)} ms (${data.jsonl.samplesPerSecond.toFixed(0)} samples/s) |`)
  lines.push(`| exact duplicates over ${data.samples} samples | ${data.duplicatesMs.toFixed(0)} ms (${data.duplicates} found) |`)
  lines.push(`| chunking + CIDs (${data.chunks} chunks) | ${data.chunkAndCidMs.toFixed(0)} ms |`)
  lines.push(`| Merkle root over the chunks | ${data.merkleMs.toFixed(1)} ms |`)
}
if (capacity) lines.push('', ...capacityTable(capacity))
if (firstMinute) {
  const f = firstMinute
  lines.push('', '| first minute (fresh stack, loopback, built app) | value |', '|---|---|')
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  const credits = f.runs.map((r) => r.firstVerifiedCreditMs)
  lines.push(`| job shown as found / first unit training / first unit delivered (medians of ${f.runs.length} fresh stacks) | ${seconds(f.jobFoundMs)} / ${seconds(f.firstTrainingMs)} / ${seconds(f.firstDeliveredMs)} after opening the page |`)
  lines.push(`| first verified credit on the page | median ${seconds(f.firstVerifiedCreditMs)}, ${seconds(Math.min(...credits))}–${seconds(Math.max(...credits))} over ${f.runs.length} runs (each: ${credits.map(seconds).join(', ')}) |`)
  lines.push(`| the tab's renderer (PSS) over ${f.soakSeconds} s of donating, ${f.readsPerSecond} page reads/s (${f.readsDone} reads) | ${f.rendererMiB[0]} → ${f.rendererMiB.at(-1)} MiB, max ${Math.max(...f.rendererMiB)} MiB, trend over the second half ${f.rendererGrowthMiBPerMinute.toFixed(1)} MiB/min |`)
  lines.push(`| the same process's RSS / all renderer processes' PSS together | max ${Math.max(...f.rendererRssMiB)} MiB / max ${Math.max(...f.allRenderersMiB)} MiB |`)
  lines.push(`| main thread busy while donating and being read | ${(100 * f.mainThreadBusy).toFixed(0)} % (${f.unitsDelivered} units delivered) |`)
}
console.log(`\n${lines.join('\n')}`)
await mkdir(fileURLToPath(new URL('results/', import.meta.url)), { recursive: true })
// Browser and Node suites keep separate files so running one kind does not erase the other's numbers.
if (engine || webgpu) await writeFile(fileURLToPath(new URL('results/latest.json', import.meta.url)), JSON.stringify({ date: new Date().toISOString(), engine, webgpu }, null, 2))
if (tasks) await writeFile(fileURLToPath(new URL('results/tasks-latest.json', import.meta.url)), JSON.stringify({ date: new Date().toISOString(), tasks }, null, 2))
if (swarm || aggregation) await writeFile(fileURLToPath(new URL('results/swarm-latest.json', import.meta.url)), JSON.stringify({ date: new Date().toISOString(), swarm, aggregation }, null, 2))
if (pipeline) await writeFile(fileURLToPath(new URL('results/pipeline-latest.json', import.meta.url)), JSON.stringify({ date: new Date().toISOString(), pipeline }, null, 2))
if (headless) await writeFile(fileURLToPath(new URL('results/headless-latest.json', import.meta.url)), JSON.stringify({ date: new Date().toISOString(), headless }, null, 2))
if (dropout) await writeFile(fileURLToPath(new URL('results/dropout-latest.json', import.meta.url)), JSON.stringify({ date: new Date().toISOString(), dropout }, null, 2))
if (audit || logAudit) await writeFile(fileURLToPath(new URL('results/audit-latest.json', import.meta.url)), JSON.stringify({ date: new Date().toISOString(), audit, logAudit }, null, 2))
if (data) await writeFile(fileURLToPath(new URL('results/data-latest.json', import.meta.url)), JSON.stringify({ date: new Date().toISOString(), data }, null, 2))
if (capacity) await writeFile(fileURLToPath(new URL('results/capacity-latest.json', import.meta.url)), JSON.stringify({ date: new Date().toISOString(), capacity }, null, 2))
if (firstMinute) await writeFile(fileURLToPath(new URL('results/first-minute-latest.json', import.meta.url)), JSON.stringify({ date: new Date().toISOString(), firstMinute }, null, 2))
// Everything is stopped and written, so Node normally exits now. In about one first-minute run in three
// something native still kept its loop alive with no handle, request or resource to show for it
// (process.getActiveResourcesInfo() is empty), most likely node-datachannel's callback for a WebRTC
// connection the coordinator had with the tab: give a clean exit 5 s, then leave.
setTimeout(() => process.exit(0), 5000).unref()
