// A job's stage map as peers decode it and cost it, and what the use page weighs against a tab's memory.
import { describe, expect, it } from 'vitest'
import { decodeJob, jobModel } from './job.ts'
import { testJob } from './testing/job-fixture.ts'
import { inferenceBytes, jobStagePlan, stageRanges, stageShapes } from './job-stages.ts'
import { shapeAt } from '../graph/model.ts'

const base = JSON.parse(JSON.stringify(testJob()))
const layers = jobModel(testJob()).layers.length

describe('job stages', () => {
  it('decodes cuts rising inside the model, a micro-batch dividing the batch, and a positive budget', () => {
    const stages = { cuts: [1, layers - 1], microBatch: 4, budgetBytes: 2 ** 26 }
    expect(decodeJob({ ...base, stages }).stages).toEqual(stages)
    expect(decodeJob(base).stages).toBeUndefined()
    const bad = (patch: object) => () => decodeJob({ ...base, stages: { ...stages, ...patch } })
    expect(bad({ cuts: [] })).toThrow(`"cuts" must list from 1 to ${layers - 1} layers`)
    expect(bad({ cuts: [0] })).toThrow('cut 0 (0) must be a whole layer number above 0')
    expect(bad({ cuts: [2, 2] })).toThrow('cut 1 (2) must be a whole layer number above 2')
    expect(bad({ cuts: [layers] })).toThrow(`below ${layers}`)
    expect(bad({ cuts: [1.5] })).toThrow('cut 0 (1.5)')
    expect(bad({ cuts: ['1'] })).toThrow('cut 0 ("1")')
    expect(bad({ microBatch: 3 })).toThrow('a micro-batch of 3 does not divide the batch of 8')
    expect(bad({ microBatch: 16 })).toThrow('"microBatch" must be between 1 and 8')
    expect(bad({ budgetBytes: 0 })).toThrow('"budgetBytes" must be between 1')
    expect(decodeJob({ ...base, innerSteps: 256, stages }).stages).toEqual(stages)
    expect(() => decodeJob({ ...base, innerSteps: 257, stages })).toThrow('a staged job\'s rounds take at most 256 inner steps')
  })

  it('costs the declared stages, and refuses a stage over the budget it was declared for', () => {
    const job = testJob({ stages: { cuts: [2], microBatch: 4, budgetBytes: 2 ** 30 } })
    const plan = jobStagePlan(job)!
    expect(plan.stages.map((s) => [s.from, s.to])).toEqual(stageRanges(jobModel(job), [2]))
    expect(plan.stages.map((s) => [s.from, s.to])).toEqual([[0, 2], [2, layers]])
    expect(jobStagePlan(testJob())).toBeNull()
    expect(() => jobStagePlan(testJob({ stages: { cuts: [2], microBatch: 4, budgetBytes: 1000 } }))).toThrow(/over the 0\.0 MiB budget/)
  })

  it('gives a driver each stage\'s input shape and the model\'s output, and the memory one sample needs', () => {
    const model = jobModel(testJob())
    expect(stageShapes(model, [1, 3])).toEqual([shapeAt(model, 0), shapeAt(model, 1), shapeAt(model, 3), shapeAt(model, layers)])
    const parameters = 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    // The parameters in float32, plus the values one sample's forward pass computes (at least its 784 inputs' first layer out).
    expect(inferenceBytes(model)).toBeGreaterThan(4 * (parameters + 256))
    expect(inferenceBytes(model)).toBeLessThan(4 * parameters * 1.1)
  })
})
