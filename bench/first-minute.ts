// A first visitor's minute on a fresh stack (chain, relay, app server and the demo job's coordinator, as
// `npm start` runs them): one Chromium tab opens the Volunteer page and presses "Donate compute"; we time
// when the job shows as found, the first unit trains, and verified credit appears. Then the tab keeps
// donating while Playwright reads the page `readsPerSecond` times a second, and we sample the renderer's
// memory and its main thread's busy share.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from '@playwright/test'
import { launchChromium } from '../e2e/chromium.ts'
import { startStack } from '../server/stack.ts'
import { freePort } from '../server/ports.ts'
import { startDemoJob } from '../server/demo-job.ts'
import { median } from '../src/median.ts'

/** One fresh stack's first minute, in ms after opening the page. */
export interface FirstMinuteMarks {
  jobShownMs: number
  jobFoundMs: number
  firstTrainingMs: number
  firstDeliveredMs: number
  firstVerifiedCreditMs: number
}

export interface FirstMinuteResult extends FirstMinuteMarks {
  /** Every run's marks (each on a fresh stack and browser); the fields above are their medians. */
  runs: FirstMinuteMarks[]
  soakSeconds: number
  readsPerSecond: number
  readsDone: number
  /**
   * The tab's renderer process (the renderer with the largest proportional set: the page, its compute worker and
   * their wasm heaps) every sample, in MiB of PSS (shared pages split among the processes that map them), and
   * the fitted growth in MiB per minute over the second half; its resident set (RSS, shared pages counted in
   * full) beside it; and every renderer process's PSS together (Chromium also keeps a spare renderer and others).
   */
  rendererMiB: number[]
  rendererRssMiB: number[]
  allRenderersMiB: number[]
  rendererGrowthMiBPerMinute: number
  /** Share of wall time the page's main thread spent in tasks during the soak. */
  mainThreadBusy: number
  unitsDelivered: number
}

/** The page reads a visitor (or a test) would do: the phase, the job and the credit. */
const readVolunteer = (page: Page) =>
  page.evaluate(() => ({
    job: document.querySelector('[data-testid="volunteer-job"]')?.textContent ?? '',
    phase: document.querySelector('[data-testid="volunteer-phase"]')?.getAttribute('data-phase') ?? '',
    delivered: Number(document.querySelector('[data-testid="units-submitted"]')?.textContent?.split(' ')[0] ?? 0),
    flops: Number(document.querySelector('[data-testid="credit"]')?.getAttribute('data-flops') ?? 0),
  }))

/**
 * Memory of this browser's renderer processes from /proc/<pid>/smaps_rollup, in MiB: the largest one's PSS and
 * RSS (the tab doing the work), and all renderers' PSS together. Summing RSS instead would count the Chromium
 * code every process maps once per process.
 */
async function rendererMemory(browser: Browser): Promise<{ pss: number; rss: number; allPss: number }> {
  const cdp = await browser.newBrowserCDPSession()
  try {
    const { processInfo } = await cdp.send('SystemInfo.getProcessInfo')
    const kib = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) / 1024
    const renderers = await Promise.all(
      processInfo.filter((p) => p.type === 'renderer').map(async (p) => {
        const rollup = await readFile(`/proc/${p.id}/smaps_rollup`, 'utf8').catch(() => '')
        return { pss: kib(rollup, 'Pss'), rss: kib(rollup, 'Rss') }
      }),
    )
    const tab = renderers.reduce((a, b) => (b.pss > a.pss ? b : a), { pss: 0, rss: 0 })
    return { ...tab, allPss: renderers.reduce((n, r) => n + r.pss, 0) }
  } finally {
    await cdp.detach()
  }
}

/** Least-squares slope of `values` sampled every `everyMs`, per minute. */
function slopePerMinute(values: number[], everyMs: number): number {
  const n = values.length
  if (n < 2) return 0
  const xs = values.map((_, i) => (i * everyMs) / 60_000)
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = values.reduce((a, b) => a + b, 0) / n
  const num = xs.reduce((a, x, i) => a + (x - mx) * (values[i]! - my), 0)
  const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0)
  return num / den
}

/**
 * `runs` first minutes, each on a fresh stack and a fresh browser (one run says little on a shared 2-core
 * machine), the last one followed by the soak.
 */
export async function benchFirstMinute(options: { runs: number; soakSeconds: number; readsPerSecond: number; log: (line: string) => void }): Promise<FirstMinuteResult> {
  const runs: FirstMinuteMarks[] = []
  for (let i = 1; i < options.runs; i++) {
    const run = await oneFirstMinute({ ...options, soakSeconds: 0 })
    options.log(`first minute, run ${i} of ${options.runs}: verified credit after ${run.firstVerifiedCreditMs} ms`)
    runs.push(run)
  }
  const last = await oneFirstMinute(options)
  runs.push(last)
  // A mark a run never reached is -1 (the run still got credit, e.g. a phase too short to be read): left out,
  // and -1 again if no run reached it.
  const mid = (key: keyof FirstMinuteMarks) => {
    const reached = runs.map((r) => r[key]).filter((ms) => ms >= 0)
    return reached.length > 0 ? median(reached) : -1
  }
  return {
    ...last,
    runs: runs.map((r) => ({ jobShownMs: r.jobShownMs, jobFoundMs: r.jobFoundMs, firstTrainingMs: r.firstTrainingMs, firstDeliveredMs: r.firstDeliveredMs, firstVerifiedCreditMs: r.firstVerifiedCreditMs })),
    jobShownMs: mid('jobShownMs'),
    jobFoundMs: mid('jobFoundMs'),
    firstTrainingMs: mid('firstTrainingMs'),
    firstDeliveredMs: mid('firstDeliveredMs'),
    firstVerifiedCreditMs: mid('firstVerifiedCreditMs'),
  }
}

async function oneFirstMinute(options: { soakSeconds: number; readsPerSecond: number; log: (line: string) => void }): Promise<Omit<FirstMinuteResult, 'runs'>> {
  const host = '127.0.0.1'
  const stack = await startStack({ host, httpPort: 0, relayPort: 0, chainPort: await freePort(host), distDir: fileURLToPath(new URL('../dist', import.meta.url)) })
  let browser: Browser | null = null
  try {
    const demo = await startDemoJob(stack, { dataDir: null, host })
    try {
      browser = await launchChromium()
      const context = await browser.newContext()
      const page = await context.newPage()
      page.on('console', (m) => m.type() === 'error' && options.log(`[page] ${m.text()}`))
      const t0 = Date.now()
      await page.goto(stack.url)
      await page.getByTestId('donate').click({ timeout: 60_000 })
      const marks: Partial<Record<'jobShown' | 'jobFound' | 'training' | 'delivered' | 'verified', number>> = {}
      const deadline = t0 + 180_000
      let lastPhase = ''
      while (marks.verified === undefined && Date.now() < deadline) {
        const r = await readVolunteer(page)
        const at = Date.now() - t0
        if (r.phase !== lastPhase) options.log(`${(at / 1000).toFixed(1)} s: ${r.phase}: ${await page.getByTestId('volunteer-phase').textContent()}`)
        lastPhase = r.phase
        if (marks.jobShown === undefined && r.job.includes('Fashion')) marks.jobShown = at
        if (marks.jobFound === undefined && r.phase !== '' && r.phase !== 'looking for a job') marks.jobFound = at
        if (marks.training === undefined && r.phase === 'training') marks.training = at
        if (marks.delivered === undefined && r.delivered > 0) marks.delivered = at
        if (r.flops > 0) marks.verified = at
        await page.waitForTimeout(50)
      }
      options.log(`first minute: ${JSON.stringify(marks)} ms after opening the page`)
      if (marks.verified === undefined) throw new Error(`no verified credit within 180 s: ${JSON.stringify(marks)}`)

      const cdp = await context.newCDPSession(page)
      await cdp.send('Performance.enable')
      const taskSeconds = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')!.value
      const sampleEveryMs = 5000
      const memory: number[] = []
      const rss: number[] = []
      const allPss: number[] = []
      const busyStart = await taskSeconds()
      const soakStart = Date.now()
      let reads = 0
      let nextSample = soakStart
      while (Date.now() - soakStart < options.soakSeconds * 1000) {
        const started = Date.now()
        await readVolunteer(page)
        reads++
        if (Date.now() >= nextSample) {
          const m = await rendererMemory(browser)
          memory.push(m.pss)
          rss.push(m.rss)
          allPss.push(m.allPss)
          nextSample += sampleEveryMs
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 / options.readsPerSecond - (Date.now() - started))))
      }
      const soakMs = Date.now() - soakStart
      const busy = (await taskSeconds()) - busyStart
      const last = await readVolunteer(page)
      const secondHalf = memory.slice(Math.floor(memory.length / 2))
      if (options.soakSeconds > 0) options.log(`soak: ${reads} reads in ${(soakMs / 1000).toFixed(0)} s, the tab's renderer ${memory[0]?.toFixed(0)} → ${memory.at(-1)?.toFixed(0)} MiB PSS (max ${Math.max(...memory).toFixed(0)}; RSS max ${Math.max(...rss).toFixed(0)}; all renderers' PSS max ${Math.max(...allPss).toFixed(0)}), main thread busy ${((busy * 1000) / soakMs * 100).toFixed(1)} %`)
      return {
        jobShownMs: marks.jobShown ?? -1,
        jobFoundMs: marks.jobFound ?? -1,
        firstTrainingMs: marks.training ?? -1,
        firstDeliveredMs: marks.delivered ?? -1,
        firstVerifiedCreditMs: marks.verified,
        soakSeconds: Math.round(soakMs / 1000),
        readsPerSecond: options.readsPerSecond,
        readsDone: reads,
        rendererMiB: memory.map((m) => Math.round(m)),
        rendererRssMiB: rss.map((m) => Math.round(m)),
        allRenderersMiB: allPss.map((m) => Math.round(m)),
        rendererGrowthMiBPerMinute: slopePerMinute(secondHalf, sampleEveryMs),
        mainThreadBusy: (busy * 1000) / soakMs,
        unitsDelivered: last.delivered,
      }
    } finally {
      await browser?.close()
      await demo.stop()
    }
  } finally {
    await stack.stop()
  }
}
