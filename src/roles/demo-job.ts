// The demo job's defaults: Fashion-MNIST, DiLoCo with AdamW inside and Nesterov outside. Settings chosen to
// show progress within minutes on a few laptop tabs; a researcher overrides any of them.
import type { JobSpec, ShardRef } from '../training/job.ts'
import { FASHION_MNIST_NORMALISATION } from '../data/batches.ts'
import { FASHION_MNIST_CLASSES } from '../data/fashion-mnist-files.ts'

export function demoJobSpec(options: { coordinator: string; train: ShardRef[]; test: ShardRef[]; now: number; overrides?: Partial<JobSpec> }): JobSpec {
  return {
    id: `fashion-mnist-${options.now.toString(36)}`,
    name: 'Fashion-MNIST CNN',
    model: 'cnn',
    classes: [...FASHION_MNIST_CLASSES],
    coordinator: options.coordinator,
    train: options.train,
    test: options.test,
    normalisation: FASHION_MNIST_NORMALISATION,
    batchSize: 32,
    innerSteps: 64,
    innerLr: 1e-3,
    outerLr: 0.7,
    outerMomentum: 0.9,
    unitsPerRound: 4,
    roundMs: 120_000,
    auditRate: 0.25,
    aggregator: 'centred-clip',
    rounds: 0,
    seed: 1,
    createdAtMs: options.now,
    ...options.overrides,
  }
}
