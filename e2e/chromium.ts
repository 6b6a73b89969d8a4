// How e2e tests launch Chromium: Debian's /usr/bin/chromium (no Playwright browser download), with flags
// that keep it off the network except for what a test asks for.
import { chromium, type Browser } from '@playwright/test'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Real host ICE candidates instead of mDNS names, which cannot resolve inside the test namespace.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
]

/** WebGPU through SwiftShader: a real adapter on any machine, correct but slow. */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu']

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] })
}
