// The Research form's stage choice: a memory per tab (and optionally the owner's cuts) become the job's stages,
// which peers decode; every wrong choice is a sentence naming its field; and a staged job the shard graphs
// could not train as it says (dropout, fine-tuning) is refused when it is decoded.
import { describe, expect, it } from 'vitest'
import { microBatchOf, readStageDraft } from './stage-draft.ts'
import { buildModel } from '../graph/model-spec.ts'
import { decodeJob, jobModel } from './job.ts'
import { testJob } from './testing/job-fixture.ts'
import { planStages } from '../graph/stage-plan.ts'

const transformer = buildModel({ kind: 'transformer', layers: 4, width: 64, heads: 4 }, { kind: 'tokens', vocab: 64, context: 32 }, 64, 'classes')
const layers = transformer.layers.length
/** What the whole model needs in one tab at micro-batches of 8. */
const wholeBytes = planStages(transformer, { microBatch: 8, inFlight: 2, budgetBytes: 2 ** 40 }).stages[0]!.bytes

describe('the stage draft', () => {
  it('chooses the fewest stages that fit the memory per tab, each within it, and the owner\'s cuts as typed', () => {
    const mib = (wholeBytes / 2 ** 20) * 0.6
    const auto = readStageDraft({ memoryMiB: String(mib), cuts: '' }, transformer, 16, 8)
    if (!auto.ok) throw new Error(auto.error)
    expect(auto.plan.stages.length).toBe(2)
    expect(auto.plan.stages.every((s) => s.bytes <= mib * 2 ** 20)).toBe(true)
    expect(auto.stages).toEqual({ cuts: [auto.plan.stages[1]!.from], microBatch: 8, budgetBytes: Math.round(mib * 2 ** 20) })
    const smaller = readStageDraft({ memoryMiB: String(mib / 2), cuts: '' }, transformer, 16, 8)
    expect(smaller.ok && smaller.plan.stages.length).toBeGreaterThan(2)
    const own = readStageDraft({ memoryMiB: '4096', cuts: ' 2, 4 ' }, transformer, 12, 8)
    expect(own.ok && own.stages).toEqual({ cuts: [2, 4], microBatch: 6, budgetBytes: 4096 * 2 ** 20 })
    // What peers decode is what the form made.
    const job = testJob({ ...{ batchSize: 12, innerSteps: 8 } })
    expect(decodeJob({ ...JSON.parse(JSON.stringify(job)), stages: { cuts: [1], microBatch: 6, budgetBytes: 2 ** 30 } }).stages!.microBatch).toBe(6)
    expect(microBatchOf(16)).toBe(8)
    expect(microBatchOf(9)).toBe(3)
    expect(microBatchOf(7)).toBe(7)
    expect(microBatchOf(11)).toBe(1)
  })

  it('names the field to change for every choice it cannot take', () => {
    const read = (memoryMiB: string, cuts = '', innerSteps = 8) => readStageDraft({ memoryMiB, cuts }, transformer, 16, innerSteps)
    const refused = (result: ReturnType<typeof read>) => (result.ok ? null : [result.field, result.error])
    expect(refused(read(''))).toEqual(['memoryMiB', expect.stringMatching(/positive number of MiB/)])
    expect(refused(read('-3'))).toEqual(['memoryMiB', expect.stringMatching(/positive number of MiB/)])
    expect(refused(read('lots'))).toEqual(['memoryMiB', expect.stringMatching(/positive number of MiB/)])
    expect(refused(read('4096'))).toEqual(['memoryMiB', expect.stringMatching(/whole model fits 4096 MiB in one tab/)])
    expect(refused(read('0.001'))).toEqual(['memoryMiB', expect.stringMatching(/alone needs about .* over the 0\.0 MiB budget/)])
    expect(refused(read('4096', '0'))).toEqual(['cuts', expect.stringMatching(`from 1 to ${layers - 1}`)])
    expect(refused(read('4096', String(layers)))).toEqual(['cuts', expect.stringMatching(`from 1 to ${layers - 1}`)])
    expect(refused(read('4096', '3, 2'))).toEqual(['cuts', 'the cuts must rise, each once'])
    expect(refused(read('4096', '2, 2'))).toEqual(['cuts', 'the cuts must rise, each once'])
    expect(refused(read('4096', 'two'))).toEqual(['cuts', expect.stringMatching(/each cut is a layer number/)])
    expect(refused(read('0.5', '1'))).toEqual(['cuts', expect.stringMatching(/stage 2 .* over the 0\.5 MiB budget/)])
    expect(refused(read('4096', '2', 257))).toEqual(['innerSteps', expect.stringMatching(/at most 256 inner steps/)])
    const dropout = buildModel({ kind: 'transformer', layers: 2, width: 16, heads: 2, dropout: 0.1 }, { kind: 'tokens', vocab: 8, context: 4 }, 8, 'classes')
    expect(refused(readStageDraft({ memoryMiB: '64', cuts: '2' }, dropout, 8, 4))).toEqual(['model', 'a model split into stages trains without dropout: set dropout to 0'])
    expect(refused(readStageDraft({ memoryMiB: '64', cuts: '2' }, transformer, 8, 4, { fineTune: true }))).toEqual(['model', expect.stringMatching(/trains whole in each tab/)])
    const oneLayer = { ...transformer, layers: transformer.layers.slice(0, 1) }
    expect(refused(readStageDraft({ memoryMiB: '64', cuts: '' }, oneLayer, 8, 4))).toEqual(['model', 'a model of 1 layer cannot be split: give it more layers'])
  })

  it('refuses to decode a staged job whose stages could not train as it says', () => {
    const stages = { cuts: [1], microBatch: 4, budgetBytes: 2 ** 26 }
    const base = JSON.parse(JSON.stringify(testJob()))
    expect(jobModel(decodeJob({ ...base, stages })).layers.length).toBeGreaterThan(1)
    const fineTune = { from: { job: 'wine', name: 'Wine cultivars', version: 4 }, paramsCid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', bodyLayers: 1, bodyScale: 0 }
    expect(() => decodeJob({ ...base, stages, fineTune })).toThrow('a fine-tuning job trains whole in each tab, not in stages')
    const recipe = { spec: { kind: 'mlp', hidden: [8], dropout: 0.2 }, input: { kind: 'image', channels: 1, height: 28, width: 28 }, outputs: 10, objective: 'classes' }
    expect(decodeJob({ ...base, recipe, model: 'mlp' }).recipe?.spec).toEqual(recipe.spec)
    expect(() => decodeJob({ ...base, recipe, model: 'mlp', stages })).toThrow('a model split into stages trains without dropout')
  })
})
