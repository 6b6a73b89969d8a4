// The tests Stryker may run against a mutant: the unit and contract tests beside the code. The Node swarm
// and full-training tests in server/ (minutes each) stay out: they run in `npm test`, not once per mutant.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['src/**/*.test.ts', 'contracts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
})
