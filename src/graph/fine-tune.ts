// Starting a job from a model Tesserae exported (onnx/import-model.ts): continue training it as it is, or keep
// its body and put a new head on it for another set of outputs, the body frozen or trained at a tenth of the
// rate. The starting parameters are the file's where the model keeps them and fresh (from the job's seed) for a
// new head; the layers kept are what the train step scales (train-step.ts LrScale).
import { TesseraeError } from '../errors.ts'
import { initParams, paramsOf } from './model.ts'
import { recipeModel, type ModelRecipe } from './model-recipe.ts'
import type { ExportedModel } from './onnx/import-model.ts'

export const FINE_TUNE_MODES = ['continue', 'new-head-frozen', 'new-head-slow'] as const
export type FineTuneMode = (typeof FINE_TUNE_MODES)[number]

/** The kept body's learning rate as a share of the job's, per mode. */
export const BODY_SCALES: Readonly<Record<FineTuneMode, number>> = { continue: 1, 'new-head-frozen': 0, 'new-head-slow': 0.1 }

export interface FineTuneStart {
  /** The job's model: the file's, with the task's outputs for a new head. */
  recipe: ModelRecipe
  params: Map<string, Float32Array>
  /** Layers taken from the file (the body); the layers after it start fresh. */
  bodyLayers: number
  bodyScale: number
}

const describe = (r: ModelRecipe) => `${r.spec.kind} reading ${JSON.stringify(r.input)} into ${r.outputs} ${r.objective}`

/**
 * The start of a job whose samples the task describes (`input`, `outputs`, `objective`) from `file`; throws
 * MODEL_MISMATCH saying what differs when the file's model cannot start it.
 */
export function fineTuneStart(file: Pick<ExportedModel, 'recipe' | 'params'>, task: Omit<ModelRecipe, 'spec'>, mode: FineTuneMode, seed: number): FineTuneStart {
  const recipe: ModelRecipe = { spec: file.recipe.spec, input: task.input, outputs: task.outputs, objective: task.objective }
  if (JSON.stringify(recipe.input) !== JSON.stringify(file.recipe.input)) {
    throw new TesseraeError('MODEL_MISMATCH', `the file's model reads ${JSON.stringify(file.recipe.input)}, but this task's samples are ${JSON.stringify(recipe.input)}: a kept body must read the same inputs`)
  }
  const model = recipeModel(recipe)
  if (mode === 'continue') {
    if (JSON.stringify(recipe) !== JSON.stringify(file.recipe)) throw new TesseraeError('MODEL_MISMATCH', `the file's model is a ${describe(file.recipe)}, this task needs a ${describe(recipe)}: continuing needs the same outputs; start with a new head instead`)
    return { recipe, params: new Map(file.params), bodyLayers: model.layers.length, bodyScale: BODY_SCALES.continue }
  }
  // The head is the last layer with parameters; everything before it is the body the file provides.
  const head = Math.max(...paramsOf(model).map((p) => p.layer))
  const fresh = initParams(model, seed)
  const params = new Map<string, Float32Array>()
  for (const p of paramsOf(model)) {
    if (p.layer >= head) {
      params.set(p.name, fresh.get(p.name)!)
      continue
    }
    const kept = file.params.get(p.name)
    if (!kept || kept.length !== fresh.get(p.name)!.length) throw new TesseraeError('MODEL_MISMATCH', `the file's parameter "${p.name}" does not fit this model's (${kept ? `${kept.length} values, not ${fresh.get(p.name)!.length}` : 'missing'})`)
    params.set(p.name, kept)
  }
  return { recipe, params, bodyLayers: head, bodyScale: BODY_SCALES[mode] }
}
