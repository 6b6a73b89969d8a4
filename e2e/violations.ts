// Content-Security-Policy violations a page reports, recorded from before its first script runs, so a spec
// can require that its pages did their work without the policy refusing anything.
import type { Page } from '@playwright/test'

export interface Violation {
  directive: string
  blocked: string
}

/** Starts recording on `page`; the returned function reads what was reported so far. */
export async function recordViolations(page: Page): Promise<() => Promise<Violation[]>> {
  await page.addInitScript(() => {
    const seen: Array<{ directive: string; blocked: string }> = []
    Object.defineProperty(window, '__violations', { value: seen })
    document.addEventListener('securitypolicyviolation', (e) => seen.push({ directive: e.effectiveDirective, blocked: e.blockedURI }))
  })
  return () => page.evaluate(() => (window as unknown as { __violations: Violation[] }).__violations.slice())
}
