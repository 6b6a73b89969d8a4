import { describe, expect, it } from 'vitest'
import { changeHyperParameter } from './job-changes.ts'
import { testJob } from './testing/job-fixture.ts'

const job = testJob()

describe('changeHyperParameter', () => {
  it('changes a governed hyper-parameter and keeps the rest of the job', () => {
    const changed = changeHyperParameter(job, 'innerLr', 5e-4)
    expect(changed).toEqual({ ...job, innerLr: 5e-4 })
  })

  it('refuses unknown names, fractional counts and values outside the job\'s bounds', () => {
    expect(() => changeHyperParameter(job, 'model', 1)).toThrow(/not a hyper-parameter/)
    expect(() => changeHyperParameter(job, 'innerSteps', 2.5)).toThrow(/whole number/)
    expect(() => changeHyperParameter(job, 'innerLr', 5)).toThrow(/invalid/)
    expect(() => changeHyperParameter(job, 'redundancy', -1)).toThrow(/invalid/)
  })
})
