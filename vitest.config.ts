import { configDefaults, defineConfig } from 'vitest/config'

const all = ['src/**/*.test.ts', 'server/**/*.test.ts', 'contracts/**/*.test.ts', 'mutation/**/*.test.ts', 'bench/**/*.test.ts']
// Tests that race real timers against rate limits and gossip heartbeats (a flooding peer must be hung up on
// within a deadline, a message must cross the relay's mesh): on a loaded machine their timing is not the one
// they check. Three workers made them fail in two of four full runs, so they run after everything else, alone.
const timing = ['src/p2p/relay-flood.test.ts', 'src/p2p/relay-gossip.test.ts']

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    projects: [
      // Three workers on CI's two cores: most files wait on sockets, chains and child processes, not the CPU
      // (8.1 min on one worker, 4.9 min on three, about the same CPU time).
      { extends: true, test: { name: 'unit', include: all, exclude: [...configDefaults.exclude, ...timing], maxWorkers: 3, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'timing', include: timing, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
})
