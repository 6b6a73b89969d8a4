// JobGovernor against a real anvil: votes weighted by the cumulative credit in the job's latest final escrow
// root, a snapshot at proposal time, quorum of the chain's own total (never a declared one), vetoes of pending
// roots, and the executed decisions the coordinator reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther, type Hex } from 'viem'
import { jobGovernorAbi } from '../src/ledger/generated/contracts.ts'
import { readDecisions } from '../src/ledger/escrow.ts'
import { mined, revertOf, startTestChain, type TestChain } from './testing.ts'
import { EscrowActors, proofOf, type Leaf, type Tree } from './escrow-testing.ts'

const VOTING_SECONDS = 60
/** The test escrow's challenge period (contracts/testing.ts). */
const CHALLENGE_SECONDS = 100n
let t: TestChain
let e: EscrowActors
beforeAll(async () => {
  // Voting (60 s) is shorter than the challenge period (100 s), so a veto can pass before its root goes final.
  t = await startTestChain({ votingPeriodSeconds: VOTING_SECONDS, quorumBps: 2000 })
  e = new EscrowActors(t)
}, 60_000)
afterAll(async () => t?.chain.stop())

const KIND = { include: 0, exclude: 1, hyper: 2, end: 3, veto: 4 } as const

/** A job (owner 0, coordinator 1) whose first, final epoch gives accounts 2, 3, 4 the credits given. */
async function jobWithCredit(credits: [bigint, bigint, bigint]) {
  const { key } = await e.createJob({ amount: parseEther('1') })
  const leaves: Leaf[] = credits.map((c, i) => [t.addresses[i + 2]!, c, c])
  const tree = await e.post(key, 1n, leaves)
  await e.finalise(key, 1n)
  return { key, tree }
}

/** `who`'s leaf in `tree` as (amount, credit, proof) call arguments. */
const leafArgs = (tree: Tree, who: number) => {
  const { amount, cumulative, proof } = proofOf(tree, t.addresses[who]!)
  return [amount, cumulative, proof] as const
}

const send = async (who: number, functionName: 'propose' | 'vote' | 'execute', args: readonly unknown[]) => {
  const c = t.clients[who]!
  await mined(c, await c.wallet.writeContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName, args } as never))
}
const read = <T>(functionName: string, args: readonly unknown[]) => t.clients[0]!.publicClient.readContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName, args } as never) as Promise<T>
const lastProposal = async () => (await read<bigint>('proposalCount', [])) - 1n
const decisions = (key: Hex) => readDecisions(t.clients[0]!.publicClient, t.deployment.governor, key, 0)

describe('JobGovernor', () => {
  it('executes a proposal that reaches quorum with more credit for than against, and records it for the coordinator', async () => {
    const { key, tree } = await jobWithCredit([10n, 60n, 30n])
    await send(3, 'propose', [key, KIND.hyper, 'innerLr', 5n * 10n ** 14n, 1n, ...leafArgs(tree, 3)])
    const pid = await lastProposal()
    expect(await read('proposal', [pid])).toMatchObject({ proposer: t.addresses[3]!, snapshotEpoch: 1n, snapshotTotal: 100n, snapshotRoot: tree.root })
    await send(3, 'vote', [pid, true, ...leafArgs(tree, 3)])
    await send(4, 'vote', [pid, false, ...leafArgs(tree, 4)])
    expect(await revertOf(send(4, 'vote', [pid, true, ...leafArgs(tree, 4)]))).toBe('AlreadyVoted')
    const [amount, , proof] = leafArgs(tree, 2)
    expect(await revertOf(send(2, 'vote', [pid, true, amount, 11n, proof]))).toBe('InvalidProof')
    // 60 for of 100 is a majority of all credit: it may execute at once.
    await send(5, 'execute', [pid])
    expect(await revertOf(send(5, 'execute', [pid]))).toBe('AlreadyExecuted')
    expect(await revertOf(send(2, 'vote', [pid, true, ...leafArgs(tree, 2)]))).toBe('VotingClosed')
    expect(await decisions(key)).toEqual([{ index: 0, proposalId: pid, kind: 'set-hyper-parameter', subject: 'innerLr', value: 5n * 10n ** 14n }])
  })

  it('waits for the vote to end unless a majority of all credit is for, and records nothing when quorum is missed or the vote lost', async () => {
    const { key, tree } = await jobWithCredit([10n, 60n, 30n])
    // 10 of 100 credit voting is under the 20 % quorum, even though all of it is for.
    await send(2, 'propose', [key, KIND.exclude, 'bafy-dataset', 0n, 1n, ...leafArgs(tree, 2)])
    const lowTurnout = await lastProposal()
    await send(2, 'vote', [lowTurnout, true, ...leafArgs(tree, 2)])
    await send(4, 'propose', [key, KIND.include, 'bafy-dataset', 0n, 1n, ...leafArgs(tree, 4)])
    const lost = await lastProposal()
    await send(4, 'vote', [lost, true, ...leafArgs(tree, 4)])
    await send(3, 'vote', [lost, false, ...leafArgs(tree, 3)])
    expect(await revertOf(send(2, 'execute', [lowTurnout]))).toBe('VotingOpen')
    expect(await revertOf(send(2, 'execute', [lost]))).toBe('VotingOpen')
    await t.increaseTime(VOTING_SECONDS)
    expect(await revertOf(send(2, 'vote', [lowTurnout, false, ...leafArgs(tree, 3)]))).toBe('VotingClosed')
    await send(5, 'execute', [lowTurnout])
    await send(5, 'execute', [lost])
    expect(await read('proposal', [lost])).toMatchObject({ executed: true, passed: false, forVotes: 30n, againstVotes: 60n })
    expect(await decisions(key)).toEqual([])
  })

  it('counts the credit of the latest final root at proposal time: later or pending roots change nothing', async () => {
    const { key, tree } = await jobWithCredit([10n, 60n, 30n])
    expect(await revertOf(send(5, 'propose', [key, KIND.exclude, 'bafy-x', 0n, 1n, ...leafArgs(tree, 2)]))).toBe('InvalidProof')
    await send(2, 'propose', [key, KIND.exclude, 'bafy-x', 0n, 1n, ...leafArgs(tree, 2)])
    const pid = await lastProposal()
    // A later root gives account 2 far more credit; the proposal still counts the snapshot's.
    const later = await e.post(key, 2n, [[t.addresses[2]!, 1000n, 1010n]])
    expect(await revertOf(send(2, 'vote', [pid, true, ...leafArgs(later, 2)]))).toBe('InvalidProof')
    await send(2, 'vote', [pid, true, ...leafArgs(tree, 2)])
    await send(4, 'vote', [pid, true, ...leafArgs(tree, 4)])
    await t.increaseTime(VOTING_SECONDS)
    await send(2, 'execute', [pid])
    expect((await decisions(key))[0]).toMatchObject({ kind: 'exclude-dataset', subject: 'bafy-x' })
    // Once the later root is final, new proposals count it.
    await e.finalise(key, 2n)
    await send(2, 'propose', [key, KIND.include, 'bafy-x', 0n, 2n, ...leafArgs(later, 2)])
    expect(await read('proposal', [await lastProposal()])).toMatchObject({ snapshotEpoch: 2n, snapshotTotal: 1100n })
    // The root it superseded still counts for SNAPSHOT_GRACE (a page read it just before epoch 2 went final),
    // then no longer; an epoch that is not final (or not posted) never does.
    await send(2, 'propose', [key, KIND.include, 'bafy-y', 0n, 1n, ...leafArgs(tree, 2)])
    expect(await read('proposal', [await lastProposal()])).toMatchObject({ snapshotEpoch: 1n, snapshotTotal: 100n })
    expect(await revertOf(send(2, 'propose', [key, KIND.include, 'bafy-y', 0n, 0n, ...leafArgs(tree, 2)]))).toBe('StaleSnapshot')
    const third = await e.post(key, 3n, [[t.addresses[2]!, 1n, 1011n]])
    expect(await revertOf(send(2, 'propose', [key, KIND.include, 'bafy-y', 0n, 3n, ...leafArgs(third, 2)]))).toBe('StaleSnapshot')
    expect(await revertOf(send(2, 'propose', [key, KIND.include, 'bafy-y', 0n, 4n, ...leafArgs(third, 2)]))).toBe('StaleSnapshot')
    await t.increaseTime(3600 - 30)
    await send(2, 'propose', [key, KIND.include, 'bafy-y', 0n, 1n, ...leafArgs(tree, 2)])
    await t.increaseTime(30)
    expect(await revertOf(send(2, 'propose', [key, KIND.include, 'bafy-y', 0n, 1n, ...leafArgs(tree, 2)]))).toBe('StaleSnapshot')
    await send(2, 'propose', [key, KIND.include, 'bafy-y', 0n, 2n, ...leafArgs(later, 2)])
    // Nobody holds credit in a job with no final root yet, and a job the escrow never saw has none either.
    const { key: fresh } = await e.createJob({ amount: parseEther('1') })
    const pending = await e.post(fresh, 1n, [[t.addresses[2]!, 5n, 5n]])
    expect(await revertOf(send(2, 'propose', [fresh, KIND.exclude, 'x', 0n, 1n, ...leafArgs(pending, 2)]))).toBe('NoCreditYet')
    expect(await revertOf(send(2, 'propose', ['0x' + '22'.repeat(32), KIND.exclude, 'x', 0n, 1n, 1n, 1n, []]))).toBe('UnknownJob')
    expect(await revertOf(send(2, 'propose', [key, KIND.exclude, '', 0n, 1n, ...leafArgs(tree, 2)]))).toBe('EmptySubject')
    expect(await revertOf(send(2, 'vote', [999_999n, true, ...leafArgs(tree, 2)]))).toBe('UnknownProposal')
  })

  it('measures quorum against the chain\'s total, caps every tally at it, and cannot overflow', async () => {
    // A doctored final root (the owner did not veto it) gives account 5 credit 2^255 and account 2 credit 10, in an
    // epoch that reserved only 10. Before, the coordinator declared the total and 2^255 overflowed the quorum maths.
    const { key } = await e.createJob({ amount: parseEther('1') })
    const huge = 2n ** 255n
    const doctored = await e.post(key, 1n, [[t.addresses[2]!, 10n, 10n], [t.addresses[5]!, 0n, huge]], { amount: 10n })
    await e.finalise(key, 1n)
    expect(await revertOf(send(5, 'propose', [key, KIND.end, 'end', 0n, 1n, ...leafArgs(doctored, 5)]))).toBe('CreditAboveTotal')
    await send(2, 'propose', [key, KIND.end, 'end', 0n, 1n, ...leafArgs(doctored, 2)])
    const pid = await lastProposal()
    expect(await revertOf(send(5, 'vote', [pid, false, ...leafArgs(doctored, 5)]))).toBe('CreditAboveTotal')
    await send(2, 'vote', [pid, true, ...leafArgs(doctored, 2)])
    expect(await read('quorumReached', [pid])).toBe(true)
    await send(2, 'execute', [pid])
    expect((await decisions(key))[0]).toMatchObject({ kind: 'end-job', subject: 'end' })
  })

  it('vetoes a pending root by vote, which the escrow honours, and records a late veto without undoing final credit', async () => {
    const { key, tree } = await jobWithCredit([10n, 60n, 30n])
    // The coordinator posts a greedy root; credit holders see it in the audit and vote it down before it is final.
    await e.post(key, 2n, [[t.addresses[1]!, 500n, 500n]])
    await send(3, 'propose', [key, KIND.veto, 'bafy-audit-report', 2n, 1n, ...leafArgs(tree, 3)])
    const pid = await lastProposal()
    expect(await revertOf(send(3, 'propose', [key, KIND.veto, 'x', 1n, 1n, ...leafArgs(tree, 3)]))).toBe('BadEpoch')
    expect(await revertOf(send(3, 'propose', [key, KIND.veto, 'x', 3n, 1n, ...leafArgs(tree, 3)]))).toBe('BadEpoch')
    expect(await revertOf(send(3, 'propose', [key, KIND.veto, 'x', 2n ** 64n + 2n, 1n, ...leafArgs(tree, 3)]))).toBe('BadEpoch')
    await send(3, 'vote', [pid, true, ...leafArgs(tree, 3)])
    await send(5, 'execute', [pid])
    expect(await e.epoch(key, 2n)).toMatchObject({ vetoed: true })
    expect(await e.job(key)).toMatchObject({ reserved: 100n })
    expect((await decisions(key))[0]).toMatchObject({ kind: 'veto-root', value: 2n, subject: 'bafy-audit-report' })

    // A veto that only passes after its root went final is recorded, but the root stands.
    const three = await e.post(key, 3n, [[t.addresses[2]!, 5n, 15n]])
    await send(2, 'propose', [key, KIND.veto, 'too-late', 3n, 1n, ...leafArgs(tree, 2)])
    const late = await lastProposal()
    await send(2, 'vote', [late, true, ...leafArgs(tree, 2)])
    await send(4, 'vote', [late, true, ...leafArgs(tree, 4)])
    await e.finalise(key, 3n)
    await send(5, 'execute', [late])
    expect(await read('proposal', [late])).toMatchObject({ passed: true })
    expect(await e.epoch(key, 3n)).toMatchObject({ vetoed: false })
    await e.claim(key, 3n, three, t.addresses[2]!)
  })

  it('judges an old snapshot by the first final root after it, skipping a vetoed one in between', async () => {
    const { key, tree } = await jobWithCredit([10n, 60n, 30n])
    await e.post(key, 2n, [[t.addresses[2]!, 5n, 15n]])
    const vetoedAt = (await e.epoch(key, 2n)).postedAt
    await e.send(0, 'vetoRoot', [key, 2n, 'bafy-reason'])
    // Epoch 3 comes 600 s after the vetoed epoch 2, so the two give different ends to epoch 1's grace.
    await t.increaseTime(600)
    await e.post(key, 3n, [[t.addresses[2]!, 5n, 15n]])
    await e.finalise(key, 3n)
    const supersededAt = (await e.epoch(key, 3n)).postedAt
    const grace = 3600n
    const ends = supersededAt + CHALLENGE_SECONDS + grace
    // Past where epoch 2 (not final: vetoed) or epoch 1 itself would end the grace, inside epoch 3's.
    const now = ends - 300n
    expect(now).toBeGreaterThan(vetoedAt + CHALLENGE_SECONDS + grace)
    await t.increaseTime(Number(now - (await e.now())))
    await send(3, 'propose', [key, KIND.include, 'bafy-z', 0n, 1n, ...leafArgs(tree, 3)])
    expect(await read('proposal', [await lastProposal()])).toMatchObject({ snapshotEpoch: 1n, proposer: t.addresses[3]! })
    expect(await revertOf(send(3, 'propose', [key, KIND.include, 'bafy-z', 0n, 2n, ...leafArgs(tree, 3)]))).toBe('StaleSnapshot')
    // Once epoch 3's grace is over, epoch 1 no longer counts.
    await t.increaseTime(301)
    expect(await revertOf(send(3, 'propose', [key, KIND.include, 'bafy-z', 0n, 1n, ...leafArgs(tree, 3)]))).toBe('StaleSnapshot')
  })
})
