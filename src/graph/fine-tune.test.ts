// Starting from an exported model: continue as it is, or a new head on the kept body; what does not fit is
// refused saying what differs.
import { describe, expect, it } from 'vitest'
import { fineTuneStart } from './fine-tune.ts'
import { initParams } from './model.ts'
import { recipeModel, type ModelRecipe } from './model-recipe.ts'

const FILE: ModelRecipe = { spec: { kind: 'mlp', hidden: [8, 6] }, input: { kind: 'vector', width: 5 }, outputs: 3, objective: 'classes' }
const file = { recipe: FILE, params: initParams(recipeModel(FILE), 4) }

describe('fineTuneStart', () => {
  it('continues with the file\'s parameters and every layer at the full rate', () => {
    const start = fineTuneStart(file, FILE, 'continue', 9)
    expect(start.recipe).toEqual(FILE)
    expect([...start.params.entries()]).toEqual([...file.params.entries()])
    expect(start).toMatchObject({ bodyLayers: recipeModel(FILE).layers.length, bodyScale: 1 })
  })

  it('puts a new head for other outputs on the kept body, frozen or at a tenth of the rate', () => {
    const task = { input: FILE.input, outputs: 1, objective: 'values' as const }
    const frozen = fineTuneStart(file, task, 'new-head-frozen', 9)
    const model = recipeModel(frozen.recipe)
    const last = model.layers.length - 1
    expect(frozen.recipe).toEqual({ ...FILE, outputs: 1, objective: 'values' })
    expect(frozen.bodyLayers).toBe(last)
    expect(frozen.bodyScale).toBe(0)
    for (const [name, values] of frozen.params) {
      if (Number.parseInt(name, 10) < last) expect(values).toBe(file.params.get(name))
      else expect(values).toEqual(initParams(model, 9).get(name))
    }
    expect(fineTuneStart(file, task, 'new-head-slow', 9).bodyScale).toBe(0.1)
  })

  it('refuses another input, and continuing into other outputs', () => {
    expect(() => fineTuneStart(file, { ...FILE, input: { kind: 'vector', width: 6 } }, 'new-head-frozen', 1)).toThrow('the file\'s model reads {"kind":"vector","width":5}, but this task\'s samples are {"kind":"vector","width":6}')
    expect(() => fineTuneStart(file, { ...FILE, outputs: 4 }, 'continue', 1)).toThrow('the file\'s model is a mlp reading {"kind":"vector","width":5} into 3 classes, this task needs a mlp reading {"kind":"vector","width":5} into 4 classes: continuing needs the same outputs')
    const broken = { ...file, params: new Map([...file.params].filter(([name]) => !name.startsWith('1.'))) }
    expect(() => fineTuneStart(broken, { ...FILE, outputs: 2 }, 'new-head-slow', 1)).toThrow(/^the file's parameter "1\.linear\.\w+" does not fit this model's \(missing\)$/)
  })
})
