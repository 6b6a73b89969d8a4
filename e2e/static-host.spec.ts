// The built app on a plain static host that sends no headers (Python's http.server): the service worker
// makes the page cross-origin isolated and puts the Content-Security-Policy on it, the app reaches relay and
// chain from the config.json beside index.html alone, and a repeat visit fetches almost nothing.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from '@playwright/test'
import { startPlainHost } from './plain-host.ts'

const DIST = fileURLToPath(new URL('../dist', import.meta.url))
const MiB = 2 ** 20

test('a plain static host: isolation and CSP from the service worker, and the repeat visit comes from its cache', async ({ browser }) => {
  test.setTimeout(180_000)
  // The deployment: the build plus the config.json `npm run build` would copy in (here: the e2e stack's).
  const site = await mkdtemp(join(tmpdir(), 'tesserae-site-'))
  await cp(DIST, site, { recursive: true })
  await writeFile(join(site, 'config.json'), await (await fetch(new URL('/config.json', process.env.TESSERAE_URL))).text())
  const host = await startPlainHost(site)
  const context = await browser.newContext()
  try {
    const first = await context.newPage()
    await first.goto(host.url)
    // The host sent no COOP/COEP: the page registered the worker and reloaded once through it. A read that
    // lands during that reload loses its context (expect.poll does not retry a throw): it counts as not yet.
    await expect.poll(() => first.evaluate(() => crossOriginIsolated).catch(() => false), { timeout: 30_000 }).toBe(true)
    expect(await first.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
    const navigation = await first.evaluate(() => fetch(location.href).then((r) => r.headers.get('content-security-policy')))
    expect(navigation).toContain("frame-ancestors 'none'")
    await expect(first.getByTestId('relay-status')).toHaveAttribute('data-state', 'connected')
    await expect(first.getByTestId('chain-status')).toHaveAttribute('data-state', 'ok')
    // Under the worker's CSP an injected inline script does not run.
    expect(await first.evaluate(() => {
      const s = document.createElement('script')
      s.textContent = 'window.__injected = true'
      document.body.append(s)
      return (window as unknown as { __injected?: boolean }).__injected === true
    })).toBe(false)
    await first.getByRole('button', { name: 'Run the check' }).click()
    await expect(first.getByTestId('check-verdict')).toContainText('Only WebAssembly is available', { timeout: 120_000 })
    await first.evaluate(() => navigator.serviceWorker.ready)
    const firstVisit = host.requests.splice(0)
    const firstBytes = await host.bodyBytes(firstVisit)
    await first.close()

    const second = await context.newPage()
    await second.goto(host.url)
    await expect(second.getByTestId('relay-status')).toHaveAttribute('data-state', 'connected')
    expect(await second.evaluate(() => crossOriginIsolated)).toBe(true)
    await second.getByRole('button', { name: 'Run the check' }).click()
    await expect(second.getByTestId('check-verdict')).toContainText('Only WebAssembly is available', { timeout: 120_000 })
    const secondVisit = host.requests.splice(0)
    const secondBytes = await host.bodyBytes(secondVisit)
    console.log(`plain static host: first visit ${firstVisit.length} requests, ${(firstBytes / MiB).toFixed(2)} MiB; repeat visit ${secondVisit.length} requests (${secondVisit.map((r) => `${r.path} ${r.status}`).join(', ')}), ${(secondBytes / 1024).toFixed(1)} KiB`)
    expect(firstBytes).toBeGreaterThan(20 * MiB)
    expect(secondVisit.filter((r) => r.path.startsWith('/assets/'))).toEqual([])
    expect(secondBytes).toBeLessThan(64 * 1024)
  } finally {
    await context.close()
    await host.stop()
    await rm(site, { recursive: true })
  }
})
