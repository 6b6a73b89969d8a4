// The app's reads of the escrow and the escrow's smallest amounts, on a real anvil. An auditor who knows only a
// job's id finds every job under it, one per owner, and nothing else; a job never created reads as absent, but
// a failed read is an error, never "no such job". The last unit of a pool goes back to its owner (a reclaim
// that skipped a remainder of 1 would keep it in the contract for good), and a token job funded with ether
// attached is refused naming both the value it expected (none) and the value it got.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BaseError, ContractFunctionRevertedError, getAddress, type Address, type Hex } from 'viem'
import { findJobKeys, NATIVE_TOKEN, readEscrowJob } from '../src/ledger/escrow.ts'
import { jobKey } from '../src/ledger/job-key.ts'
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

describe('reading the escrow', () => {
  it('finds every job created under an id, by owner, and no job of another id', async () => {
    const id = freshId('shared')
    await e.createJob({ amount: 5n, id, owner: 0 })
    await e.createJob({ amount: 5n, id: `${id}-other`, owner: 0 })
    await e.createJob({ amount: 5n, id, owner: 2 })
    const found = await findJobKeys(t.clients[0]!.publicClient, e.escrow, id, 0n)
    expect(found).toEqual([
      { owner: getAddress(e.address(0)), key: jobKey(e.address(0), id) },
      { owner: getAddress(e.address(2)), key: jobKey(e.address(2), id) },
    ])
    expect(await findJobKeys(t.clients[0]!.publicClient, e.escrow, freshId('nobody'), 0n)).toEqual([])
  })

  it('reads a job never created as absent, and a read that fails as an error', async () => {
    const client = t.clients[0]!.publicClient
    expect(await readEscrowJob(client, e.escrow, `0x${'ab'.repeat(32)}` as Hex)).toBeNull()
    const { key } = await e.createJob({ amount: 5n })
    expect(await readEscrowJob(client, e.escrow, key)).toMatchObject({ owner: getAddress(e.address(0)), deposited: 5n })
    // An address without the contract answers nothing: that is a broken read, not "no such job".
    await expect(readEscrowJob(client, e.address(4), key)).rejects.toThrow()
  })
})
