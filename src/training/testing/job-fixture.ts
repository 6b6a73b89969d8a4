// A small job spec for tests: every field valid, overridable per test.
import type { JobSpec } from '../job.ts'

export function testJob(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    id: 'job-test',
    name: 'test job',
    model: 'mlp',
    classes: ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'],
    coordinator: 'coordinator',
    train: Array.from({ length: 8 }, (_, i) => ({ cid: `shard-${i}`, samples: 64, owner: i < 4 ? 'alice' : 'bob' })),
    test: [],
    normalisation: { mean: 0, std: 1 },
    batchSize: 8,
    innerSteps: 4,
    innerLr: 1e-3,
    outerLr: 0.7,
    outerMomentum: 0.9,
    unitsPerRound: 4,
    roundMs: 10_000,
    auditRate: 0.5,
    aggregator: 'centred-clip',
    rounds: 0,
    seed: 42,
    createdAtMs: 0,
    ...overrides,
  }
}
