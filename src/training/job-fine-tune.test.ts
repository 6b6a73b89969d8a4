// A fine-tuning job's settings as peers decode them, the train step's scale they imply, and the owner's draft
// that starts a job from an exported model.
import { describe, expect, it } from 'vitest'
import { decodeJob, jobLrScale } from './job.ts'
import { testJob } from './testing/job-fixture.ts'
import { buildTaskJob, readOwnFile } from './task-draft.ts'
import { exportTrainedModel } from '../graph/export-model.ts'
import { readExportedModel } from '../graph/onnx/import-model.ts'
import { initParams } from '../graph/model.ts'
import { recipeModel } from '../graph/model-recipe.ts'

const base = JSON.parse(JSON.stringify(testJob()))
const fineTune = { from: { job: 'wine', name: 'Wine cultivars', version: 4 }, paramsCid: 'bafyparams', bodyLayers: 2, bodyScale: 0 }

describe('fine-tuning jobs', () => {
  it('decodes a job\'s fine-tuning strictly and scales only a body that trains slower', () => {
    expect(decodeJob({ ...base, fineTune }).fineTune).toEqual(fineTune)
    expect(jobLrScale(decodeJob({ ...base, fineTune }))).toEqual({ bodyLayers: 2, bodyScale: 0 })
    expect(jobLrScale(decodeJob({ ...base, fineTune: { ...fineTune, bodyScale: 1 } }))).toBeUndefined()
    expect(jobLrScale(decodeJob(base))).toBeUndefined()
    const layers = recipeModel({ spec: { kind: 'mlp', hidden: [256, 128] }, input: { kind: 'image', height: 28, width: 28, channels: 1 }, outputs: 10, objective: 'classes' }).layers.length
    expect(decodeJob({ ...base, fineTune: { ...fineTune, bodyLayers: layers } }).fineTune!.bodyLayers).toBe(layers)
    expect(() => decodeJob({ ...base, fineTune: { ...fineTune, bodyLayers: layers + 1 } })).toThrow('"bodyLayers"')
    expect(() => decodeJob({ ...base, fineTune: { ...fineTune, bodyScale: 1.5 } })).toThrow('"bodyScale"')
    expect(() => decodeJob({ ...base, fineTune: { ...fineTune, bodyScale: -0.1 } })).toThrow('"bodyScale"')
    expect(() => decodeJob({ ...base, fineTune: { ...fineTune, paramsCid: 'a b' } })).toThrow('"paramsCid" is not a content id')
    expect(() => decodeJob({ ...base, fineTune: { ...fineTune, from: { ...fineTune.from, version: -1 } } })).toThrow('"version"')
    expect(() => decodeJob({ ...base, fineTune: { ...fineTune, from: null } })).toThrow()
  })

  it('the owner\'s draft starts from the file: its model, its parameters, and the mode\'s body scale', () => {
    const csv = 'a,b,kind\n' + Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 2 ? 'odd' : 'even'}`).join('\n')
    const data = readOwnFile({ name: 'rows.csv', bytes: new TextEncoder().encode(csv) })
    const plain = buildTaskJob(data, { label: 'kind', model: { kind: 'mlp', hidden: [6] }, microBatch: 4 })
    expect(plain.start).toBeUndefined()
    const file = readExportedModel(exportTrainedModel(plain.recipe, initParams(recipeModel(plain.recipe), 3), { jobId: 'first', jobName: 'First rows', version: 7, task: plain.task }), 'first.onnx')
    // The draft's own model spec is ignored: the job trains the file's.
    const continued = buildTaskJob(data, { label: 'kind', model: { kind: 'mlp', hidden: [50] }, microBatch: 4, start: { file, mode: 'continue' } })
    expect(continued.recipe).toEqual(plain.recipe)
    expect(continued.start!.fineTune).toEqual({ from: { job: 'first', name: 'First rows', version: 7 }, bodyLayers: recipeModel(plain.recipe).layers.length, bodyScale: 1 })
    expect([...continued.start!.params.keys()]).toEqual([...file.params.keys()])
    const slow = buildTaskJob(data, { label: 'kind', model: { kind: 'mlp', hidden: [50] }, microBatch: 4, start: { file, mode: 'new-head-slow' } })
    expect(slow.start!.fineTune.bodyScale).toBe(0.1)
    // Another question on other columns cannot keep this body.
    expect(() => buildTaskJob(readOwnFile({ name: 'more.csv', bytes: new TextEncoder().encode('a,kind\n1,x\n2,y\n3,x\n4,y\n5,x\n6,y\n7,x') }), { label: 'kind', model: { kind: 'mlp', hidden: [6] }, microBatch: 4, start: { file, mode: 'new-head-frozen' } })).toThrow(/^the file's model reads .*, but this task's samples are/)
  })
})
