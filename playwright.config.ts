// End-to-end tests in real Chromium against the real local stack (relay, anvil, static server), started
// once by e2e/global-setup.ts. Run through `npm run test:e2e`, which isolates the network on Linux.
import { defineConfig } from '@playwright/test'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './e2e/chromium.ts'

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  // One retry: these tests run real browsers, WebRTC and chains on a shared 2-core machine, and one stop's CI
  // failed in a run whose log nobody can read. A test that passes only on its retry is reported as flaky in the
  // list (and counted at the end), so it is seen, not hidden; one that fails twice fails the suite.
  retries: 1,
  reporter: [['list']],
  outputDir: 'test-results',
  globalSetup: './e2e/global-setup.ts',
  use: {
    baseURL: process.env.TESSERAE_URL,
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    trace: 'retain-on-failure',
  },
  projects: [{ name: 'chromium' }],
})
