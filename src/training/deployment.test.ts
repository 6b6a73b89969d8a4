// The owner's deployment of a version: recorded in the job log naming the round that produced it, announced with
// the job, kept across a restart, and checkable by anyone against that round's record.
import { describe, expect, it } from 'vitest'
import { testJob } from './testing/job-fixture.ts'
import { Harness, runRounds } from './testing/coordinator-harness.ts'
import { checkDeployment } from './deployment.ts'
import { decodeJob } from './job.ts'
import type { DeploymentRecord, RoundRecord } from './job-log.ts'
import { decodeRecord, LOG_FORMAT } from './job-log.ts'

const job = () => testJob({ innerLr: 0.05, innerSteps: 48, auditRate: 0, unitsPerRound: 2 })

describe('deploying a version', () => {
  it('records the current version with the round that produced it, announces it, and keeps it across a restart', async () => {
    const h = new Harness(job())
    await h.open()
    await expect(h.coordinator.deploy()).rejects.toMatchObject({ code: 'NOTHING_TO_DEPLOY' })
    expect(h.log.records.size).toBe(0)
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 2)
    const { version, paramsCid } = h.coordinator.view.current
    expect(version).toBeGreaterThan(0)
    const deployed = await h.coordinator.deploy()
    expect(deployed).toEqual({ version, paramsCid, record: expect.any(String) })
    expect(h.coordinator.job.deployed).toEqual(deployed)
    const record = h.log.records.get(deployed.record) as DeploymentRecord
    expect(record).toMatchObject({ kind: 'deployment', job: h.job.id, version, paramsCid, round: h.coordinator.view.logHead, prev: null })
    const round = h.log.records.get(record.round) as RoundRecord
    expect(checkDeployment(record, round)).toBeNull()
    // The job a peer decodes from the announcement carries it.
    expect(decodeJob(JSON.parse(JSON.stringify(h.coordinator.job))).deployed).toEqual(deployed)
    // A restart keeps it, and the next deployment chains to this one.
    await h.open()
    expect(h.coordinator.job.deployed).toEqual(deployed)
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    expect(h.coordinator.job.deployed).toEqual(deployed)
    const again = await h.coordinator.deploy()
    expect(again.version).toBe(version + 1)
    expect((h.log.records.get(again.record) as DeploymentRecord).prev).toBe(deployed.record)
    // Round records after the deployment carry it in their spec.
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    expect((h.log.records.get(h.coordinator.view.logHead!) as RoundRecord).spec.deployed).toEqual(again)
  })

  it('a governance change waiting for the round boundary keeps the deployment', async () => {
    const h = new Harness(job())
    await h.open()
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    await h.coordinator.scheduleJobChange({ ...h.coordinator.job, innerLr: 0.01 })
    const deployed = await h.coordinator.deploy()
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    expect(h.coordinator.job.innerLr).toBe(0.01)
    expect(h.coordinator.job.deployed).toEqual(deployed)
  })

  it('finds a deployment that names parameters or a version its round did not produce, or another job\'s round', async () => {
    const h = new Harness(job())
    await h.open()
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    const deployed = await h.coordinator.deploy()
    const record = h.log.records.get(deployed.record) as DeploymentRecord
    const round = h.log.records.get(record.round) as RoundRecord
    expect(checkDeployment({ ...record, paramsCid: round.paramsCid }, round)).toMatchObject({ code: 'NOT_TRAINED_HERE' })
    expect(checkDeployment({ ...record, version: record.version + 1 }, round)).toMatchObject({ code: 'NOT_TRAINED_HERE' })
    expect(checkDeployment({ ...record, job: 'other' }, round)).toMatchObject({ code: 'OTHER_JOB' })
    expect(checkDeployment(record, { ...round, job: 'other', spec: { ...round.spec, id: 'other' } })).toMatchObject({ code: 'OTHER_JOB' })
    expect(checkDeployment(record, { ...round, spec: { ...round.spec, id: 'other' } })).toMatchObject({ code: 'OTHER_JOB' })
    // A round record whose own job field and spec disagree is refused on either.
    expect(checkDeployment(record, { ...round, job: 'other' })).toMatchObject({ code: 'OTHER_JOB' })
    // The messages name what differs, cut to a readable length.
    const long = 'j'.repeat(100)
    expect(checkDeployment({ ...record, job: long }, round)!.message).toBe(`the deployment of job "${'j'.repeat(40)}" names a round record of job "${round.job}"`)
    const cid = 'p'.repeat(60)
    expect(checkDeployment({ ...record, paramsCid: cid }, round)!.message).toBe(`version ${record.version} (parameters ${'p'.repeat(16)}…) is not what round ${round.round} produced (version ${round.report.version}, parameters ${round.nextParamsCid.slice(0, 16)}…)`)
  })

  it('a deployment record decodes from the log; a job\'s deployment is decoded strictly', () => {
    const record: DeploymentRecord = { kind: 'deployment', job: 'j', version: 3, paramsCid: 'bafyparams', round: 'bafyround', deployedAtMs: 5, prev: null }
    expect(decodeRecord({ format: LOG_FORMAT, coordinator: 'c', signature: 'ab', record: JSON.stringify(record) })).toEqual(record)
    expect(() => decodeRecord({ format: LOG_FORMAT, coordinator: 'c', signature: 'ab', record: JSON.stringify({ ...record, version: -1 }) })).toThrow('"version"')
    expect(() => decodeRecord({ format: LOG_FORMAT, coordinator: 'c', signature: 'ab', record: JSON.stringify({ ...record, prev: 7 }) })).toThrow('"prev"')
    const base = JSON.parse(JSON.stringify(job()))
    const good = { version: 2, paramsCid: 'bafyparams', record: 'bafyrecord' }
    expect(decodeJob({ ...base, deployed: good }).deployed).toEqual(good)
    expect(() => decodeJob({ ...base, deployed: { ...good, paramsCid: 'not a cid' } })).toThrow('"paramsCid" is not a content id')
    expect(() => decodeJob({ ...base, deployed: { ...good, record: '' } })).toThrow('"record" is not a content id')
    expect(() => decodeJob({ ...base, deployed: { ...good, version: 1.5 } })).toThrow('"version"')
    expect(() => decodeJob({ ...base, deployed: 'v2' })).toThrow()
  })
})
