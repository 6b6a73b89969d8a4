// JobEscrow's smallest amounts, on a real anvil: the last unit of a pool goes back to its owner (a reclaim
// that skipped a remainder of 1 would keep it in the contract for good), and a token job funded with ether
// attached is refused naming both the value it expected (none) and the value it got.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BaseError, ContractFunctionRevertedError, type Address } from 'viem'
import { NATIVE_TOKEN } from '../src/ledger/escrow.ts'
import { testTokenAbi } from '../src/ledger/generated/contracts.ts'
import { startTestChain, TEST_ESCROW, type TestChain } from './testing.ts'
import { EscrowActors, freshId } from './escrow-testing.ts'

let t: TestChain
let e: EscrowActors
beforeAll(async () => {
  t = await startTestChain()
  e = new EscrowActors(t)
}, 60_000)
afterAll(async () => t?.chain.stop())

const OWNER = 0
const token = () => t.deployment.testToken!
const tokenBalance = (account: Address) => t.clients[0]!.publicClient.readContract({ address: token(), abi: testTokenAbi, functionName: 'balanceOf', args: [account] })

/** The named error and its arguments a failed call reverted with. */
async function revertWithArgs(call: Promise<unknown>): Promise<{ name: string | undefined; args: readonly unknown[] }> {
  try {
    await call
  } catch (error) {
    const revert = error instanceof BaseError ? error.walk((x) => x instanceof ContractFunctionRevertedError) : null
    if (revert instanceof ContractFunctionRevertedError) return { name: revert.data?.errorName, args: revert.data?.args ?? [] }
    throw error
  }
  throw new Error('the call did not revert')
}

describe('JobEscrow: the smallest amounts', () => {
  it('gives the owner back a remainder of exactly one unit when it reclaims', async () => {
    const { key } = await e.createJob({ amount: 3n, token: token() })
    const alice = e.address(2)
    const tree = await e.post(key, 1n, [[alice, 2n, 2n]])
    await e.finalise(key, 1n)
    await e.claim(key, 1n, tree, alice)
    await t.increaseTime(3600 + TEST_ESCROW.claimWindowSeconds + 1)
    const before = await tokenBalance(e.address(OWNER))
    await e.send(OWNER, 'reclaim', [key])
    expect(await tokenBalance(e.address(OWNER))).toBe(before + 1n)
    expect(await tokenBalance(e.escrow)).toBe(0n)
    expect(await e.job(key)).toMatchObject({ closed: true, claimed: 3n, deposited: 3n })
  })

  it('refuses ether sent with a token job, naming the value expected (none) and the value sent', async () => {
    const c = t.clients[OWNER]!
    await c.wallet.writeContract({ address: token(), abi: testTokenAbi, functionName: 'mint', args: [e.address(OWNER), 10n] })
    await c.wallet.writeContract({ address: token(), abi: testTokenAbi, functionName: 'approve', args: [e.escrow, 10n] })
    const deadline = (await e.now()) + 3600n
    const args = [freshId(), e.address(1), token(), 10n, deadline, BigInt(TEST_ESCROW.minChallengeSeconds)]
    expect(await revertWithArgs(e.send(OWNER, 'createJob', args, 5n))).toEqual({ name: 'WrongValue', args: [0n, 5n] })
    // And an ether job sent the wrong value names what it expected.
    expect(await revertWithArgs(e.send(OWNER, 'createJob', [freshId(), e.address(1), NATIVE_TOKEN, 10n, deadline, BigInt(TEST_ESCROW.minChallengeSeconds)], 9n))).toEqual({ name: 'WrongValue', args: [10n, 9n] })
  })
})
