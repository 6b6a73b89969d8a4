// The audit of a deployed model: honest deployments check out; a deployment naming a round record the
// coordinator signed but never chained (parameters no round produced), an announcement that differs from its
// record, a record of another signer or kind are each a BAD_DEPLOYMENT finding.
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Harness, runRounds } from '../training/testing/coordinator-harness.ts'
import { testJob } from '../training/testing/job-fixture.ts'
import { decodeRecord, type RoundRecord } from '../training/job-log.ts'
import { deploymentRecord } from '../training/deployment.ts'
import { auditDeployment } from './job-audit.ts'
import { SignedLog } from './testing/settled-job.ts'

async function deployedJob() {
  const key = await generateKeyPair('Ed25519')
  const coordinator = peerIdFromPrivateKey(key).toString()
  const log = new SignedLog(key)
  const h = new Harness(testJob({ coordinator, innerLr: 0.05, innerSteps: 48, auditRate: 0, unitsPerRound: 2 }), { log })
  await h.open()
  await runRounds(h, [['a', 'honest'], ['b', 'honest']], 2)
  const deployed = await h.coordinator.deploy()
  const chain = new Map<string, RoundRecord>()
  for (const [cid, signed] of log.envelopes) {
    const record = decodeRecord(signed)
    if (record.kind === 'round') chain.set(cid, record)
  }
  const fetchLog = async (cid: string) => log.envelopes.get(cid) ?? Promise.reject(new Error(`no provider has ${cid}`))
  return { h, log, coordinator, deployed, chain, fetchLog }
}

describe('auditing a deployed model', () => {
  it('passes an honest deployment, and finds one that names a round outside the chain', async () => {
    const { h, log, coordinator, deployed, chain, fetchLog } = await deployedJob()
    expect(await auditDeployment(fetchLog, coordinator, deployed, chain)).toEqual([])
    // The coordinator's key signs a copy of the last round with other parameters, never chained, and deploys them.
    const last = [...chain.values()].sort((a, b) => b.round - a.round)[0]!
    const fake = await log.put({ ...last, nextParamsCid: 'bafyforged' })
    const record = await log.put(deploymentRecord({ job: h.job.id, version: last.report.version, paramsCid: 'bafyforged', round: fake, deployedAtMs: 1, prev: deployed.record }))
    const forged = { version: last.report.version, paramsCid: 'bafyforged', record }
    const [finding] = await auditDeployment(fetchLog, coordinator, forged, chain)
    expect(finding).toMatchObject({ code: 'BAD_DEPLOYMENT' })
    expect(finding!.message).toMatch(/which is not in the job's chain of rounds$/)
    // Chained, the same record would pass the check of the round it names: the chain is what makes it a forgery.
    expect(await auditDeployment(fetchLog, coordinator, forged, new Map([...chain, [fake, { ...last, nextParamsCid: 'bafyforged' }]]))).toEqual([])
  })

  it('finds an announcement that differs from its record, a record of another signer, and a record of another kind', async () => {
    const { coordinator, deployed, chain, fetchLog } = await deployedJob()
    const other = await deployedJob()
    const found = async (d: typeof deployed, signer = coordinator) => (await auditDeployment(fetchLog, signer, d, chain)).map((f) => f.message)
    expect(await found({ ...deployed, paramsCid: 'bafyother' })).toEqual([expect.stringMatching(/the job announces parameters bafyother… but its record says version \d+/)])
    expect(await found({ ...deployed, version: deployed.version + 1 })).toEqual([expect.stringContaining('but its record says version')])
    expect(await found(deployed, other.coordinator)).toEqual([expect.stringContaining('not the job\'s coordinator')])
    expect(await found({ ...deployed, record: [...chain.keys()][0]! })).toEqual([expect.stringMatching(/is a round record, not a deployment$/)])
    expect(await found({ ...deployed, record: 'log-missing' })).toEqual([expect.stringContaining('could not be fetched or verified')])
  })
})
