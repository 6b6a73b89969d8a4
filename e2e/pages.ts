// Page checks shared by the UX specs: screenshots that must really show the page, horizontal overflow at
// phone width, and an axe-core accessibility audit.
import { mkdir, writeFile } from 'node:fs/promises'
import { expect, type Page } from '@playwright/test'
import AxeBuilder from '@axe-core/playwright'

export const DESKTOP = { width: 1280, height: 900 }
export const PHONE = { width: 390, height: 844 }
/** The narrowest phones still sold (iPhone SE 1st gen, small Androids). */
export const NARROW = { width: 320, height: 640 }
export const SCREENSHOT_DIR = 'test-results/screenshots'

/** Distinct colours in a PNG, counted by the browser's own decoder. */
async function distinctColours(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(async (base64) => {
    const image = new Image()
    image.src = `data:image/png;base64,${base64}`
    await image.decode()
    const canvas = new OffscreenCanvas(image.width, image.height)
    const context = canvas.getContext('2d')!
    context.drawImage(image, 0, 0)
    const data = context.getImageData(0, 0, image.width, image.height).data
    const seen = new Set<number>()
    for (let i = 0; i < data.length; i += 16) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!)
    return seen.size
  }, png.toString('base64'))
}

/** Saves a full-page screenshot at the given size and checks it rendered: no error overlay, real content. */
export async function screenshot(page: Page, name: string, size: { width: number; height: number }): Promise<string> {
  await page.setViewportSize(size)
  await expect(page.locator('vite-error-overlay')).toHaveCount(0)
  await expect(page.locator('.fatal')).toHaveCount(0)
  await expect(page.locator('h1')).toBeVisible()
  // Nothing may stick out sideways: the page scrolls vertically only, at every width.
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0)
  // The pages stay on one row of navigation, each link whole and inside the viewport.
  const links = await page.locator('nav[aria-label="Main"] a').evaluateAll((as) => as.map((a) => a.getBoundingClientRect()).map((r) => ({ top: Math.round(r.top), left: r.left, right: r.right })))
  expect(new Set(links.map((l) => l.top)).size, `navigation on one row at ${size.width} px`).toBe(1)
  expect(links.every((l) => l.left >= 0 && l.right <= size.width), `navigation links visible at ${size.width} px`).toBe(true)
  const png = await page.screenshot({ fullPage: true })
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  const file = `${SCREENSHOT_DIR}/${name}-${size.width}.png`
  await writeFile(file, png)
  expect(png.length).toBeGreaterThan(10_000)
  expect(await distinctColours(page, png)).toBeGreaterThan(20)
  return file
}

/** axe-core WCAG 2.1 A/AA rules: labels, names, roles, contrast, keyboard-reachable controls. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  const found = results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`)
  expect(found, `accessibility problems on ${what}`).toEqual([])
}

/** The tab's own peer id, once its swarm has started. */
export async function peerIdOf(page: Page): Promise<string> {
  const id = page.getByTestId('self-peer-id')
  await expect(id).toHaveText(/^12D3KooW/, { timeout: 60_000 })
  return (await id.textContent())!
}
