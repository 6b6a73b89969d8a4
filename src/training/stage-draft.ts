// The Research form's choice to split a job's model into pipeline stages (issue 19): the memory one tab may
// use, and optionally the owner's own cuts, become the job's `stages` and its costed stage map. Pure, so the
// form and the tests run the same rules; every problem is a sentence naming the field to change.
import type { Model } from '../graph/model.ts'
import { planStages, type StagePlan } from '../graph/stage-plan.ts'
import { errorMessage } from '../errors.ts'
import { MAX_STAGED_INNER_STEPS, type JobStages } from './job.ts'
import { STAGE_IN_FLIGHT } from './job-stages.ts'

export interface StageDraft {
  /** The most memory one stage's tab may need, in MiB, as typed. */
  memoryMiB: string
  /** The first layer of every stage after the first, as typed ("2, 4"); empty: chosen from the memory. */
  cuts: string
}

export type StageDraftResult = { ok: true; stages: JobStages; plan: StagePlan } | { ok: false; field: keyof StageDraft | 'model' | 'innerSteps'; error: string }

/** Rows one stage runs at once: the largest divisor of the batch up to 8 (what a phone's tab runs at once). */
export const microBatchOf = (batch: number): number => Array.from({ length: Math.min(8, Math.max(1, batch)) }, (_, i) => i + 1).filter((m) => batch % m === 0).at(-1) ?? 1

/** The job's stages for `model` trained `batchSize` samples a step over `innerSteps` steps a round, or what to change. */
export function readStageDraft(draft: StageDraft, model: Model, batchSize: number, innerSteps: number, options: { fineTune?: boolean } = {}): StageDraftResult {
  const layers = model.layers.length
  if (layers < 2) return { ok: false, field: 'model', error: `a model of ${layers} layer cannot be split: give it more layers` }
  // Shard graphs run no dropout masks, and a fine-tuned body's slower learning rate is not in them either.
  if (model.dropout !== undefined && model.dropout > 0) return { ok: false, field: 'model', error: 'a model split into stages trains without dropout: set dropout to 0' }
  if (options.fineTune) return { ok: false, field: 'model', error: 'a job started from a trained model trains whole in each tab: start from scratch to split it' }
  if (innerSteps > MAX_STAGED_INNER_STEPS) return { ok: false, field: 'innerSteps', error: `a staged job's rounds take at most ${MAX_STAGED_INNER_STEPS} inner steps (the coordinator keeps an audited replica's whole round to replay it)` }
  const mib = Number(draft.memoryMiB.trim())
  if (draft.memoryMiB.trim() === '' || !Number.isFinite(mib) || mib <= 0 || mib > 2 ** 25) return { ok: false, field: 'memoryMiB', error: 'the memory per tab is a positive number of MiB, for example 64 (a phone) or 1024' }
  let cuts: number[] | undefined
  if (draft.cuts.trim() !== '') {
    const parts = draft.cuts.split(/[\s,]+/).filter(Boolean)
    cuts = parts.map(Number)
    if (!cuts.every((c) => Number.isInteger(c) && c >= 1 && c < layers)) return { ok: false, field: 'cuts', error: `each cut is a layer number from 1 to ${layers - 1} where a stage starts, for example "${Math.ceil(layers / 2)}"` }
    if (!cuts.every((c, i) => i === 0 || c > cuts![i - 1]!)) return { ok: false, field: 'cuts', error: 'the cuts must rise, each once' }
  }
  const microBatch = microBatchOf(batchSize)
  try {
    const plan = planStages(model, { microBatch, inFlight: STAGE_IN_FLIGHT, budgetBytes: Math.round(mib * 2 ** 20), ...(cuts ? { cuts } : {}) })
    if (plan.stages.length < 2) return { ok: false, field: cuts ? 'cuts' : 'memoryMiB', error: `the whole model fits ${mib} MiB in one tab (${(plan.stages[0]!.bytes / 2 ** 20).toFixed(1)} MiB): give less memory per tab or set cuts to split it` }
    return { ok: true, stages: { cuts: plan.stages.slice(1).map((s) => s.from), microBatch, budgetBytes: plan.budgetBytes }, plan }
  } catch (error) {
    return { ok: false, field: cuts ? 'cuts' : 'memoryMiB', error: errorMessage(error) }
  }
}
