import { describe, expect, it } from 'vitest'
import { changeHyperParameter, GOVERNED_PARAMETERS } from './job-changes.ts'
import { testJob } from './testing/job-fixture.ts'

const job = testJob()
const refusal = (message: string) => expect.objectContaining({ code: 'BAD_JOB_CHANGE', message })

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

  // A vote must not reach the model, the data or the batch size: those fix the graphs every volunteer compiled.
  it('lets a vote change exactly the seven run-time hyper-parameters, each within the job\'s own bounds', () => {
    expect(GOVERNED_PARAMETERS).toEqual(['innerLr', 'outerLr', 'outerMomentum', 'innerSteps', 'unitsPerRound', 'auditRate', 'roundMs'])
    const values: Record<string, number> = { innerLr: 1, outerLr: 10, outerMomentum: 0, innerSteps: 10_000, unitsPerRound: 1, auditRate: 0.125, roundMs: 1000 }
    for (const [name, value] of Object.entries(values)) expect(changeHyperParameter(job, name, value), name).toEqual({ ...job, [name]: value })
    for (const name of ['batchSize', 'model', 'seed', 'rounds', 'train']) {
      expect(() => changeHyperParameter(job, name, 1), name).toThrow(refusal(`"${name}" is not a hyper-parameter a vote can change (innerLr, outerLr, outerMomentum, innerSteps, unitsPerRound, auditRate, roundMs)`))
    }
    expect(() => changeHyperParameter(job, 'x'.repeat(41), 1)).toThrow(refusal(`"${'x'.repeat(40)}" is not a hyper-parameter a vote can change (innerLr, outerLr, outerMomentum, innerSteps, unitsPerRound, auditRate, roundMs)`))
  })

  it('takes a proposal that still says "redundancy" as the audit rate', () => {
    const changed = changeHyperParameter(job, 'redundancy', 0.2)
    expect(changed).toEqual({ ...job, auditRate: 0.2 })
    expect(changed).not.toHaveProperty('redundancy')
  })

  it('needs whole numbers for step, unit and time counts only', () => {
    for (const name of ['innerSteps', 'unitsPerRound', 'roundMs']) expect(() => changeHyperParameter(job, name, 1000.5), name).toThrow(refusal(`${name} must be a whole number, not 1000.5`))
    expect(changeHyperParameter(job, 'outerMomentum', 0.5).outerMomentum).toBe(0.5)
  })

  it('says which bound a change would break, and leaves the job as it was', () => {
    expect(() => changeHyperParameter(job, 'innerLr', 5)).toThrow(refusal('setting innerLr to 5 would make the job invalid: job: "innerLr" must be between 1e-8 and 1'))
    expect(() => changeHyperParameter(job, 'roundMs', 999)).toThrow(refusal('setting roundMs to 999 would make the job invalid: job: "roundMs" must be between 1000 and 86400000'))
    expect(() => changeHyperParameter(job, 'redundancy', 1.5)).toThrow(refusal('setting auditRate to 1.5 would make the job invalid: job: "auditRate" must be between 0 and 1'))
    expect(job).toEqual(testJob())
  })
})
