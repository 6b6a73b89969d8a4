// A job comes from a peer and drives what every volunteer runs: each field is bounded, at its limit.
import { describe, expect, it } from 'vitest'
import { decodeJob, jobModel, jobRecipe, jobTask, MAX_SHARDS, readShardRef, taskJobFields, unitSamples } from './job.ts'
import { testJob } from './testing/job-fixture.ts'
import { ZOO_RECIPES, type ModelRecipe } from '../graph/model-recipe.ts'
import { MODEL_ZOO } from '../graph/zoo.ts'
import { paramsOf } from '../graph/model.ts'
import type { TaskSpec } from '../data/task.ts'

const WINE: TaskSpec = {
  kind: 'tabular',
  schema: { kind: 'tabular', features: [{ name: 'alcohol', kind: 'numeric' }, { name: 'hue', kind: 'numeric' }], label: 'cultivar', target: { kind: 'classification', classes: ['class_0', 'class_1', 'class_2'] } },
  stats: { features: [{ mean: 13, std: 0.8 }, { mean: 1, std: 0.2 }] },
  target: null,
}
const WINE_MODEL: ModelRecipe = { spec: { kind: 'mlp', hidden: [16] }, input: { kind: 'vector', width: 2 }, outputs: 3, objective: 'classes' }
const RGB: TaskSpec = { kind: 'image', height: 16, width: 24, channels: 3, classes: ['blue_stripes', 'red_dots'], fit: 'pad', normalisation: { mean: 0.4, std: 0.3 } }
const RGB_MODEL: ModelRecipe = { spec: { kind: 'cnn', channels: [4, 8], dense: 16 }, input: { kind: 'image', height: 16, width: 24, channels: 3 }, outputs: 2, objective: 'classes' }

const decode = (patch: object) => decodeJob({ ...testJob(), ...patch })

describe('job decoding', () => {
  it('decodes what it encodes, reward pool included', () => {
    const job = testJob({ reward: { amount: '1000', symbol: 'ETH', decimals: 18, dataShareBps: 2000 } })
    expect(decodeJob(JSON.parse(JSON.stringify(job)))).toEqual(job)
    expect(unitSamples(job)).toBe(8 * 4)
  })

  it('names classes by index for jobs saved before they had names, and holds named classes to the model', () => {
    expect(decode({ classes: undefined }).classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    expect(() => decode({ classes: ['a'] })).toThrow('job: names 1 classes but the mlp model has 10 outputs')
    expect(() => decode({ classes: [...testJob().classes.slice(1), 'c'.repeat(65)] })).toThrow('"classes[9]" is longer than 64')
  })

  it('carries its own task and model, deriving the classes and normalisation older peers read', () => {
    const wine = testJob(taskJobFields(WINE, WINE_MODEL))
    expect(wine).toMatchObject({ model: 'mlp', classes: ['class_0', 'class_1', 'class_2'], normalisation: { mean: 0, std: 1 } })
    const back = decodeJob(JSON.parse(JSON.stringify(wine)))
    expect(back).toEqual(wine)
    expect([jobTask(back), jobRecipe(back), jobModel(back).inputShape]).toEqual([WINE, WINE_MODEL, [2]])
    const rgb = decodeJob(JSON.parse(JSON.stringify(testJob(taskJobFields(RGB, RGB_MODEL)))))
    expect(rgb).toMatchObject({ model: 'cnn', classes: ['blue_stripes', 'red_dots'], normalisation: { mean: 0.4, std: 0.3 } })
    // The fields a task derives are derived, whatever a peer wrote in them.
    expect(decodeJob({ ...JSON.parse(JSON.stringify(rgb)), classes: ['x', 'y', 'z'], normalisation: { mean: 9, std: 9 } })).toEqual(rgb)
    const price = { ...WINE, schema: { ...WINE.schema, target: { kind: 'regression' as const } }, target: { mean: 5, std: 2 } }
    expect(decodeJob(testJob(taskJobFields(price, { ...WINE_MODEL, outputs: 1, objective: 'values' }))).classes).toEqual([])
  })

  it('refuses a task its model cannot read or predict, and a model without the family it names', () => {
    const wine = { ...testJob(), ...taskJobFields(WINE, WINE_MODEL) }
    expect(() => decodeJob({ ...wine, recipe: { ...WINE_MODEL, outputs: 2 } })).toThrow('job: its model does not read or predict what the task\'s samples are (the task needs 3 classes from {"kind":"vector","width":2})')
    expect(() => decodeJob({ ...wine, recipe: { ...WINE_MODEL, input: { kind: 'vector', width: 3 } } })).toThrow('job: its model does not read or predict')
    expect(() => decodeJob({ ...wine, recipe: { ...WINE_MODEL, outputs: 1, objective: 'values' } })).toThrow('job: its model does not read or predict')
    expect(() => decodeJob({ ...wine, model: 'cnn' })).toThrow('job: names the cnn family but its model is a mlp')
    expect(() => decodeJob({ ...wine, recipe: undefined })).toThrow('job: a job with its own task needs its own model ("recipe")')
    expect(() => decodeJob({ ...wine, task: { ...WINE, kind: 'audio' } })).toThrow('task: "kind" must be "image", "tabular" or "text"')
    expect(() => decodeJob({ ...wine, recipe: { ...WINE_MODEL, spec: { kind: 'mlp', hidden: [0] } } })).toThrow('model spec: "hidden"[0]')
  })

  it('trains the zoo model it names, or its own model on 28×28 grayscale images when it has no task', () => {
    const old = decode({})
    expect(jobRecipe(old)).toBe(ZOO_RECIPES.mlp)
    expect(paramsOf(jobModel(old))).toEqual(paramsOf(MODEL_ZOO.mlp()))
    expect(jobTask(old)).toEqual({ kind: 'image', height: 28, width: 28, channels: 1, classes: old.classes, fit: 'stretch', normalisation: old.normalisation })
    const own = decode({ recipe: { ...ZOO_RECIPES.mlp, spec: { kind: 'mlp', hidden: [32] } } })
    expect(paramsOf(jobModel(own)).map((p) => p.shape)).toEqual([[784, 32], [32], [32, 10], [10]])
    expect(() => decode({ recipe: RGB_MODEL })).toThrow('job: names the mlp family but its model is a cnn')
    expect(() => decode({ model: 'cnn', recipe: RGB_MODEL })).toThrow('job: a job without a task trains on 28×28 grayscale images, so its model must read those and predict classes')
    // Each way a model can fail to read 28×28 grayscale images or predict classes, alone.
    const image = { kind: 'image' as const, height: 28, width: 28, channels: 1 as const }
    for (const input of [{ ...image, height: 27 }, { ...image, width: 29 }, { ...image, channels: 3 as const }]) {
      expect(() => decode({ recipe: { ...ZOO_RECIPES.mlp, input } }), JSON.stringify(input)).toThrow('job: a job without a task trains on 28×28 grayscale images')
    }
    expect(() => decode({ recipe: { ...ZOO_RECIPES.mlp, objective: 'values' } })).toThrow('job: a job without a task trains on 28×28 grayscale images')
    expect(decode({ model: 'cnn', recipe: { ...RGB_MODEL, input: image, outputs: 10 } }).recipe!.input).toEqual(image)
    // A job with neither carries neither field (not even as undefined, which a peer's re-encoding would differ on).
    expect(Object.keys(decode({}))).not.toEqual(expect.arrayContaining(['recipe']))
    expect(Object.keys(decode({}))).not.toEqual(expect.arrayContaining(['task']))
    expect(() => decode({ recipe: { ...ZOO_RECIPES.mlp, outputs: 3 } })).toThrow('job: names 10 classes but the mlp model has 3 outputs')
  })

  it('takes 1 to 512 training shards and up to 512 test shards', () => {
    const shard = testJob().train[0]!
    expect(decode({ train: Array(MAX_SHARDS).fill(shard), test: Array(MAX_SHARDS).fill(shard) }).train).toHaveLength(512)
    expect(() => decode({ train: Array(MAX_SHARDS + 1).fill(shard) })).toThrow('"train" must be an array of at most 512 shards')
    expect(() => decode({ test: Array(MAX_SHARDS + 1).fill(shard) })).toThrow('"test" must be an array of at most 512 shards')
    expect(() => decode({ test: undefined })).toThrow('"test" must be an array')
    expect(() => decode({ train: [{ ...shard, cid: 'c'.repeat(129) }] })).toThrow('job train[0]: "cid" is longer than 128')
    expect(readShardRef({ cid: 'c', samples: 1, owner: 'o' }, 's')).toEqual({ cid: 'c', samples: 1, owner: 'o' })
  })

  it('bounds every hyper-parameter at its limits', () => {
    const limits: Array<[string, number, number]> = [
      ['batchSize', 1, 1024], ['innerSteps', 1, 10_000], ['unitsPerRound', 1, 1024], ['roundMs', 1000, 24 * 3600_000],
      ['rounds', 0, 1_000_000], ['seed', 0, 0xffffffff], ['innerLr', 1e-8, 1], ['outerLr', 0, 10], ['outerMomentum', 0, 0.999], ['auditRate', 0, 1],
    ]
    for (const [key, min, max] of limits) {
      expect(decode({ [key]: min })[key as 'seed'], key).toBe(min)
      expect(decode({ [key]: max })[key as 'seed'], key).toBe(max)
      const below = Number.isInteger(min) && key !== 'outerLr' && key !== 'outerMomentum' && key !== 'auditRate' ? min - 1 : min - 1e-9
      expect(() => decode({ [key]: below }), key).toThrow(`"${key}" must be between`)
      const above = Number.isInteger(max) && key !== 'innerLr' && key !== 'auditRate' ? max + 1 : max + 1e-6
      expect(() => decode({ [key]: above }), key).toThrow(`"${key}" must be between`)
    }
    expect(() => decode({ normalisation: { mean: 0, std: 0 } })).toThrow('"std" must be between 1e-9')
    expect(() => decode({ normalisation: { mean: 2e6, std: 1 } })).toThrow('"mean" must be between -1000000 and 1000000')
    expect(() => decode({ name: 'n'.repeat(201) })).toThrow('"name" is longer than 200')
    expect(() => decode({ model: 'm'.repeat(33) })).toThrow('"model" is longer than 32')
  })

  it('reads the audit rate, or the redundancy of jobs announced before audits, and an aggregator by name', () => {
    expect(decode({ auditRate: undefined, redundancy: 0.75 }).auditRate).toBe(0.75)
    expect(decode({ auditRate: 0.3, redundancy: 1 }).auditRate).toBe(0.3)
    expect(() => decode({ auditRate: undefined })).toThrow('"auditRate" must be a finite number')
    for (const aggregator of ['mean', 'trimmed-mean', 'median', 'centred-clip']) expect(decode({ aggregator }).aggregator).toBe(aggregator)
    expect(() => decode({ aggregator: 'a'.repeat(33) })).toThrow('"aggregator" is longer than 32')
  })
})
