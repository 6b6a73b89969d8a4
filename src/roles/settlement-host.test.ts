// The coordinator's settlement against a real anvil: bindings checked and recorded, epochs posted from the
// credits ledger with their trees and job-log records, claims paid from those trees after the challenge period,
// waiting credit paid once a peer binds, a vetoed epoch's credit posted again, and governance followed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatUnits, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_KEYS } from '../../server/settlement.ts'
import { startTestChain, mined, revertOf, TEST_ESCROW, type TestChain } from '../../contracts/testing.ts'
import { bindingTypedData, type SignedBinding } from '../ledger/binding.ts'
import { decodeEpochDocument, findClaim, type Claim } from '../ledger/epoch-tree.ts'
import { emptyEpochBook, epochBookToJson } from '../ledger/epochs.ts'
import { NATIVE_TOKEN, readEpoch, readEscrowJob } from '../ledger/escrow.ts'
import { jobEscrowAbi, jobGovernorAbi } from '../ledger/generated/contracts.ts'
import { jobKey } from '../ledger/job-key.ts'
import { Harness, runRounds } from '../training/testing/coordinator-harness.ts'
import { testJob } from '../training/testing/job-fixture.ts'
import { shardAt } from '../training/coordinator-records.ts'
import { CreditsLedger } from '../training/credits.ts'
import { ATTACKS } from '../training/testing/adversaries.ts'
import type { JobSpec } from '../training/job.ts'
import { SettlementHost, settledCoordinator, type EpochOutcome } from './settlement-host.ts'

const CHALLENGE = BigInt(TEST_ESCROW.minChallengeSeconds)

let t: TestChain
beforeAll(async () => {
  t = await startTestChain({ votingPeriodSeconds: 120, quorumBps: 2000 })
}, 60_000)
afterAll(async () => t?.chain.stop())

async function sign(walletIndex: number, job: string, peer: string, expiry: number): Promise<SignedBinding> {
  const account = privateKeyToAccount(ANVIL_KEYS[walletIndex]!)
  const binding = { job, peer, wallet: account.address, expiry }
  return { ...binding, signature: await account.signTypedData(bindingTypedData(binding, { chainId: t.chain.chainId, escrow: t.deployment.escrow })) }
}

const REWARD = 10n ** 9n

/** A job, its harness coordinator and a settlement host posting as account 1; trees kept in memory. */
type Writer = TestChain['clients'][number]['wallet']

// Every unit is audited unless a test says otherwise, so each round's honest credit is verified when the round
// closes: these tests are about settlement, not about when an audit vouches for credit (at audit rate 0.5 a
// round whose units the draw and the gain screen all let through leaves its credit pending).
async function setup(rounds = 4, overrides: Partial<JobSpec> = {}, nowMs: () => number = () => Date.now(), writer: (wallet: Writer) => Writer = (wallet) => wallet) {
  const owner = t.clients[0]!
  const job = testJob({ id: `settle-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`, rounds, auditRate: 1, reward: { amount: REWARD.toString(), symbol: 'ETH', decimals: 18, dataShareBps: 2000, owner: t.addresses[0]! }, ...overrides })
  const h = new Harness(job)
  const coordinator = await h.open()
  const trees = new Map<string, Uint8Array>()
  const logged: string[] = []
  const host = new SettlementHost({
    log: (line) => logged.push(line),
    source: settledCoordinator(coordinator),
    chain: { chainId: t.chain.chainId, escrow: t.deployment.escrow, governor: t.deployment.governor, reader: t.clients[1]!.publicClient, writer: writer(t.clients[1]!.wallet) },
    publishTree: async (bytes) => {
      const cid = `tree-${trees.size}`
      trees.set(cid, bytes)
      return cid
    },
    jobLog: h.log,
    decideDataset: (id, accept, reason) => coordinator.decideDataset(id, accept, reason).then(() => undefined),
    nowMs,
  })
  const key = jobKey(t.addresses[0]!, job.id)
  const fund = async () => {
    const deadline = (await owner.publicClient.getBlock()).timestamp + 86_400n
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [job.id, t.addresses[1]!, NATIVE_TOKEN, REWARD, deadline, CHALLENGE], value: REWARD }))
  }
  const doc = (cid: string) => decodeEpochDocument(trees.get(cid)!)
  return { job, h, coordinator, host, key, fund, doc, owner, logged }
}

/** `who` (holding all of the snapshot's credit) proposes, votes the proposal through and executes it at once. */
async function pass(who: number, key: Hex, snapshot: bigint, credit: Claim, kind: number, subject: string, value: bigint) {
  const c = t.clients[who]!
  const send = async (functionName: 'propose' | 'vote' | 'execute', args: readonly unknown[]) => mined(c, await c.wallet.writeContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName, args } as never))
  await send('propose', [key, kind, subject, value, snapshot, credit.amount, credit.cumulative, credit.proof])
  const pid = (await c.publicClient.readContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName: 'proposalCount' })) - 1n
  await send('vote', [pid, true, credit.amount, credit.cumulative, credit.proof])
  // All the credit voted for it: it executes without waiting for the vote to end.
  await send('execute', [pid])
  return pid
}

const posted = (outcome: EpochOutcome) => {
  if (!outcome.posted) throw new Error(outcome.reason)
  return outcome
}

describe('SettlementHost', () => {
  it('binds, posts epochs that pay only what each wallet gained, and claims pay from the published trees', async () => {
    const { job, h, coordinator, host, key, fund, doc, owner, logged } = await setup()
    const [, , aliceWallet, bobWallet] = t.addresses as [Address, Address, Address, Address]
    const expiry = Math.floor(Date.now() / 1000) + 3600
    expect(await host.closeEpoch()).toEqual({ posted: false, reason: expect.stringMatching(/no escrow/) })
    await fund()
    await expect(host.bind('a', await sign(2, job.id, 'b', expiry))).rejects.toThrow(/names another peer/)
    expect(await host.bind('a', await sign(2, job.id, 'a', expiry))).toEqual({ wallet: aliceWallet, expiry })
    expect(logged).toContain(`peer a… bound its credit to ${aliceWallet}`)

    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    const first = posted(await host.closeEpoch())
    const d1 = doc(first.treeCid)
    expect(logged).toContain(`epoch 1: root ${d1.root.slice(0, 10)}… reserves ${formatUnits(d1.amount, 18)} ETH for 1 wallets (log ${first.logCid.slice(0, 16)}…, tree ${first.treeCid.slice(0, 16)}…)`)
    const onChain = await readEpoch(owner.publicClient, t.deployment.escrow, key, 1)
    expect(onChain).toMatchObject({ root: d1.root, amount: d1.amount, cumulative: d1.cumulative, treeCid: first.treeCid, logCid: first.logCid })
    // One of 4 rounds released a quarter of the pool; 80 % of it goes to compute, split by verified FLOPs.
    const flops = (p: string) => coordinator.credits.volunteer(p).flops
    const computePart = (REWARD / 4n) * 8000n / 10_000n
    const aliceShare = (computePart * BigInt(flops('a'))) / BigInt(flops('a') + flops('b'))
    const alice = findClaim(d1, aliceWallet)!
    expect(alice).toMatchObject({ epoch: 1, amount: aliceShare, cumulative: aliceShare })
    expect(findClaim(d1, bobWallet)).toBeNull()
    const bobWaiting = d1.peers.find((p) => p.peer === 'b')!.waiting
    expect(bobWaiting).toBeGreaterThan(0n)
    // The epoch's record in the job log names the round it settles and every binding, with its signature.
    const record = h.log.records.get(first.logCid)
    expect(record).toMatchObject({ kind: 'epoch', epoch: 1, escrowKey: key, roundsClosed: 1, prev: null, bindings: [expect.objectContaining({ peer: 'a', wallet: aliceWallet })] })

    // Nothing is claimable until the challenge period is over.
    const claim = (c: typeof alice, wallet: Address) => owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'claim', args: [key, BigInt(c.epoch), wallet, c.amount, c.cumulative, c.proof] }).then((hash) => mined(owner, hash))
    expect(await revertOf(claim(alice, aliceWallet))).toBe('NotFinal')
    await t.increaseTime(Number(CHALLENGE))
    const before = await t.balance(aliceWallet)
    await claim(alice, aliceWallet)
    expect(await t.balance(aliceWallet)).toBe(before + aliceShare)

    // Bob binds late: his waiting credit arrives with the next epoch; alice's leaf pays only what she gained.
    await host.bind('b', await sign(3, job.id, 'b', expiry))
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    const second = posted(await host.closeEpoch())
    expect(second.epoch).toBe(2)
    const d2 = doc(second.treeCid)
    expect(findClaim(d2, bobWallet)!.amount).toBeGreaterThan(bobWaiting)
    const alice2 = findClaim(d2, aliceWallet)!
    expect(alice2.cumulative).toBe(aliceShare + alice2.amount)
    expect(d2.cumulative).toBe(d1.amount + d2.amount)
    expect(d2.cumulative).toBeLessThanOrEqual(REWARD / 2n)
    expect(h.log.records.get(second.logCid)).toMatchObject({ kind: 'epoch', epoch: 2, prev: first.logCid })
    // A round with no new credit posts nothing.
    expect(await host.closeEpoch()).toEqual({ posted: false, reason: expect.stringMatching(/anything new/) })
  })

  it('moves nothing when the root\'s transaction is mined but reverts, and posts that epoch on the next close', async () => {
    let revert = true
    // The first root names an epoch the escrow does not expect; fixed gas skips the estimate, so it is mined and reverts.
    const { job, h, host, key, fund, owner } = await setup(4, {}, undefined, (wallet) => ({
      ...wallet,
      writeContract: ((request: { args: readonly unknown[] }) => wallet.writeContract({ ...request, ...(revert ? { args: [request.args[0], (request.args[1] as bigint) + 5n, ...request.args.slice(2)], gas: 1_000_000n } : {}) } as never)) as Writer['writeContract'],
    }))
    await fund()
    await host.bind('a', await sign(2, job.id, 'a', Math.floor(Date.now() / 1000) + 3600))
    await runRounds(h, [['a', 'honest']], 1)
    await expect(host.closeEpoch()).rejects.toMatchObject({ code: 'ROOT_REVERTED' })
    expect((await readEscrowJob(owner.publicClient, t.deployment.escrow, key))!.epoch).toBe(0n)
    revert = false
    const first = posted(await host.closeEpoch())
    expect(first.epoch).toBe(1)
    expect(first.amount).toBeGreaterThan(0n)
  })

  it('posts the credit of closed rounds only: a unit accepted in the round still open waits for its close', async () => {
    const { job, h, coordinator, host, fund, doc } = await setup()
    const aliceWallet = t.addresses[2]!
    await fund()
    await host.bind('a', await sign(2, job.id, 'a', Math.floor(Date.now() / 1000) + 3600))
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    // One more unit of alice's is accepted in round 1, which stays open.
    expect(await h.work('a')).toMatchObject({ accepted: true })
    await coordinator.settled()
    const closed = CreditsLedger.fromJSON(coordinator.view.closedLedger)
    expect(coordinator.credits.volunteer('a').flops).toBeGreaterThan(closed.volunteer('a').flops)
    const epoch = posted(await host.closeEpoch())
    const [a, b] = [BigInt(closed.volunteer('a').flops), BigInt(closed.volunteer('b').flops)]
    const computePart = (REWARD / 4n) * 8000n / 10_000n
    expect(findClaim(doc(epoch.treeCid), aliceWallet)!.amount).toBe((computePart * a) / (a + b))
    expect(h.log.records.get(epoch.logCid)).toMatchObject({ kind: 'epoch', roundsClosed: 1, ledgerSeq: coordinator.view.closedSeq })
  })

  it('returns to the pool what waited for a peer caught cheating in a closed round', async () => {
    const { job, h, host, fund, doc } = await setup(4, { auditRate: 1 })
    await fund()
    await host.bind('a', await sign(2, job.id, 'a', Math.floor(Date.now() / 1000) + 3600))
    await runRounds(h, [['a', 'honest'], ['b', 'honest'], ['c', 'honest']], 1)
    const waitingFor = (cid: string, peer: string) => doc(cid).peers.find((p) => p.peer === peer)?.waiting ?? 0n
    const first = posted(await host.closeEpoch())
    expect(waitingFor(first.treeCid, 'c')).toBeGreaterThan(0n)
    // c, unbound, is caught; once a round has closed since, what waited for it goes back to the pool.
    await runRounds(h, [['a', 'honest'], ['b', 'honest'], ['c', ATTACKS.bias()]], 1)
    expect(h.coordinator.view.peers.c!.ban?.code).toBe('AUDIT_FAILED')
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 1)
    expect(h.coordinator.view.closedForfeits).toEqual(['c'])
    const later = posted(await host.closeEpoch())
    expect(waitingFor(later.treeCid, 'c')).toBe(0n)
    expect(doc(later.treeCid).peers.find((p) => p.peer === 'c')?.earned ?? 0n).toBe(0n)
  })

  it('posts every credit again on a chain that was reset (a fresh development chain)', async () => {
    const { job, h, host, fund, doc, logged } = await setup()
    const [, , aliceWallet] = t.addresses as [Address, Address, Address]
    const rpc = t.clients[0]!.publicClient
    const snapshot = await rpc.request({ method: 'evm_snapshot' as never, params: [] as never })
    await fund()
    await host.bind('a', await sign(2, job.id, 'a', Math.floor(Date.now() / 1000) + 3600))
    await runRounds(h, [['a', 'honest']], 2)
    const before = posted(await host.closeEpoch())
    // The chain forgets the job; the owner funds it again and the coordinator's book still says "epoch 1 posted".
    await rpc.request({ method: 'evm_revert' as never, params: [snapshot] as never })
    await fund()
    const again = posted(await host.closeEpoch())
    expect(again.epoch).toBe(1)
    expect(logged).toContain('the escrow has 0 epochs but this coordinator posted 1: the chain was reset, so every credit is posted again')
    expect(findClaim(doc(again.treeCid), aliceWallet)!.amount).toBe(findClaim(doc(before.treeCid), aliceWallet)!.amount)
  })

  it('puts a vetoed epoch\'s credit into the next root', async () => {
    const { job, h, host, key, fund, doc, owner, logged } = await setup()
    const [, , aliceWallet] = t.addresses as [Address, Address, Address]
    await fund()
    await host.bind('a', await sign(2, job.id, 'a', Math.floor(Date.now() / 1000) + 3600))
    await runRounds(h, [['a', 'honest']], 1)
    const first = posted(await host.closeEpoch())
    await t.increaseTime(Number(CHALLENGE))
    await runRounds(h, [['a', 'honest']], 1)
    const second = posted(await host.closeEpoch())
    expect(logged.filter((line) => line.includes('vetoed'))).toEqual([])
    const gained = findClaim(doc(second.treeCid), aliceWallet)!.amount
    // The owner vetoes epoch 2: the next root pays alice that credit again, on top of round 3's.
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'vetoRoot', args: [key, 2n, 'bafy-reason'] }))
    await runRounds(h, [['a', 'honest']], 1)
    const third = posted(await host.closeEpoch())
    expect(third.epoch).toBe(3)
    expect(logged).toContain('epoch 2 was vetoed: its credit goes back into the next epoch\'s split')
    const leaf = findClaim(doc(third.treeCid), aliceWallet)!
    expect(leaf.amount).toBeGreaterThan(gained)
    expect(leaf.cumulative).toBe(findClaim(doc(first.treeCid), aliceWallet)!.amount + leaf.amount)
    expect((await readEscrowJob(owner.publicClient, t.deployment.escrow, key))!.reserved).toBe(doc(first.treeCid).amount + leaf.amount)
    expect(h.log.records.get(third.logCid)).toMatchObject({ prev: first.logCid })
  })

  it('posts nothing while the owner pauses the escrow, and follows governance decisions', async () => {
    const { job, h, coordinator, host, key, fund, doc, owner, logged } = await setup()
    const [, , aliceWallet] = t.addresses as [Address, Address, Address]
    await fund()
    await host.bind('a', await sign(2, job.id, 'a', Math.floor(Date.now() / 1000) + 3600))
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'setPaused', args: [key, true] }))
    await runRounds(h, [['a', 'honest']], 1)
    expect(await host.closeEpoch()).toEqual({ posted: false, reason: expect.stringMatching(/paused/) })
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'setPaused', args: [key, false] }))
    const first = posted(await host.closeEpoch())
    await t.increaseTime(Number(CHALLENGE))

    // Alice (the only holder) proposes a lower inner learning rate, then ending the job, and votes both through.
    const credit = findClaim(doc(first.treeCid), aliceWallet)!
    const govern = (kind: number, subject: string, value: bigint) => pass(2, key, BigInt(first.epoch), credit, kind, subject, value)
    const lower = await govern(2, 'innerLr', 5n * 10n ** 14n)
    expect((await host.followGovernance()).map((d) => d.subject)).toEqual(['innerLr'])
    expect(logged).toContain(`governance proposal ${lower}: innerLr becomes 0.0005 from the next round`)
    // From the next round: units handed out now keep the old rate.
    expect(coordinator.job.innerLr).toBe(1e-3)
    await runRounds(h, [['a', 'honest']], 1)
    expect(coordinator.job.innerLr).toBe(5e-4)
    expect(await host.followGovernance()).toEqual([])
    // Round 2's epoch is posted; a vote vetoes it while it is still in its challenge period.
    const second = posted(await host.closeEpoch())
    const veto = await govern(4, 'bafy-veto-reason', BigInt(second.epoch))
    expect((await host.followGovernance()).map((d) => d.kind)).toEqual(['veto-root'])
    expect(logged).toContain(`governance proposal ${veto}: epoch ${second.epoch} vetoed`)
    expect((await readEpoch(owner.publicClient, t.deployment.escrow, key, second.epoch)).vetoed).toBe(true)
    expect(logged.filter((line) => line.includes('not applied'))).toEqual([])
    const end = await govern(3, 'end the job', 0n)
    expect((await host.followGovernance()).map((d) => d.kind)).toEqual(['end-job'])
    expect(logged).toContain(`governance proposal ${end}: the job ends when this round closes`)
    await runRounds(h, [['a', 'honest']], 1)
    expect(coordinator.view.finished).toBe(true)
  })
  it('follows an executed exclusion: from the next round no unit trains on the dataset', async () => {
    const { job, h, coordinator, host, key, fund, doc } = await setup(0, { auditRate: 0 })
    const [, , aliceWallet] = t.addresses as [Address, Address, Address]
    await fund()
    await host.bind('a', await sign(2, job.id, 'a', Math.floor(Date.now() / 1000) + 3600))
    const slice = { id: 'bafy-slice', name: 'slice', licence: 'CC0-1.0', owner: 'carol', height: 28, width: 28, classes: job.classes, chunks: [{ cid: 'chunk-a', samples: 64 }, { cid: 'chunk-b', samples: 64 }], merkleRoot: 'root', samples: 128 }
    await coordinator.offerDataset(slice)
    await coordinator.decideDataset(slice.id, true, '')
    const planned = () => coordinator.view.current.units.some((u) => u.shards.some((i) => shardAt(coordinator.job, coordinator.view, i).dataset === slice.id))
    // Least used first: the slice's chunks come up once the job's own shards have each been used.
    let rounds = 0
    while (!planned() && rounds++ < 5) await runRounds(h, [['a', 'honest']], 1)
    expect(planned()).toBe(true)
    const first = posted(await host.closeEpoch())
    await t.increaseTime(Number(CHALLENGE))
    const pid = await pass(2, key, BigInt(first.epoch), findClaim(doc(first.treeCid), aliceWallet)!, 1, slice.id, 0n)
    expect((await host.followGovernance()).map((d) => d.kind)).toEqual(['exclude-dataset'])
    expect(coordinator.datasets.find((d) => d.id === slice.id)).toMatchObject({ status: 'rejected', reason: `excluded by governance proposal ${pid}` })
    // The round open now was planned before the decision; every later one, over more than a pass through the
    // whole pool (8 own shards and 2 chunks, 4 units a round), plans none of the slice's chunks.
    for (let round = 0; round < 4; round++) {
      await runRounds(h, [['a', 'honest']], 1)
      expect(planned()).toBe(false)
    }
  })

  it('pays no wallet whose binding has expired: its peer\'s credit waits until it binds again', async () => {
    let now = Date.now()
    const { job, h, host, fund, doc } = await setup(4, {}, () => now)
    const [, , aliceWallet] = t.addresses as [Address, Address, Address]
    await fund()
    const expiry = Math.floor(now / 1000) + 3600
    await host.bind('a', await sign(2, job.id, 'a', expiry))
    await runRounds(h, [['a', 'honest']], 1)
    // The first second the binding no longer holds: nothing is posted for it.
    now = expiry * 1000
    expect(await host.closeEpoch()).toEqual({ posted: false, reason: 'no bound wallet earned anything new' })
    // Bound again, the credit that waited is posted to the wallet.
    await host.bind('a', await sign(2, job.id, 'a', expiry + 3600))
    const first = posted(await host.closeEpoch())
    expect(findClaim(doc(first.treeCid), aliceWallet)!.amount).toBeGreaterThan(0n)
  })

  it('holds an epoch while the escrow is paused, and posts it the second the pause ends', async () => {
    let now = Date.now()
    const { job, h, host, key, fund, owner } = await setup(4, {}, () => now)
    await fund()
    await host.bind('a', await sign(2, job.id, 'a', Math.floor(now / 1000) + 86_400))
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'setPaused', args: [key, true] }))
    const pausedUntil = Number((await readEscrowJob(owner.publicClient, t.deployment.escrow, key))!.pausedUntil)
    await runRounds(h, [['a', 'honest']], 1)
    now = (pausedUntil - 1) * 1000
    expect(await host.closeEpoch()).toEqual({ posted: false, reason: 'the job\'s escrow is paused by its owner' })
    // The chain's clock past the pause too, so the escrow takes the root.
    await t.increaseTime(pausedUntil - Number((await owner.publicClient.getBlock()).timestamp) + 1)
    now = pausedUntil * 1000
    expect(posted(await host.closeEpoch()).epoch).toBe(1)
  })

  it('refuses a corrupt saved settlement state, naming it, instead of posting from it', async () => {
    const { job, coordinator, host, fund } = await setup()
    await fund()
    await host.bind('a', await sign(2, job.id, 'a', Math.floor(Date.now() / 1000) + 3600))
    const book = epochBookToJson(emptyEpochBook())
    for (const corrupt of [
      'not an object',
      { book, decisionsApplied: 'one', posted: [] },
      { book, decisionsApplied: 0, posted: ['not an object'] },
      { book, decisionsApplied: 0, posted: [{ epoch: 'one', book, record: 'bafy' }] },
      { book, decisionsApplied: 0, posted: [{ epoch: 1, book, record: 7 }] },
    ]) {
      await coordinator.saveSettlement(corrupt)
      await expect(host.closeEpoch()).rejects.toThrow(/^settlement state/)
    }
  })

  it('keeps only the posted epochs a veto could still undo, and the last final one they fall back to', async () => {
    const { job, h, coordinator, host, fund } = await setup(8)
    await fund()
    await host.bind('a', await sign(2, job.id, 'a', Math.floor(Date.now() / 1000) + 86_400))
    const kept = () => ((coordinator.view.settlement as { posted: Array<{ epoch: number }> }).posted).map((p) => p.epoch)
    const nextEpoch = async () => {
      await runRounds(h, [['a', 'honest']], 1)
      return posted(await host.closeEpoch()).epoch
    }
    expect(await nextEpoch()).toBe(1)
    await t.increaseTime(Number(CHALLENGE))
    expect(await nextEpoch()).toBe(2)
    expect(kept()).toEqual([1, 2])
    await t.increaseTime(Number(CHALLENGE))
    expect(await nextEpoch()).toBe(3)
    expect(kept()).toEqual([2, 3])
    // Within one challenge period none of them is final yet: all are kept.
    expect(await nextEpoch()).toBe(4)
    expect(kept()).toEqual([2, 3, 4])
  })

  it('keeps every posted epoch while none is final', async () => {
    const { job, h, coordinator, host, fund } = await setup(8)
    await fund()
    await host.bind('a', await sign(2, job.id, 'a', Math.floor(Date.now() / 1000) + 86_400))
    for (const epoch of [1, 2]) {
      await runRounds(h, [['a', 'honest']], 1)
      expect(posted(await host.closeEpoch()).epoch).toBe(epoch)
    }
    expect(((coordinator.view.settlement as { posted: Array<{ epoch: number }> }).posted).map((p) => p.epoch)).toEqual([1, 2])
  })

  it('follows inclusion votes: a refused dataset joins, a vote for what already holds changes nothing, and one on an unknown dataset is skipped', async () => {
    const { job, h, coordinator, host, key, fund, doc, logged } = await setup()
    const [, , aliceWallet] = t.addresses as [Address, Address, Address]
    await fund()
    await host.bind('a', await sign(2, job.id, 'a', Math.floor(Date.now() / 1000) + 3600))
    const slice = { id: 'bafy-refused', name: 'refused', licence: 'CC0-1.0', owner: 'carol', height: 28, width: 28, classes: job.classes, chunks: [{ cid: 'chunk-r', samples: 64 }], merkleRoot: 'root', samples: 64 }
    await coordinator.offerDataset(slice)
    await coordinator.decideDataset(slice.id, false, 'the owner said no')
    await runRounds(h, [['a', 'honest']], 1)
    const first = posted(await host.closeEpoch())
    await t.increaseTime(Number(CHALLENGE))
    const include = (subject: string) => pass(2, key, BigInt(first.epoch), findClaim(doc(first.treeCid), aliceWallet)!, 0, subject, 0n)
    const unknown = await include('bafy-nobody-offered')
    const joined = await include(slice.id)
    const again = await include(slice.id)
    expect((await host.followGovernance()).map((d) => [d.kind, d.proposalId])).toEqual([['include-dataset', unknown], ['include-dataset', joined], ['include-dataset', again]])
    expect(coordinator.datasets.find((d) => d.id === slice.id)).toMatchObject({ status: 'accepted', reason: 'accepted by the job owner' })
    const said = logged.filter((line) => line.includes('governance'))
    expect(said).toEqual([
      expect.stringMatching(new RegExp(`^governance decision \\d+ \\(proposal ${unknown}\\) not applied: no dataset bafy-nobody-offe… was offered to this job$`)),
      `governance proposal ${joined}: dataset "refused" included`,
    ])
  })
})
