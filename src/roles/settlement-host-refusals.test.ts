// When the settlement host must not post, against a real anvil: a job that names no escrow owner, an escrow
// that names another coordinator account, a closed escrow. Posting, claims, pauses, vetoes and governance are
// in settlement-host.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mined, startTestChain, TEST_ESCROW, type TestChain } from '../../contracts/testing.ts'
import { NATIVE_TOKEN } from '../ledger/escrow.ts'
import { jobEscrowAbi } from '../ledger/generated/contracts.ts'
import { jobKey } from '../ledger/job-key.ts'
import { Harness, runRounds } from '../training/testing/coordinator-harness.ts'
import { testJob } from '../training/testing/job-fixture.ts'
import { SettlementHost, settledCoordinator } from './settlement-host.ts'

let t: TestChain
beforeAll(async () => {
  t = await startTestChain()
}, 60_000)
afterAll(async () => t?.chain.stop())

/** A host posting as account 1 for a job owned by account 0 (or by nobody), escrowed with `coordinator` named. */
async function host(options: { owned?: boolean; coordinator?: number; deadlineIn?: bigint } = {}) {
  const job = testJob({ id: `refuse-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`, ...(options.owned === false ? {} : { reward: { amount: '1000', symbol: 'ETH', decimals: 18, dataShareBps: 0, owner: t.addresses[0]! } }) })
  const h = new Harness(job)
  const coordinator = await h.open()
  const lines: string[] = []
  const settlement = new SettlementHost({
    source: settledCoordinator(coordinator),
    chain: { chainId: t.chain.chainId, escrow: t.deployment.escrow, governor: t.deployment.governor, reader: t.clients[1]!.publicClient, writer: t.clients[1]!.wallet },
    publishTree: async () => 'tree',
    jobLog: h.log,
    decideDataset: async () => undefined,
    nowMs: () => Date.now(),
    log: (line) => lines.push(line),
  })
  const owner = t.clients[0]!
  const deadline = (await owner.publicClient.getBlock()).timestamp + (options.deadlineIn ?? 86_400n)
  if (options.owned !== false) {
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [job.id, t.addresses[options.coordinator ?? 1]!, NATIVE_TOKEN, 1000n, deadline, BigInt(TEST_ESCROW.minChallengeSeconds)], value: 1000n }))
  }
  return { h, settlement, key: jobKey(t.addresses[0]!, job.id), owner, lines }
}

describe('SettlementHost refusals', () => {
  it('posts nothing and follows nothing for a job that names no escrow owner', async () => {
    const { h, settlement } = await host({ owned: false })
    await runRounds(h, [['a', 'honest']], 1)
    expect(await settlement.closeEpoch()).toEqual({ posted: false, reason: 'the job names no escrow owner, so nothing is escrowed; credit waits in the ledger' })
    expect(await settlement.followGovernance()).toEqual([])
  })

  it('posts nothing to an escrow that names another coordinator account', async () => {
    const { h, settlement } = await host({ coordinator: 3 })
    await runRounds(h, [['a', 'honest']], 1)
    expect(await settlement.closeEpoch()).toEqual({ posted: false, reason: `the escrow names ${t.addresses[3]!} as coordinator, not this coordinator's account ${t.addresses[1]!}` })
  })

  it('posts nothing to a closed escrow', async () => {
    const { h, settlement, key, owner } = await host({ deadlineIn: 20n })
    await t.increaseTime(20 + TEST_ESCROW.claimWindowSeconds + 1)
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'reclaim', args: [key] }))
    await runRounds(h, [['a', 'honest']], 1)
    expect(await settlement.closeEpoch()).toEqual({ posted: false, reason: 'the job\'s escrow is closed' })
  })
})
