// JobGovernor where its rules meet: a vote capped after both sides voted, quorum of a snapshot too large for
// the basis-point rounding to hide, and veto proposals at the last second of a root's challenge period or for
// a root already vetoed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther, type Hex } from 'viem'
import { jobGovernorAbi } from '../src/ledger/generated/contracts.ts'
import { CHALLENGE, EscrowActors, proofOf, type Leaf, type Tree } from './escrow-testing.ts'
import { mined, revertOf, startTestChain, type TestChain } from './testing.ts'

let t: TestChain
let e: EscrowActors
beforeAll(async () => {
  t = await startTestChain({ votingPeriodSeconds: 60, quorumBps: 2000 })
  e = new EscrowActors(t)
}, 60_000)
afterAll(async () => t?.chain.stop())

const VETO = 4
const rpc = () => t.clients[0]!.publicClient
const nextBlockAt = (seconds: bigint) => rpc().request({ method: 'evm_setNextBlockTimestamp' as never, params: [Number(seconds)] as never })

async function jobWith(leaves: Array<[bigint, bigint]>, amount?: bigint): Promise<{ key: Hex; tree: Tree }> {
  const { key } = await e.createJob({ amount: parseEther('1') })
  const tree = await e.post(key, 1n, leaves.map(([a, c], i): Leaf => [t.addresses[i + 2]!, a, c]), amount === undefined ? {} : { amount })
  await e.finalise(key, 1n)
  return { key, tree }
}
const leafArgs = (tree: Tree, who: number) => {
  const { amount, cumulative, proof } = proofOf(tree, t.addresses[who]!)
  return [amount, cumulative, proof] as const
}
const send = async (who: number, functionName: 'propose' | 'vote', args: readonly unknown[]) => {
  const c = t.clients[who]!
  await mined(c, await c.wallet.writeContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName, args } as never))
}
const read = <T>(functionName: string, args: readonly unknown[]) => rpc().readContract({ address: t.deployment.governor, abi: jobGovernorAbi, functionName, args } as never) as Promise<T>
const last = async () => (await read<bigint>('proposalCount', [])) - 1n

describe('JobGovernor: where the rules meet', () => {
  it('caps a vote at what both sides left of the snapshot', async () => {
    // The root reserves 100; its leaves claim 30 + 30 + 60.
    const { key, tree } = await jobWith([[30n, 30n], [30n, 30n], [60n, 60n]], 100n)
    await send(2, 'propose', [key, 1, 'bafy-x', 0n, ...leafArgs(tree, 2)])
    const pid = await last()
    await send(2, 'vote', [pid, true, ...leafArgs(tree, 2)])
    await send(3, 'vote', [pid, false, ...leafArgs(tree, 3)])
    await send(4, 'vote', [pid, true, ...leafArgs(tree, 4)])
    expect(await read('proposal', [pid])).toMatchObject({ forVotes: 70n, againstVotes: 30n })
  })

  it('needs the quorum share of a large snapshot rounded up, not a unit less', async () => {
    // 20 % of 10,001 is 2,000.2: 2,000 credit is not enough.
    const { key, tree } = await jobWith([[2000n, 2000n], [5000n, 5000n], [3001n, 3001n]])
    await send(2, 'propose', [key, 1, 'bafy-x', 0n, ...leafArgs(tree, 2)])
    const pid = await last()
    await send(2, 'vote', [pid, true, ...leafArgs(tree, 2)])
    expect(await read('quorumReached', [pid])).toBe(false)
  })

  it('takes a veto proposal until the last second of the root\'s challenge period, and none for a root already vetoed', async () => {
    const { key, tree } = await jobWith([[10n, 10n], [10n, 10n], [10n, 10n]])
    await e.post(key, 2n, [[t.addresses[1]!, 5n, 5n]])
    const { postedAt } = await e.epoch(key, 2n)
    await nextBlockAt(postedAt + CHALLENGE - 1n)
    await send(2, 'propose', [key, VETO, 'bafy-report', 2n, ...leafArgs(tree, 2)])
    await nextBlockAt(postedAt + CHALLENGE)
    expect(await revertOf(send(2, 'propose', [key, VETO, 'bafy-report', 2n, ...leafArgs(tree, 2)]))).toBe('BadEpoch')
    await e.post(key, 3n, [[t.addresses[1]!, 5n, 10n]])
    await e.send(0, 'vetoRoot', [key, 3n, 'owner'])
    expect(await revertOf(send(2, 'propose', [key, VETO, 'bafy-report', 3n, ...leafArgs(tree, 2)]))).toBe('BadEpoch')
  })
})
