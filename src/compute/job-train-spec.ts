// The train step a job's units run, as a compute worker compiles it: the volunteer's, the referee's and a
// headless peer's engines must build the same step, or the referee's replays would not match.
import { jobLrScale, jobRecipe, type JobSpec } from '../training/job.ts'
import type { TrainSpec } from './worker-protocol.ts'

export function jobTrainSpec(job: Pick<JobSpec, 'model' | 'recipe' | 'batchSize' | 'seed' | 'fineTune'>): TrainSpec {
  const lrScale = jobLrScale(job)
  return { model: jobRecipe(job), batchSize: job.batchSize, optimizer: 'adamw', seed: job.seed, ...(lrScale ? { lrScale } : {}) }
}
