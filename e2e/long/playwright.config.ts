// Long runs in the e2e harness (the stack in its network namespace, real Chromium), kept out of the suite:
// `npm run train:tab` runs them. Same browser and stack as playwright.config.ts; no time limit.
import { defineConfig } from '@playwright/test'
import base from '../../playwright.config.ts'

export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: '**/*.long.ts',
  timeout: 0,
  retries: 0,
  globalSetup: '../global-setup.ts',
  outputDir: '../../test-results/long',
})
