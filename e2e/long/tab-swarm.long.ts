// `npm run train:tab -- <train:swarm options>`: a `train:swarm` run (its coordinator and Node volunteers, in
// processes of their own) on the e2e stack's relay, with a Chromium tab of the built app donating to the job
// through its share link, for as long as the run takes. Passes when the run ends and the tab's units were
// accepted; the run's figures are in train:swarm's output and its --out file.
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { expect, test } from '@playwright/test'
import { launchChromium } from '../chromium.ts'

const APP = process.env.TESSERAE_URL!
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

test('a train:swarm run with a Chromium tab among its volunteers', async () => {
  const args = (process.env.TESSERAE_TRAIN_ARGS ?? '').split(/\s+/).filter(Boolean)
  const out = args[args.indexOf('--out') + 1]
  if (!args.includes('--out') || !out) throw new Error('TESSERAE_TRAIN_ARGS must name --out (the run\'s JSON, where the tab\'s units are counted)')
  const relays = process.env.TESSERAE_RELAY_ADDRS!.split(' ').flatMap((a) => ['--relay', a])
  // Bitswap's and the stream muxer's errors, on both ends, beside any audit whose blocks did not come.
  const debug = 'helia:bitswap*:error,libp2p:yamux*:error,libp2p:webrtc*:error'
  const run = spawn(process.execPath, ['server/train-swarm.ts', ...args, '--webrtc', ...relays], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DEBUG: debug } })
  const exited = new Promise<number>((resolve) => run.on('exit', (code) => resolve(code ?? 1)))
  const jobId = new Promise<string>((found, reject) => {
    createInterface({ input: run.stdout! }).on('line', (line) => {
      console.log(line)
      const job = /^job (\S+)$/.exec(line)
      if (job) found(job[1]!)
    })
    void exited.then((code) => reject(new Error(`train:swarm exited (${code}) before it started its job`)))
  })
  const browser = await launchChromium()
  try {
    const page = await (await browser.newContext()).newPage()
    // The tab's own account of its units (delivered, refused and why) and of anything that went wrong, beside
    // the coordinator's: an audit the tab failed can then be read from both ends.
    await page.addInitScript((value) => localStorage.setItem('debug', value), debug)
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning' || /^\[volunteer\] (unit|could not)|bitswap|yamux|webrtc/.test(message.text())) console.log(`[tab ${new Date().toISOString().slice(11, 19)}] ${message.text().slice(0, 400)}`)
    })
    await page.goto(new URL(`/?job=${encodeURIComponent(await jobId)}`, APP).toString())
    const tab = (await page.getByTestId('self-peer-id').filter({ hasText: /^12D3KooW/ }).textContent({ timeout: 120_000 }))!
    await expect(page.getByTestId('invited-job')).not.toContainText('not heard', { timeout: 120_000 })
    await page.getByTestId('donate').click()
    console.log(`a Chromium tab (${tab}) donates to the job`)
    expect(await exited).toBe(0)
    const peers = (JSON.parse(await readFile(resolve(ROOT, out), 'utf8')) as { peers: Record<string, { accepted: number }> }).peers
    expect(peers[tab]?.accepted ?? 0, `the tab's units (peers: ${JSON.stringify(peers)})`).toBeGreaterThan(0)
  } finally {
    run.kill('SIGTERM')
    await browser.close()
  }
})
