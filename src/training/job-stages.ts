// A job's stage map (issue 19): the owner's cuts of the model into pipeline stages, costed as stage-plan.ts
// costs them, and what the use page weighs to decide whether a visitor's tab can run the model alone.
import { countFlops, opFloats } from '../graph/flops.ts'
import { buildShard } from '../graph/shard.ts'
import { paramsOf, shapeAt, type Model } from '../graph/model.ts'
import { numel, type Shape } from '../graph/shape.ts'
import { planStages, type StagePlan } from '../graph/stage-plan.ts'
import { buildInference } from '../graph/train-step.ts'
import { jobModel, type JobSpec } from './job.ts'
import { TesseraeError } from '../errors.ts'

/** Micro-batches in flight through a training pipeline: each stage holds the input of every one. */
export const STAGE_IN_FLIGHT = 2

/** The job's stages, costed (null for a job that trains the whole model in each tab). */
export function jobStagePlan(job: JobSpec): StagePlan | null {
  if (!job.stages) return null
  const { cuts, microBatch, budgetBytes } = job.stages
  return planStages(jobModel(job), { cuts, microBatch, inFlight: STAGE_IN_FLIGHT, budgetBytes })
}

/**
 * FLOPs of one micro-batch through each stage's forward graph and its backward graph: what a staged job pays per
 * answered call, counted from the graphs the job's spec makes (never a peer's claim).
 */
export function stageFlopsOf(job: JobSpec): Array<{ forward: number; backward: number }> {
  if (!job.stages) throw new TesseraeError('BAD_STAGE_PLAN', `job "${job.id}" is not split into stages`)
  const model = jobModel(job)
  return stageRanges(model, job.stages.cuts).map(([from, to]) => {
    const shard = buildShard(model, from, to, job.stages!.microBatch)
    return { forward: countFlops(shard.forward), backward: countFlops(shard.backward) }
  })
}

/** Layer ranges [from, to) of stages cut at `cuts`. */
export function stageRanges(model: Model, cuts: readonly number[]): Array<[number, number]> {
  const bounds = [0, ...cuts, model.layers.length]
  return bounds.slice(1).map((to, i) => [bounds[i]!, to])
}

/** Stage `stage`'s layers [from, to) of `job`'s model; a typed error for a job without stages or without that one. */
export function jobStageRange(job: JobSpec, stage: number): [number, number] {
  if (!job.stages) throw new TesseraeError('BAD_STAGE_PLAN', `job "${job.id}" is not split into stages`)
  const ranges = stageRanges(jobModel(job), job.stages.cuts)
  const range = Number.isInteger(stage) ? ranges[stage] : undefined
  if (!range) throw new TesseraeError('BAD_STAGE_PLAN', `job "${job.id}" has stages 0 to ${ranges.length - 1}, not ${stage}`)
  return range
}

/** The per-sample shape going into each stage, then the model's output: what a pipeline driver sends and reads. */
export function stageShapes(model: Model, cuts: readonly number[]): Shape[] {
  return [...stageRanges(model, cuts).map(([from]) => shapeAt(model, from)), shapeAt(model, model.layers.length)]
}

/**
 * Bytes a tab needs to run the whole model forward on one sample: its parameters in float32 and every value the
 * inference graph computes (an upper bound: the runtime frees some as it goes).
 */
export function inferenceBytes(model: Model): number {
  const parameters = paramsOf(model).reduce((n, p) => n + numel(p.shape), 0)
  return 4 * (parameters + opFloats(buildInference(model, 1)))
}
