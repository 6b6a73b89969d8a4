// JobGovernor at each limit, on a chain of its own: quorum met by exactly its share of the snapshot (rounded up,
// also where the snapshot is too large for basis-point rounding to hide it), a majority of all credit that
// decides early only when above half, a tie that loses, voting that closes at its second, tallies capped at what
// both sides left of the snapshot, subjects up to 128 bytes, credit that must be non-zero, veto proposals until
// the last second of a root's challenge period and none for a vetoed root, and the events a client reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BaseError, decodeErrorResult, parseEther, type Address, type Hex } from 'viem'
import { jobGovernorAbi, jobGovernorBytecode } from '../src/ledger/generated/contracts.ts'
import { mined, revertOf, startTestChain, type TestChain } from './testing.ts'
import { CHALLENGE, EscrowActors, proofOf, type Leaf, type Tree } from './escrow-testing.ts'

const VOTING_SECONDS = 60
let t: TestChain
let e: EscrowActors
beforeAll(async () => {
  t = await startTestChain({ votingPeriodSeconds: VOTING_SECONDS, quorumBps: 2000 })
  e = new EscrowActors(t)
}, 60_000)
afterAll(async () => t?.chain.stop())

const KIND = { exclude: 1, hyper: 2, veto: 4 } as const
/** Every job here proposes on its first epoch's root, the latest final one. */
const SNAPSHOT = 1n
const rpc = () => t.clients[0]!.publicClient
const nextBlockAt = (seconds: bigint) => rpc().request({ method: 'evm_setNextBlockTimestamp' as never, params: [Number(seconds)] as never })

/** A job whose first, final epoch holds `leaves` for accounts 2, 3, 4 (amount, cumulative), reserving `amount`. */
async function jobWith(leaves: Array<[bigint, bigint]>, amount?: bigint): Promise<{ key: Hex; tree: Tree }> {
  const { key } = await e.createJob({ amount: parseEther('1') })
  const tree = await e.post(key, 1n, leaves.map(([a, c], i): Leaf => [t.addresses[i + 2]!, a, c]), amount === undefined ? {} : { amount })
  await e.finalise(key, 1n)
  return { key, tree }
}
const credits = (values: bigint[]) => jobWith(values.map((v) => [v, v]))

const leafArgs = (tree: Tree, who: number) => {
  const { amount, cumulative, proof } = proofOf(tree, t.addresses[who]!)
  return [amount, cumulative, proof] as const
}
const send = async (who: number, functionName: 'propose' | 'vote' | 'execute', args: readonly unknown[]) => {
  const c = t.clients[who]!
  await mined(c, await c.wallet.writeContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName, args } as never))
}
const read = <T>(functionName: string, args: readonly unknown[]) => rpc().readContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName, args } as never) as Promise<T>
async function propose(key: Hex, tree: Tree, who = 2, subject = 'bafy-x'): Promise<bigint> {
  await send(who, 'propose', [key, KIND.exclude, subject, 0n, SNAPSHOT, ...leafArgs(tree, who)])
  return (await read<bigint>('proposalCount', [])) - 1n
}
const proposal = (pid: bigint) => read<{ votingEnds: bigint; forVotes: bigint; againstVotes: bigint; passed: boolean; executed: boolean }>('proposal', [pid])
/** Ends `pid`'s vote and executes it; returns whether it passed. */
async function settle(pid: bigint): Promise<boolean> {
  const { votingEnds } = await proposal(pid)
  const now = (await rpc().getBlock()).timestamp
  if (now < votingEnds) await nextBlockAt(votingEnds)
  await send(5, 'execute', [pid])
  return (await proposal(pid)).passed
}

describe('JobGovernor: limits', () => {
  it('refuses a quorum of 0 or above 100 % when deployed, and takes 100 %', async () => {
    const deploy = async (bps: number) => {
      const c = t.clients[0]!
      const hash = await c.wallet.deployContract({ abi: jobGovernorAbi, bytecode: jobGovernorBytecode, args: [t.deployment.escrow, 60n, bps] } as never)
      return (await c.publicClient.waitForTransactionReceipt({ hash })).contractAddress as Address
    }
    // A reverted deployment comes back as raw revert data: decoded here against the governor's errors.
    const refusal = async (bps: number) => {
      try {
        await deploy(bps)
      } catch (error) {
        const raw = error instanceof BaseError ? error.walk((x) => typeof (x as { data?: unknown }).data === 'string') : null
        if (raw) return decodeErrorResult({ abi: jobGovernorAbi, data: (raw as unknown as { data: Hex }).data })
        throw error
      }
      return 'deployed'
    }
    expect(await refusal(0)).toEqual({ abiItem: expect.anything(), errorName: 'BadQuorum', args: [0] })
    expect(await refusal(10_001)).toEqual({ abiItem: expect.anything(), errorName: 'BadQuorum', args: [10_001] })
    const full = await deploy(10_000)
    expect(await rpc().readContract({ address: full, abi: jobGovernorAbi, functionName: 'quorumBps' })).toBe(10_000)
    expect(await rpc().readContract({ address: full, abi: jobGovernorAbi, functionName: 'votingPeriod' })).toBe(60n)
  })

  it('reaches quorum with exactly its share of the snapshot, rounded up, and not a unit less', async () => {
    // 20 % of 101 is 20.2: 21 credit reaches it, 20 does not.
    const met = await credits([21n, 50n, 30n])
    const yes = await propose(met.key, met.tree)
    await send(2, 'vote', [yes, true, ...leafArgs(met.tree, 2)])
    expect(await settle(yes)).toBe(true)
    const missed = await credits([20n, 50n, 31n])
    const no = await propose(missed.key, missed.tree)
    await send(2, 'vote', [no, true, ...leafArgs(missed.tree, 2)])
    expect(await read('quorumReached', [no])).toBe(false)
    expect(await settle(no)).toBe(false)
    // 20 % of 100 is exactly 20.
    const exact = await credits([20n, 50n, 30n])
    const even = await propose(exact.key, exact.tree)
    await send(2, 'vote', [even, true, ...leafArgs(exact.tree, 2)])
    expect(await read('quorumReached', [even])).toBe(true)
  })

  it('loses on a tie', async () => {
    const { key, tree } = await credits([30n, 30n, 40n])
    const pid = await propose(key, tree)
    await send(2, 'vote', [pid, true, ...leafArgs(tree, 2)])
    await send(3, 'vote', [pid, false, ...leafArgs(tree, 3)])
    expect(await settle(pid)).toBe(false)
    expect(await read('decisionCount', [key])).toBe(0n)
  })

  it('executes early only with more than half of all credit for, and closes voting at its second', async () => {
    const half = await credits([50n, 30n, 20n])
    const pid = await propose(half.key, half.tree)
    await send(2, 'vote', [pid, true, ...leafArgs(half.tree, 2)])
    const { votingEnds } = await proposal(pid)
    await nextBlockAt(votingEnds - 1n)
    expect(await revertOf(send(5, 'execute', [pid]))).toBe('VotingOpen')
    await nextBlockAt(votingEnds - 1n)
    await send(3, 'vote', [pid, false, ...leafArgs(half.tree, 3)])
    await nextBlockAt(votingEnds)
    expect(await revertOf(send(4, 'vote', [pid, false, ...leafArgs(half.tree, 4)]))).toBe('VotingClosed')
    await nextBlockAt(votingEnds)
    await send(5, 'execute', [pid])
    expect(await proposal(pid)).toMatchObject({ executed: true, passed: true, forVotes: 50n, againstVotes: 30n })

    const majority = await credits([51n, 29n, 20n])
    const early = await propose(majority.key, majority.tree)
    await send(2, 'vote', [early, true, ...leafArgs(majority.tree, 2)])
    await send(5, 'execute', [early])
    expect(await proposal(early)).toMatchObject({ executed: true, passed: true })
  })

  it('opens voting for exactly the voting period', async () => {
    const { key, tree } = await credits([5n, 5n, 5n])
    const at = (await rpc().getBlock()).timestamp + 7n
    await nextBlockAt(at)
    const pid = await propose(key, tree)
    expect((await proposal(pid)).votingEnds).toBe(at + BigInt(VOTING_SECONDS))
  })

  it('caps each vote at what the snapshot has left, so a doctored tree cannot count past its total', async () => {
    // The root reserves 100 but its leaves claim 60 + 60.
    const { key, tree } = await jobWith([[60n, 60n], [60n, 60n], [0n, 0n]], 100n)
    const pid = await propose(key, tree)
    await send(2, 'vote', [pid, true, ...leafArgs(tree, 2)])
    await send(3, 'vote', [pid, false, ...leafArgs(tree, 3)])
    expect(await proposal(pid)).toMatchObject({ forVotes: 60n, againstVotes: 40n })
    const logs = await rpc().getContractEvents({ address: t.deployment.governor, abi: jobGovernorAbi, eventName: 'VoteCast', args: { proposalId: pid } as never, fromBlock: 0n })
    expect(logs.map((l) => l.args)).toEqual([
      { proposalId: pid, voter: t.addresses[2]!, support: true, weight: 60n },
      { proposalId: pid, voter: t.addresses[3]!, support: false, weight: 40n },
    ])
  })

  it('takes a subject of 128 bytes and refuses 129; refuses a leaf of zero credit and a final root of zero credit', async () => {
    const { key, tree } = await jobWith([[5n, 5n], [0n, 0n], [1n, 1n]])
    await propose(key, tree, 2, 'x'.repeat(128))
    expect(await revertOf(propose(key, tree, 2, 'x'.repeat(129)))).toBe('EmptySubject')
    expect(await revertOf(propose(key, tree, 3))).toBe('InvalidProof')
    const empty = await jobWith([[0n, 0n]])
    expect(await revertOf(propose(empty.key, empty.tree, 2))).toBe('NoCreditYet')
    const count = await read<bigint>('proposalCount', [])
    expect(await revertOf(read('proposal', [count]))).toBe('UnknownProposal')
    await read('proposal', [count - 1n])
  })

  it('announces proposals, votes and outcomes', async () => {
    const { key, tree } = await credits([60n, 30n, 10n])
    const at = (await rpc().getBlock()).timestamp + 3n
    await nextBlockAt(at)
    await send(3, 'propose', [key, KIND.hyper, 'innerLr', 7n, SNAPSHOT, ...leafArgs(tree, 3)])
    const pid = (await read<bigint>('proposalCount', [])) - 1n
    await send(2, 'vote', [pid, true, ...leafArgs(tree, 2)])
    await send(5, 'execute', [pid])
    const logs = await rpc().getContractEvents({ address: t.deployment.governor, abi: jobGovernorAbi, args: { proposalId: pid } as never, fromBlock: 0n })
    expect(logs.map((l) => [l.eventName, l.args])).toEqual([
      ['ProposalCreated', { proposalId: pid, jobKey: key, proposer: t.addresses[3]!, kind: KIND.hyper, subject: 'innerLr', value: 7n, votingEnds: at + BigInt(VOTING_SECONDS) }],
      ['VoteCast', { proposalId: pid, voter: t.addresses[2]!, support: true, weight: 60n }],
      ['ProposalExecuted', { proposalId: pid, jobKey: key, passed: true }],
    ])
    expect(await read('hasVoted', [pid, t.addresses[2]!])).toBe(true)
    expect(await read('hasVoted', [pid, t.addresses[3]!])).toBe(false)
  })

  it('caps a vote at what both sides left of the snapshot', async () => {
    // The root reserves 100; its leaves claim 30 + 30 + 60.
    const { key, tree } = await jobWith([[30n, 30n], [30n, 30n], [60n, 60n]], 100n)
    const pid = await propose(key, tree)
    await send(2, 'vote', [pid, true, ...leafArgs(tree, 2)])
    await send(3, 'vote', [pid, false, ...leafArgs(tree, 3)])
    await send(4, 'vote', [pid, true, ...leafArgs(tree, 4)])
    expect(await proposal(pid)).toMatchObject({ forVotes: 70n, againstVotes: 30n })
  })

  it('needs the quorum share of a large snapshot rounded up, not a unit less', async () => {
    // 20 % of 10,001 is 2,000.2: 2,000 credit is not enough.
    const { key, tree } = await credits([2000n, 5000n, 3001n])
    const pid = await propose(key, tree)
    await send(2, 'vote', [pid, true, ...leafArgs(tree, 2)])
    expect(await read('quorumReached', [pid])).toBe(false)
  })

  it('takes a veto proposal until the last second of the root\'s challenge period, and none for a root already vetoed', async () => {
    const { key, tree } = await credits([10n, 10n, 10n])
    const veto = (epoch: bigint) => send(2, 'propose', [key, KIND.veto, 'bafy-report', epoch, SNAPSHOT, ...leafArgs(tree, 2)])
    await e.post(key, 2n, [[t.addresses[1]!, 5n, 5n]])
    const { postedAt } = await e.epoch(key, 2n)
    await nextBlockAt(postedAt + CHALLENGE - 1n)
    await veto(2n)
    await nextBlockAt(postedAt + CHALLENGE)
    expect(await revertOf(veto(2n))).toBe('BadEpoch')
    await e.post(key, 3n, [[t.addresses[1]!, 5n, 10n]])
    await e.send(0, 'vetoRoot', [key, 3n, 'owner'])
    expect(await revertOf(veto(3n))).toBe('BadEpoch')
  })
})
