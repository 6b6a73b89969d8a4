// Models as data: the zoo's models are recipes that build them parameter for parameter, a recipe decodes only
// if every peer can build it, and a regression model trains on squared error with "close" rows counted.
import { describe, expect, it } from 'vitest'
import { decodeInputSpec, decodeModelRecipe, isZooName, recipeModel, ZOO_NAMES, ZOO_RECIPES, type ModelRecipe } from './model-recipe.ts'
import { MODEL_ZOO } from './zoo.ts'
import { paramsOf } from './model.ts'
import { Graph } from './graph.ts'
import { evaluateNamed } from './reference.ts'
import { closeCount, squaredError } from './loss.ts'

const TABULAR: ModelRecipe = { spec: { kind: 'mlp', hidden: [16] }, input: { kind: 'vector', width: 13 }, outputs: 1, objective: 'values' }

describe('model recipes', () => {
  it('build the zoo\'s three models, layer for layer and name for name', () => {
    expect(ZOO_NAMES).toEqual(['mlp', 'cnn', 'transformer'])
    for (const name of ZOO_NAMES) {
      const fromRecipe = recipeModel(ZOO_RECIPES[name])
      const zoo = MODEL_ZOO[name]()
      expect(fromRecipe.layers.map((l) => l.kind), name).toEqual(zoo.layers.map((l) => l.kind))
      expect(paramsOf(fromRecipe), name).toEqual(paramsOf(zoo))
      expect([fromRecipe.inputShape, fromRecipe.classes, fromRecipe.objective], name).toEqual([zoo.inputShape, zoo.classes, undefined])
    }
    expect(isZooName('cnn')).toBe(true)
    expect(isZooName('toString')).toBe(false)
  })

  it('builds a recipe once and gives back the same model', () => {
    expect(recipeModel(TABULAR)).toBe(recipeModel(JSON.parse(JSON.stringify(TABULAR)) as ModelRecipe))
    expect(recipeModel(TABULAR).objective).toBe('values')
    expect(recipeModel({ ...TABULAR, objective: 'classes', outputs: 3 }).objective).toBeUndefined()
  })

  it('decodes what it encodes, and refuses a recipe no peer could build, saying why', () => {
    expect(decodeModelRecipe(JSON.parse(JSON.stringify(TABULAR)))).toEqual(TABULAR)
    // Recipes written before objectives predict classes.
    const old: Partial<ModelRecipe> = { ...ZOO_RECIPES.cnn }
    delete old.objective
    expect(decodeModelRecipe(old)).toEqual(ZOO_RECIPES.cnn)
    expect(() => decodeModelRecipe({ ...TABULAR, objective: 'rank' })).toThrow('model recipe: "objective" must be "classes" or "values"')
    expect(() => decodeModelRecipe({ ...TABULAR, input: { kind: 'audio' } })).toThrow('model input: "kind" must be "image", "vector" or "tokens"')
    expect(() => decodeModelRecipe({ ...TABULAR, spec: { kind: 'transformer', layers: 1, width: 16, heads: 2 } })).toThrow('model recipe: a transformer reads tokens; this task\'s input is a feature vector')
    expect(() => decodeModelRecipe({ ...TABULAR, objective: 'classes' })).toThrow('model recipe: a classifier needs at least 2 classes, not 1')
    expect(() => decodeModelRecipe({ ...ZOO_RECIPES.transformer, objective: 'values' })).toThrow('model recipe: a language model predicts tokens, not values')
    expect(() => decodeModelRecipe({ ...TABULAR, outputs: 0 })).toThrow('model recipe: "outputs"')
    expect(() => decodeModelRecipe({ ...TABULAR, spec: { kind: 'mlp', hidden: [0] } })).toThrow('model spec: "hidden"[0] must be a whole number from 1 to 4096')
    expect(() => decodeModelRecipe('mlp')).toThrow('model recipe')
  })

  it('decodes each input kind strictly', () => {
    expect(decodeInputSpec({ kind: 'image', height: 32, width: 48, channels: 3 })).toEqual({ kind: 'image', height: 32, width: 48, channels: 3 })
    expect(() => decodeInputSpec({ kind: 'image', height: 32, width: 48, channels: 2 })).toThrow('model input: "channels" must be 1 (grayscale) or 3 (RGB)')
    expect(() => decodeInputSpec({ kind: 'image', height: 32, width: 48 })).toThrow('model input')
    expect(decodeInputSpec({ kind: 'tokens', vocab: 84, context: 128 })).toEqual({ kind: 'tokens', vocab: 84, context: 128 })
    expect(() => decodeInputSpec({ kind: 'vector', width: 1.5 })).toThrow('model input')
  })
})

describe('the regression loss', () => {
  function run(prediction: number[], target: number[], width: number) {
    const g = new Graph()
    const p = g.input('p', [prediction.length / width, width])
    const t = g.input('t', [target.length / width, width])
    g.output('loss', squaredError(p, t))
    g.output('close', closeCount(p, t))
    const out = evaluateNamed(g, { p: prediction, t: target })
    return { loss: out.loss![0]!, close: out.close![0]! }
  }

  it('is the mean over rows of the summed squared error, and counts rows within half a unit on every output', () => {
    // Errors 0.1, -0.5 (exactly half: not close), 2 → (0.01 + 0.25 + 4) / 3.
    expect(run([1.1, 0.5, 3], [1, 1, 1], 1).loss).toBeCloseTo(4.26 / 3, 12)
    expect(run([1.1, 0.5, 3], [1, 1, 1], 1).close).toBe(1)
    expect(run([1.4, 0.6], [1, 1], 1).close).toBe(2)
    // Two outputs per row: the loss sums them, a row is close only if both are.
    expect(run([0, 0, 0.1, 0.9], [0, 0.2, 0, 0], 2)).toEqual({ loss: expect.closeTo((0.04 + 0.01 + 0.81) / 2, 12), close: 1 })
  })
})
