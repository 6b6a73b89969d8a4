// The whole audit of a job whose owner deployed a version (twice: after epoch 1 and after epoch 2, so the rounds
// of epoch 2 announce the first deployment and those of epoch 3 the second): the honest job passes and says it
// checked the deployment; the deployment the latest round announces (the highest round number, wherever the
// chain puts that round) is the one audited, so a forged latest deployment is found and a forged one that a
// later deployment superseded is not. Round findings come in round order, whatever order the chain holds them in.
// auditDeployment's own cases are in job-audit-deployment.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestChain, type TestChain } from '../../contracts/testing.ts'
import type { LogRecord, RoundRecord, SignedLogRecord } from '../training/job-log.ts'
import type { Deployed } from '../training/job.ts'
import { auditJob, type AuditSource } from './job-audit.ts'
import { signLogRecord } from './log-store.ts'
import { settledJob } from './testing/settled-job.ts'

let t: TestChain
let job: Awaited<ReturnType<typeof settledJob>>
let first: Deployed
let second: Deployed
/** The job's round records, by content id, in round order. */
let rounds: Array<[string, RoundRecord]>
beforeAll(async () => {
  t = await startTestChain()
  job = await settledJob(t, { epochs: 3, deployAfter: [1, 2] })
  ;[first, second] = job.deployments as [Deployed, Deployed]
  rounds = [...job.log.envelopes.entries()]
    .map(([cid, s]) => [cid, JSON.parse(s.record) as LogRecord] as const)
    .filter((e): e is [string, RoundRecord] => e[1].kind === 'round')
    .sort(([, a], [, b]) => a.round - b.round)
}, 120_000)
afterAll(async () => t?.chain.stop())

/** The job's source with each record at a key of `replaced` served as its value instead. */
function serving(replaced: Map<string, SignedLogRecord>): AuditSource {
  return { ...job.source, fetchLog: async (cid) => replaced.get(cid) ?? job.source.fetchLog(cid) }
}
/** A round record's envelope: a record of another kind, served in place of a deployment record. */
const roundEnvelope = () => job.log.envelopes.get(rounds[0]![0])!
/** The round records of `cids` changed by `change` and signed again by the coordinator. */
async function resigned(cids: string[], change: (r: RoundRecord) => RoundRecord): Promise<Map<string, SignedLogRecord>> {
  const byCid = new Map(rounds)
  return new Map(await Promise.all(cids.map(async (cid) => [cid, await signLogRecord(job.coordinatorKey, change(byCid.get(cid)!))] as const)))
}
const deploymentFindings = async (source: AuditSource) => {
  const report = await auditJob(source, job.key)
  return { report, found: report.findings.filter((f) => f.code === 'BAD_DEPLOYMENT').map((f) => f.message) }
}

describe('auditing a job with a deployed model', () => {
  it('passes an honest deployment, having checked the one the latest round announces', async () => {
    expect(first.version).toBeLessThan(second.version)
    // The rounds of epoch 1 announce nothing, later ones the deployment made before them; the latest the second.
    expect(rounds[0]![1].spec.deployed).toBeUndefined()
    expect(rounds.some(([, r]) => r.spec.deployed?.record === first.record)).toBe(true)
    expect(rounds.at(-1)![1].spec.deployed).toEqual(second)
    const report = await auditJob(job.source, job.key)
    expect(report.findings).toEqual([])
    expect(report.ok).toBe(true)
    expect(report.checked.deployment).toBe(true)
  })

  it('finds a latest deployment whose record is not a deployment record, or that announces other parameters', async () => {
    const notADeployment = await deploymentFindings(serving(new Map([[second.record, roundEnvelope()]])))
    expect(notADeployment.report.findings.map((f) => f.code)).toEqual(['BAD_DEPLOYMENT'])
    expect(notADeployment.found).toEqual([expect.stringMatching(new RegExp(`^the deployed version ${second.version}: .+ is a round record, not a deployment$`))])
    expect(notADeployment.report.ok).toBe(false)
    expect(notADeployment.report.checked.deployment).toBe(true)

    // The coordinator re-signs the latest round announcing parameters its deployment record does not name.
    const [latest] = rounds.at(-1)!
    const other = await deploymentFindings(serving(await resigned([latest], (r) => ({ ...r, spec: { ...r.spec, deployed: { ...second, paramsCid: 'bafyother' } } }))))
    expect(other.found).toEqual([expect.stringMatching(new RegExp(`^the deployed version ${second.version}: the job announces parameters bafyother… but its record says`))])
    expect(other.report.ok).toBe(false)
  })

  it('audits the deployment of the latest round only: a superseded one is not judged, and the latest is', async () => {
    // The first deployment's record gone bad: the latest round announces the second, which checks out.
    const superseded = await deploymentFindings(serving(new Map([[first.record, roundEnvelope()]])))
    expect(superseded.report.findings).toEqual([])
    expect(superseded.report.checked.deployment).toBe(true)
    // The second's record gone bad, the first still good: the latest round's is found.
    const latestBad = await deploymentFindings(serving(new Map([[second.record, roundEnvelope()]])))
    expect(latestBad.found).toEqual([expect.stringMatching(new RegExp(`^the deployed version ${second.version}: `))])
  })

  it('takes the latest round by its number, not by where the chain holds it', async () => {
    // A round of epoch 2 (announcing the first deployment) re-signed with a number above every other round: the
    // chain still reaches it before the rounds of epoch 3, but it is now the latest, so its deployment is judged.
    const [early] = rounds.find(([, r]) => r.spec.deployed?.record === first.record)!
    const top = rounds.at(-1)![1].round + 10
    const renumbered = await resigned([early], (r) => ({ ...r, round: top }))
    const firstBad = await deploymentFindings(serving(new Map([...renumbered, [first.record, roundEnvelope()]])))
    expect(firstBad.found).toEqual([expect.stringMatching(new RegExp(`^the deployed version ${first.version}: `))])
    expect(firstBad.report.checked.deployment).toBe(true)
    const secondBad = await deploymentFindings(serving(new Map([...renumbered, [second.record, roundEnvelope()]])))
    expect(secondBad.found).toEqual([])
    expect(secondBad.report.checked.deployment).toBe(true)
  })

  it('reports the rounds\' findings in round order, whatever order the chain holds the rounds in', async () => {
    // Two rounds whose revealed secret is not the one committed: the earlier in the chain renumbered last.
    const [early] = rounds.find(([, r]) => r.spec.deployed?.record === first.record)!
    const [latest, last] = rounds.at(-1)!
    const top = last.round + 10
    const badSecret = (r: RoundRecord): RoundRecord => ({ ...r, roundSecret: 'ab'.repeat(32), round: r.round === last.round ? r.round : top })
    const report = await auditJob(serving(await resigned([early, latest], badSecret)), job.key)
    expect(report.findings.filter((f) => f.code === 'BAD_SECRET').map((f) => f.round)).toEqual([last.round, top])
  })
})
