import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'server/**/*.test.ts', 'contracts/**/*.test.ts', 'mutation/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    // Vitest's default is one worker per core less one: a single worker on CI's two cores, so the suite ran
    // file after file, idle while swarm and chain tests waited on timers and sockets. Three workers keep both
    // cores busy (8.3 -> 4.7 min for the unit suite on the 2-core machine; the CPU time is about the same).
    maxWorkers: 3,
  },
})
