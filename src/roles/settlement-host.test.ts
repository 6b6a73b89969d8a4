// The coordinator's settlement against a real anvil: bindings checked and recorded, epochs posted from the
// credits ledger with their trees, claims paid from those trees, waiting credit paid once a peer binds, and
// an executed governance decision followed by the coordinator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_KEYS } from '../../server/settlement.ts'
import { startTestChain, mined, type TestChain } from '../../contracts/testing.ts'
import { bindingTypedData, type SignedBinding } from '../ledger/binding.ts'
import { decodeEpochDocument, findClaim } from '../ledger/epoch-tree.ts'
import { NATIVE_TOKEN, readEscrowJob } from '../ledger/escrow.ts'
import { jobEscrowAbi, jobGovernorAbi } from '../ledger/generated/contracts.ts'
import { jobKey } from '../ledger/job-key.ts'
import { Harness, runRounds } from '../training/testing/coordinator-harness.ts'
import { testJob } from '../training/testing/job-fixture.ts'
import { SettlementHost } from './settlement-host.ts'

const VOTING_SECONDS = 120
let t: TestChain
beforeAll(async () => {
  t = await startTestChain({ votingPeriodSeconds: VOTING_SECONDS, quorumBps: 2000 })
}, 60_000)
afterAll(async () => t?.chain.stop())

async function sign(walletIndex: number, job: string, peer: string, expiry: number): Promise<SignedBinding> {
  const account = privateKeyToAccount(ANVIL_KEYS[walletIndex]!)
  const binding = { job, peer, wallet: account.address, expiry }
  return { ...binding, signature: await account.signTypedData(bindingTypedData(binding, { chainId: t.chain.chainId, escrow: t.deployment.escrow })) }
}

describe('SettlementHost', () => {
  it('binds, posts epochs, pays claims from the published tree and follows governance', async () => {
    const job = testJob({ id: `settle-${Date.now().toString(36)}`, rounds: 4, reward: { amount: '1000000000', symbol: 'ETH', decimals: 18, dataShareBps: 2000 } })
    const h = new Harness(job)
    const coordinator = await h.open()
    const trees = new Map<string, Uint8Array>()
    const owner = t.clients[0]!
    const [, coordinatorAccount, aliceWallet, bobWallet] = t.addresses as [Address, Address, Address, Address]
    const host = new SettlementHost({
      coordinator,
      chain: { chainId: t.chain.chainId, escrow: t.deployment.escrow, governor: t.deployment.governor, reader: t.clients[1]!.publicClient, writer: t.clients[1]!.wallet },
      publishTree: async (bytes) => {
        const cid = `tree-${trees.size}`
        trees.set(cid, bytes)
        return cid
      },
      decideDataset: (id, accept, reason) => coordinator.decideDataset(id, accept, reason).then(() => undefined),
      nowMs: () => Date.now(),
    })
    const expiry = Math.floor(Date.now() / 1000) + 3600
    expect(await host.closeEpoch()).toEqual({ posted: false, reason: expect.stringMatching(/no escrow/) })
    const deadline = (await owner.publicClient.getBlock()).timestamp + 86_400n
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [jobKey(job.id), coordinatorAccount, NATIVE_TOKEN, 10n ** 9n, deadline], value: 10n ** 9n }))

    await expect(host.bind('a', await sign(2, job.id, 'b', expiry))).rejects.toThrow(/names another peer/)
    expect(await host.bind('a', await sign(2, job.id, 'a', expiry))).toEqual({ wallet: aliceWallet, expiry })

    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    const first = await host.closeEpoch()
    if (!first.posted) throw new Error(first.reason)
    const doc = decodeEpochDocument(trees.get(first.treeCid)!)
    expect((await readEscrowJob(owner.publicClient, t.deployment.escrow, job.id))!.root).toBe(doc.root)
    // One of 4 rounds released a quarter of the pool; 80 % of it goes to compute, split by verified FLOPs.
    const flops = (p: string) => coordinator.credits.volunteer(p).flops
    const computePart = (10n ** 9n / 4n) * 8000n / 10_000n
    const aliceShare = (computePart * BigInt(flops('a'))) / BigInt(flops('a') + flops('b'))
    const alice = findClaim(doc, aliceWallet)!
    expect(alice.amount).toBe(aliceShare)
    expect(findClaim(doc, bobWallet)).toBeNull()
    const bobWaiting = doc.peers.find((p) => p.peer === 'b')!.waiting
    expect(bobWaiting).toBeGreaterThan(0n)

    const before = await t.balance(aliceWallet)
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'claim', args: [jobKey(job.id), aliceWallet, alice.amount, alice.proof] }))
    expect(await t.balance(aliceWallet)).toBe(before + alice.amount)

    // Bob binds late: his waiting credit arrives with the next epoch.
    await host.bind('b', await sign(3, job.id, 'b', expiry))
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    const second = await host.closeEpoch()
    if (!second.posted) throw new Error(second.reason)
    expect(second.epoch).toBe(2)
    const doc2 = decodeEpochDocument(trees.get(second.treeCid)!)
    expect(findClaim(doc2, bobWallet)!.amount).toBeGreaterThan(bobWaiting)
    expect(findClaim(doc2, aliceWallet)!.amount).toBeGreaterThanOrEqual(alice.amount)
    expect(doc2.total).toBeLessThanOrEqual(10n ** 9n / 2n)

    // Alice (the larger holder) proposes a lower inner learning rate and votes it through.
    const aliceClient = t.clients[2]!
    const credit = findClaim(doc2, aliceWallet)!
    await mined(aliceClient, await aliceClient.wallet.writeContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName: 'propose', args: [jobKey(job.id), 2, 'innerLr', 5n * 10n ** 14n, credit.amount, credit.proof] }))
    const pid = (await owner.publicClient.readContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName: 'proposalCount' })) - 1n
    await mined(aliceClient, await aliceClient.wallet.writeContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName: 'vote', args: [pid, true, credit.amount, credit.proof] }))
    await t.increaseTime(VOTING_SECONDS + 1)
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName: 'execute', args: [pid] }))
    const decisions = await host.followGovernance()
    expect(decisions.map((d) => d.subject)).toEqual(['innerLr'])
    // From the next round: units handed out now keep the old rate.
    expect(coordinator.job.innerLr).toBe(1e-3)
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    expect(coordinator.job.innerLr).toBe(5e-4)
    expect(await host.followGovernance()).toEqual([])
  })
})
