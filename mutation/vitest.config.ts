// The tests Stryker may run against a mutant: the unit and contract tests beside the code. The Node swarm
// and full-training tests in server/ (minutes each) stay out: they run in `npm test`, not once per mutant.
// Test files run fastest first: Stryker stops at the first failing test, so a mutant a quick test kills
// never waits for the slow ones.
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BaseSequencer, type TestSpecification } from 'vitest/node'
import { defineConfig } from 'vitest/config'

class FastestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx
    const cost = (f: TestSpecification) => {
      const key = `${f.project.name}:${relative(config.root, f.moduleId)}`
      // Files never timed yet go last, smallest first.
      return cache.getFileTestResults(key)?.duration ?? 1e9 + (cache.getFileStats(key)?.size ?? 0)
    }
    return [...files].sort((a, b) => cost(a) - cost(b))
  }
}

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['src/**/*.test.ts', 'contracts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    sequence: { sequencer: FastestFirst },
  },
})
