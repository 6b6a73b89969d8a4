// The Governance page's reader against a real anvil: a job's proposals (and no other job's) with live tallies,
// each wallet's weight in a proposal's snapshot from a tree checked against the chain, who voted, the credit a
// wallet proposes with, and which roots are still open to a veto.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther, type Address, type Hex } from 'viem'
import { mined, startTestChain, type TestChain } from '../../contracts/testing.ts'
import { CHALLENGE, EscrowActors, epochTree, proofOf, sum, type Leaf, type Tree } from '../../contracts/escrow-testing.ts'
import { jobGovernorAbi } from '../ledger/generated/contracts.ts'
import type { EpochDocument } from '../ledger/epoch-tree.ts'
import { GovernanceReader } from './governance-reader.ts'

let t: TestChain
let e: EscrowActors
beforeAll(async () => {
  t = await startTestChain({ votingPeriodSeconds: 600, quorumBps: 2000 })
  e = new EscrowActors(t)
}, 60_000)
afterAll(async () => t?.chain.stop())

/** A job (owner 0, coordinator 1) with its trees as the swarm would serve them, and a reader for it. */
async function job() {
  const { id, key } = await e.createJob({ amount: parseEther('1') })
  const documents = new Map<string, EpochDocument>()
  const trees = new Map<bigint, Tree>()
  const post = async (epoch: bigint, leaves: Leaf[]) => {
    const tree = await e.post(key, epoch, leaves)
    trees.set(epoch, tree)
    const posted = await e.epoch(key, epoch)
    documents.set(posted.treeCid, { job: id, chainId: t.chain.chainId, escrow: t.deployment.escrow, epoch: Number(epoch), root: tree.root as Hex, amount: sum(leaves), cumulative: posted.cumulative, logCid: posted.logCid, tree: tree.dump() as EpochDocument['tree'], peers: [] })
    return tree
  }
  const reader = new GovernanceReader({
    client: t.clients[0]!.publicClient, contracts: t.deployment, fromBlock: BigInt(t.deployment.deployBlock), key, jobId: id,
    fetchDocument: async (cid) => documents.get(cid) ?? Promise.reject(new Error(`no tree ${cid} on the swarm`)),
  })
  return { id, key, post, trees, documents, reader }
}

const now = async () => Number(await e.now())
const govern = async (who: number, functionName: 'propose' | 'vote', args: readonly unknown[]) => {
  const c = t.clients[who]!
  await mined(c, await c.wallet.writeContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName, args } as never))
}
const leafArgs = (tree: Tree, who: number) => {
  const { amount, cumulative, proof } = proofOf(tree, t.addresses[who]!)
  return [amount, cumulative, proof] as const
}

describe('GovernanceReader', () => {
  it('reads a job\'s proposals with each wallet\'s weight in the snapshot, its vote, and the roots open to a veto', async () => {
    const [, , alice, bob, carol] = t.addresses as [Address, Address, Address, Address, Address]
    const j = await job()
    const before = await j.reader.read(alice, await now())
    expect(before).toMatchObject({ escrow: expect.objectContaining({ epoch: 0n }), rules: { votingPeriodSeconds: 600, quorumBps: 2000 }, latestFinal: 0, credit: null, openEpochs: [], proposals: [] })

    const first = await j.post(1n, [[alice, 300n, 300n], [bob, 100n, 100n]])
    const pending = await j.reader.read(alice, await now())
    expect(pending.openEpochs).toEqual([{ epoch: 1, finalAt: Number((await e.epoch(j.key, 1n)).postedAt + CHALLENGE), vetoed: false }])
    expect(pending.credit).toBeNull()
    // A proposal on another job never shows here.
    const other = await job()
    const otherTree = await other.post(1n, [[carol, 5n, 5n]])
    await e.finalise(other.key, 1n)
    await e.finalise(j.key, 1n)
    await govern(4, 'propose', [other.key, 1, 'bafy-other', 0n, 1n, ...leafArgs(otherTree, 4)])
    await j.post(2n, [[alice, 100n, 400n], [bob, 0n, 100n]])

    await govern(2, 'propose', [j.key, 2, 'innerLr', 5n * 10n ** 14n, 1n, ...leafArgs(first, 2)])
    await govern(3, 'vote', [(await t.clients[0]!.publicClient.readContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName: 'proposalCount' })) - 1n, true, ...leafArgs(first, 3)])
    const asBob = await j.reader.read(bob, await now())
    expect(asBob.latestFinal).toBe(1)
    expect(asBob.credit).toEqual({ leaf: expect.objectContaining({ epoch: 1, cumulative: 100n }), error: null })
    expect(asBob.openEpochs.map((x) => x.epoch)).toEqual([2])
    expect(asBob.proposals).toHaveLength(1)
    expect(asBob.proposals[0]).toMatchObject({ kind: 'set-hyper-parameter', subject: 'innerLr', value: 5n * 10n ** 14n, proposer: alice, snapshotEpoch: 1, snapshotTotal: 400n, forVotes: 100n, againstVotes: 0n, executed: false, voted: true, weight: { leaf: expect.objectContaining({ cumulative: 100n }), error: null } })
    // Alice proposed but did not vote; carol has no leaf in the snapshot, so no weight.
    expect((await j.reader.read(alice, await now())).proposals[0]).toMatchObject({ voted: false, weight: { leaf: expect.objectContaining({ cumulative: 300n }), error: null } })
    expect((await j.reader.read(carol, await now())).proposals[0]).toMatchObject({ voted: false, weight: { leaf: null, error: null } })
    // Without a wallet: the proposals and tallies, no weights.
    expect((await j.reader.read(undefined, await now())).proposals[0]).toMatchObject({ voted: false, weight: null, forVotes: 100n })
  })

  it('lists each proposal once when reads overlap, as a page polling and refreshing makes them', async () => {
    const [, , alice] = t.addresses as [Address, Address, Address]
    const j = await job()
    const first = await j.post(1n, [[alice, 10n, 10n]])
    await e.finalise(j.key, 1n)
    await govern(2, 'propose', [j.key, 3, 'the model is good enough', 0n, 1n, ...leafArgs(first, 2)])
    const reads = await Promise.all([1, 2, 3].map(async () => j.reader.read(alice, await now())))
    for (const read of reads) expect(read.proposals.map((p) => p.kind)).toEqual(['end-job'])
    expect((await j.reader.read(alice, await now())).proposals).toHaveLength(1)
  })

  it('refuses a tree that is not the one on chain, and says so for that epoch only', async () => {
    const [, , alice, bob] = t.addresses as [Address, Address, Address, Address]
    const j = await job()
    const first = await j.post(1n, [[alice, 10n, 10n]])
    await e.finalise(j.key, 1n)
    await govern(2, 'propose', [j.key, 3, 'the model is good enough', 0n, 1n, ...leafArgs(first, 2)])
    await j.post(2n, [[alice, 5n, 15n]])
    await e.finalise(j.key, 2n)
    // The swarm serves a doctored tree for epoch 2: bob has a leaf in it, but its root is not the one on chain.
    const posted = await e.epoch(j.key, 2n)
    const doctored = epochTree([[alice, 5n, 15n], [bob, 1000n, 1000n]])
    j.documents.set(posted.treeCid, { ...j.documents.get(posted.treeCid)!, root: doctored.root as Hex, tree: doctored.dump() as EpochDocument['tree'] })
    const read = await j.reader.read(alice, await now())
    expect(read.latestFinal).toBe(2)
    expect(read.credit).toEqual({ leaf: null, error: expect.stringMatching(/^epoch 2's tree could not be read: the tree published for epoch 2 .* is not the one on chain/) })
    // The proposal's snapshot (epoch 1) still reads.
    expect(read.proposals[0]).toMatchObject({ kind: 'end-job', snapshotEpoch: 1, weight: { leaf: expect.objectContaining({ cumulative: 10n }), error: null } })
  })
})
