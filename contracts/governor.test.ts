// JobGovernor against a real anvil: votes weighted by credit in the escrow's epoch root, a snapshot at
// proposal time, quorum, and the executed decisions the coordinator reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { parseEther, type Hex } from 'viem'
import { jobEscrowAbi, jobGovernorAbi } from '../src/ledger/generated/contracts.ts'
import { jobKey } from '../src/ledger/job-key.ts'
import { NATIVE_TOKEN, readDecisions } from '../src/ledger/escrow.ts'
import { LEAF_ENCODING } from '../src/ledger/epoch-tree.ts'
import { mined, revertOf, startTestChain, type TestChain } from './testing.ts'

const VOTING_SECONDS = 600
let t: TestChain
beforeAll(async () => {
  t = await startTestChain({ votingPeriodSeconds: VOTING_SECONDS, quorumBps: 2000 })
}, 60_000)
afterAll(async () => t?.chain.stop())

const KIND = { include: 0, exclude: 1, hyper: 2 } as const

/** A job whose coordinator (account 0) posted credit: owner 0 holds 10, account 1 holds 60, 2 holds 30. */
async function jobWithCredit(credits: bigint[]) {
  const id = `gov-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
  const c = t.clients[0]!
  const deadline = (await c.publicClient.getBlock()).timestamp + 86_400n
  await mined(c, await c.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [jobKey(id), t.addresses[0]!, NATIVE_TOKEN, parseEther('1'), deadline], value: parseEther('1') }))
  const tree = StandardMerkleTree.of(credits.map((v, i) => [t.addresses[i]!, v.toString()]), LEAF_ENCODING)
  const total = credits.reduce((a, b) => a + b, 0n)
  await mined(c, await c.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'postRoot', args: [jobKey(id), 1n, tree.root as Hex, total, 'cid'] }))
  const proof = (i: number) => tree.getProof(i) as Hex[]
  return { id, proof, tree }
}

const send = async (who: number, functionName: 'propose' | 'vote' | 'execute', args: readonly unknown[]) => {
  const c = t.clients[who]!
  await mined(c, await c.wallet.writeContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName, args } as never))
}
const proposalCount = () => t.clients[0]!.publicClient.readContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName: 'proposalCount' })

describe('JobGovernor', () => {
  it('executes a proposal that reaches quorum with more credit for than against, and records it for the coordinator', async () => {
    const { id, proof } = await jobWithCredit([10n, 60n, 30n])
    await send(1, 'propose', [jobKey(id), KIND.hyper, 'innerLr', 5n * 10n ** 14n, 60n, proof(1)])
    const pid = (await proposalCount()) - 1n
    await send(1, 'vote', [pid, true, 60n, proof(1)])
    await send(2, 'vote', [pid, false, 30n, proof(2)])
    expect(await revertOf(send(2, 'vote', [pid, true, 30n, proof(2)]))).toBe('AlreadyVoted')
    expect(await revertOf(send(0, 'vote', [pid, true, 11n, proof(0)]))).toBe('InvalidProof')
    expect(await revertOf(send(0, 'execute', [pid]))).toBe('VotingOpen')
    await t.increaseTime(VOTING_SECONDS + 1)
    expect(await revertOf(send(0, 'vote', [pid, true, 10n, proof(0)]))).toBe('VotingClosed')
    await send(3, 'execute', [pid])
    expect(await revertOf(send(3, 'execute', [pid]))).toBe('AlreadyExecuted')
    const decisions = await readDecisions(t.clients[0]!.publicClient, t.deployment.governor, id, 0)
    expect(decisions).toEqual([{ index: 0, proposalId: pid, kind: 'set-hyper-parameter', subject: 'innerLr', value: 5n * 10n ** 14n }])
  })

  it('records nothing when quorum is missed or the vote is lost', async () => {
    const { id, proof } = await jobWithCredit([10n, 60n, 30n])
    // 10 of 100 credit voting is under the 20 % quorum, even though all of it is for.
    await send(0, 'propose', [jobKey(id), KIND.exclude, 'bafy-dataset', 0n, 10n, proof(0)])
    const lowTurnout = (await proposalCount()) - 1n
    await send(0, 'vote', [lowTurnout, true, 10n, proof(0)])
    await send(2, 'propose', [jobKey(id), KIND.include, 'bafy-dataset', 0n, 30n, proof(2)])
    const lost = (await proposalCount()) - 1n
    await send(2, 'vote', [lost, true, 30n, proof(2)])
    await send(1, 'vote', [lost, false, 60n, proof(1)])
    await t.increaseTime(VOTING_SECONDS + 1)
    await send(0, 'execute', [lowTurnout])
    await send(0, 'execute', [lost])
    expect(await readDecisions(t.clients[0]!.publicClient, t.deployment.governor, id, 0)).toEqual([])
  })

  it('counts votes by the credit at proposal time, and lets only credit holders propose', async () => {
    const { id, proof } = await jobWithCredit([10n, 60n, 30n])
    expect(await revertOf(send(3, 'propose', [jobKey(id), KIND.exclude, 'bafy-x', 0n, 5n, proof(0)]))).toBe('InvalidProof')
    await send(0, 'propose', [jobKey(id), KIND.exclude, 'bafy-x', 0n, 10n, proof(0)])
    const pid = (await proposalCount()) - 1n
    // A later epoch gives account 0 far more credit; the proposal still counts the snapshot's.
    const c = t.clients[0]!
    const later = StandardMerkleTree.of([[t.addresses[0]!, '1000'], [t.addresses[1]!, '60']], LEAF_ENCODING)
    await mined(c, await c.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'postRoot', args: [jobKey(id), 2n, later.root as Hex, 1060n, 'cid2'] }))
    expect(await revertOf(send(0, 'vote', [pid, true, 1000n, later.getProof(0) as Hex[]]))).toBe('InvalidProof')
    await send(0, 'vote', [pid, true, 10n, proof(0)])
    await send(2, 'vote', [pid, true, 30n, proof(2)])
    await t.increaseTime(VOTING_SECONDS + 1)
    await send(0, 'execute', [pid])
    const [decision] = await readDecisions(t.clients[0]!.publicClient, t.deployment.governor, id, 0)
    expect(decision).toMatchObject({ kind: 'exclude-dataset', subject: 'bafy-x' })
    expect(await revertOf(send(0, 'propose', [jobKey(`never-funded-${id}`), KIND.exclude, 'x', 0n, 1n, []]))).toBe('UnknownJob')
  })
})
