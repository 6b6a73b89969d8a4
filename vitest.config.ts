import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'server/**/*.test.ts', 'contracts/**/*.test.ts', 'mutation/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
})
