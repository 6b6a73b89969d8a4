// JobEscrow where two rules meet: a pause that lapsed without being ended still moves the deadline (roots and
// the reclaim both wait for it), and deposits in tokens that move nothing, or a single unit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BaseError, ContractFunctionRevertedError, getAddress } from 'viem'
import { CHALLENGE, EscrowActors, freshId } from './escrow-testing.ts'
import { revertOf, startTestChain, TEST_ESCROW, type TestChain } from './testing.ts'

let t: TestChain
let e: EscrowActors
beforeAll(async () => {
  t = await startTestChain()
  e = new EscrowActors(t)
}, 60_000)
afterAll(async () => t?.chain.stop())

const rpc = () => t.clients[0]!.publicClient
const nextBlockAt = (seconds: bigint) => rpc().request({ method: 'evm_setNextBlockTimestamp' as never, params: [Number(seconds)] as never })
const alice = () => t.addresses[2]!

async function revertArgs(call: Promise<unknown>): Promise<readonly unknown[]> {
  try {
    await call
  } catch (error) {
    const revert = error instanceof BaseError ? error.walk((x) => x instanceof ContractFunctionRevertedError) : null
    if (revert instanceof ContractFunctionRevertedError && revert.data) return [revert.data.errorName, ...(revert.data.args ?? [])]
    throw error
  }
  return ['no revert']
}

describe('JobEscrow: a pause that lapsed', () => {
  it('moves the deadline by the whole pause even if nobody ends it: roots until then, the reclaim a claim window later', async () => {
    const start = (await e.now()) + 10n
    await nextBlockAt(start)
    const { key } = await e.createJob({ amount: 1000n, deadlineIn: 100n })
    const { deadline } = await e.job(key)
    const pausedAt = start + 5n
    await nextBlockAt(pausedAt)
    await e.send(0, 'setPaused', [key, true])
    const moved = deadline + BigInt(TEST_ESCROW.maxPauseSeconds)
    // The pause ran out at pausedAt + maxPause, before the moved deadline; nobody called setPaused again.
    await nextBlockAt(moved)
    await e.post(key, 1n, [[alice(), 10n, 10n]])
    await nextBlockAt(moved + 1n)
    expect(await revertArgs(e.post(key, 2n, [[alice(), 1n, 11n]]))).toEqual(['DeadlinePassed', moved])
    const opens = moved + BigInt(TEST_ESCROW.claimWindowSeconds)
    await nextBlockAt(opens - 1n)
    expect(await revertArgs(e.send(0, 'reclaim', [key]))).toEqual(['DeadlineNotReached', opens])
    await nextBlockAt(opens)
    await e.send(0, 'reclaim', [key])
  })
})

describe('JobEscrow: token deposits', () => {
  it('refuses a token deposit that moved nothing, and takes a deposit of a single unit', async () => {
    // A "token" whose every call returns 1: transferFrom says it succeeded, balanceOf never changes.
    const hollow = getAddress('0x000000000000000000000000000000000000beef')
    await rpc().request({ method: 'anvil_setCode' as never, params: [hollow, '0x600160005260206000f3'] as never })
    expect(await revertOf(e.send(0, 'createJob', [freshId(), t.addresses[1]!, hollow, 100n, (await e.now()) + 100n, CHALLENGE]))).toBe('ZeroAmount')
    const { key } = await e.createJob({ amount: 1n, token: t.deployment.testToken! })
    expect((await e.job(key)).deposited).toBe(1n)
  })
})
