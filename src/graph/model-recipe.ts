// A model as data: the spec (family and sizes), the input it reads, how many outputs and what they are. A job
// carries one, a volunteer's worker builds the same layers from it, and the exported file and the use page
// rebuild it. The three zoo models are recipes too, so a job announced before specs still names one by name.
import { DecodeError, TesseraeError } from '../errors.ts'
import { asObject, readInteger } from '../schema.ts'
import { buildModel, decodeModelSpec, type InputSpec, type ModelSpec } from './model-spec.ts'
import type { Model } from './model.ts'

export interface ModelRecipe {
  spec: ModelSpec
  input: InputSpec
  outputs: number
  objective: 'classes' | 'values'
}

/** The zoo's models (zoo.ts) as recipes: the same layers, in the same order, with the same parameter names. */
export const ZOO_RECIPES = {
  mlp: { spec: { kind: 'mlp', hidden: [256, 128] }, input: { kind: 'image', height: 28, width: 28, channels: 1 }, outputs: 10, objective: 'classes' },
  cnn: { spec: { kind: 'cnn', channels: [16, 32], dense: 128 }, input: { kind: 'image', height: 28, width: 28, channels: 1 }, outputs: 10, objective: 'classes' },
  transformer: { spec: { kind: 'transformer', layers: 1, width: 16, heads: 2 }, input: { kind: 'tokens', vocab: 16, context: 8 }, outputs: 16, objective: 'classes' },
} as const satisfies Record<string, ModelRecipe>

export type ZooName = keyof typeof ZOO_RECIPES
export const ZOO_NAMES = Object.keys(ZOO_RECIPES) as ZooName[]

export const isZooName = (name: string): name is ZooName => Object.hasOwn(ZOO_RECIPES, name)

// A recipe builds to the same model every time; volunteers and the coordinator ask for it once per unit.
const built = new Map<string, Model>()

/** The model a recipe describes (throws BAD_MODEL_SPEC naming what is wrong). */
export function recipeModel(recipe: ModelRecipe): Model {
  const key = JSON.stringify(recipe)
  let model = built.get(key)
  if (!model) {
    model = buildModel(recipe.spec, recipe.input, recipe.outputs, recipe.objective)
    if (built.size >= 32) built.clear()
    built.set(key, model)
  }
  return model
}

export function decodeInputSpec(value: unknown): InputSpec {
  const what = 'model input'
  const obj = asObject(value, what)
  if (obj.kind === 'image') {
    const channels = readInteger(obj, 'channels', what, 1, 3)
    if (channels !== 1 && channels !== 3) throw new DecodeError(what, '"channels" must be 1 (grayscale) or 3 (RGB)')
    return { kind: 'image', height: readInteger(obj, 'height', what, 1, 4096), width: readInteger(obj, 'width', what, 1, 4096), channels }
  }
  if (obj.kind === 'vector') return { kind: 'vector', width: readInteger(obj, 'width', what, 1, 1 << 20) }
  if (obj.kind === 'tokens') return { kind: 'tokens', vocab: readInteger(obj, 'vocab', what, 1, 1 << 20), context: readInteger(obj, 'context', what, 1, 1 << 20) }
  throw new DecodeError(what, '"kind" must be "image", "vector" or "tokens"')
}

/**
 * Strict decoder for a recipe a job carries or a researcher loads from a file: each part is read, then the
 * model is built once, so a recipe that decodes is one every peer can build (the builder's bounds apply).
 */
export function decodeModelRecipe(value: unknown): ModelRecipe {
  const what = 'model recipe'
  const obj = asObject(value, what)
  const objective = obj.objective ?? 'classes'
  if (objective !== 'classes' && objective !== 'values') throw new DecodeError(what, '"objective" must be "classes" or "values"')
  const recipe: ModelRecipe = { spec: decodeModelSpec(obj.spec), input: decodeInputSpec(obj.input), outputs: readInteger(obj, 'outputs', what, 1, 1 << 20), objective }
  try {
    recipeModel(recipe)
  } catch (error) {
    if (error instanceof TesseraeError) throw new DecodeError(what, error.message)
    throw error
  }
  return recipe
}
