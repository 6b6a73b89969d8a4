// JobEscrow at each limit, to the second and to the wei, on a chain of its own: every time window opens and
// closes at the second the contract says (deadline, pause, claim window, coordinator delay), every reservation
// may reach the deposit exactly, every error carries the numbers a wallet shows, a failed payment is never
// recorded as paid, and every state change is announced by its event (the Ledger and Audit pages read them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BaseError, ContractFunctionRevertedError, getAddress, parseEther, toFunctionSelector, zeroAddress, type Address } from 'viem'
import { jobEscrowAbi, jobEscrowBytecode, testTokenAbi } from '../src/ledger/generated/contracts.ts'
import { mined, revertOf, startTestChain, TEST_ESCROW, type TestChain } from './testing.ts'
import { CHALLENGE, EscrowActors, proofOf } from './escrow-testing.ts'

let t: TestChain
let e: EscrowActors
beforeAll(async () => {
  t = await startTestChain()
  e = new EscrowActors(t)
}, 60_000)
afterAll(async () => t?.chain.stop())

const OWNER = 0
const COORDINATOR = 1
const STRANGER = 4
const alice = () => t.addresses[2]!
const bob = () => t.addresses[3]!
const ETH = (x: string) => parseEther(x)
const rpc = () => t.clients[0]!.publicClient

/** The next transaction (or estimate) runs in a block at `seconds`. */
const nextBlockAt = (seconds: bigint) => rpc().request({ method: 'evm_setNextBlockTimestamp' as never, params: [Number(seconds)] as never })
/** Mines an empty block at `seconds`, so views read the chain as it is then. */
async function mineAt(seconds: bigint): Promise<void> {
  await nextBlockAt(seconds)
  await rpc().request({ method: 'evm_mine' as never, params: [] as never })
}

/** The named error and its arguments a failed call reverted with. */
async function revertWith(call: Promise<unknown>): Promise<{ name: string; args: readonly unknown[] }> {
  try {
    await call
  } catch (error) {
    const revert = error instanceof BaseError ? error.walk((x) => x instanceof ContractFunctionRevertedError) : null
    if (revert instanceof ContractFunctionRevertedError && revert.data) return { name: revert.data.errorName, args: revert.data.args ?? [] }
    throw error
  }
  throw new Error('the call did not revert')
}

describe('JobEscrow: time windows to the second', () => {
  it('refuses a deadline at the creating block\'s second and takes one a second later', async () => {
    const at = (await e.now()) + 10n
    await nextBlockAt(at)
    expect(await revertWith(e.send(OWNER, 'createJob', ['d-' + at, t.addresses[COORDINATOR]!, zeroAddress, 1n, at, CHALLENGE], 1n))).toEqual({ name: 'DeadlineInPast', args: [at] })
    await nextBlockAt(at)
    await e.send(OWNER, 'createJob', ['d-' + at, t.addresses[COORDINATOR]!, zeroAddress, 1n, at + 1n, CHALLENGE], 1n)
  })

  it('takes roots up to the deadline\'s second, reserving up to the whole deposit, and none a second later', async () => {
    const { key } = await e.createJob({ amount: 100n, deadlineIn: 50n })
    const deadline = (await e.job(key)).deadline
    await nextBlockAt(deadline)
    await e.post(key, 1n, [[alice(), 100n, 100n]])
    expect(await e.job(key)).toMatchObject({ reserved: 100n, epoch: 1n })
    await nextBlockAt(deadline + 1n)
    expect(await revertWith(e.post(key, 2n, [[alice(), 0n, 100n]]))).toEqual({ name: 'DeadlinePassed', args: [deadline] })
  })

  it('is paused until exactly pausedUntil, and a lapsed pause moves the deadline by its whole length', async () => {
    const { key } = await e.createJob({ amount: ETH('1'), deadlineIn: 10_000n })
    const one = await e.post(key, 1n, [[alice(), 7n, 7n]])
    await e.finalise(key, 1n)
    const { deadline } = await e.job(key)
    const pausedAt = (await e.now()) + 5n
    await nextBlockAt(pausedAt)
    await e.send(OWNER, 'setPaused', [key, true])
    const until = pausedAt + BigInt(TEST_ESCROW.maxPauseSeconds)
    expect(await e.job(key)).toMatchObject({ pausedUntil: until, deadline })
    await mineAt(until - 1n)
    expect(await e.read('paused', [key])).toBe(true)
    await nextBlockAt(until)
    await e.claim(key, 1n, one, alice())
    expect(await e.read('paused', [key])).toBe(false)
    // Ending the lapsed pause counts it once, in full: the deadline moves by maxPause, not by the time since.
    await mineAt(until + 300n)
    await e.send(OWNER, 'setPaused', [key, false])
    expect(await e.job(key)).toMatchObject({ deadline: deadline + BigInt(TEST_ESCROW.maxPauseSeconds), pausedUntil: 0n })
  })

  it('ends a pause early by exactly the time it lasted', async () => {
    const { key } = await e.createJob({ amount: ETH('1'), deadlineIn: 10_000n })
    const { deadline } = await e.job(key)
    const from = (await e.now()) + 5n
    await nextBlockAt(from)
    await e.send(OWNER, 'setPaused', [key, true])
    await nextBlockAt(from + 123n)
    await e.send(OWNER, 'setPaused', [key, false])
    expect(await e.job(key)).toMatchObject({ deadline: deadline + 123n, pausedUntil: 0n })
    expect(await e.read('paused', [key])).toBe(false)
  })

  it('lets the owner reclaim from exactly deadline + claim window, marks everything paid out, and takes no root after', async () => {
    const { key } = await e.createJob({ amount: ETH('1'), deadlineIn: 100n })
    await e.post(key, 1n, [[alice(), ETH('0.25'), ETH('0.25')]])
    const opens = (await e.job(key)).deadline + BigInt(TEST_ESCROW.claimWindowSeconds)
    await nextBlockAt(opens - 1n)
    expect(await revertWith(e.send(OWNER, 'reclaim', [key]))).toEqual({ name: 'DeadlineNotReached', args: [opens] })
    await nextBlockAt(opens)
    const before = await t.balance(t.addresses[OWNER]!)
    await e.send(OWNER, 'reclaim', [key])
    expect((await t.balance(t.addresses[OWNER]!)) - before).toBeGreaterThan(ETH('0.99'))
    expect(await e.job(key)).toMatchObject({ closed: true, claimed: ETH('1'), deposited: ETH('1') })
    expect(await revertOf(e.post(key, 2n, [[alice(), 0n, ETH('0.25')]]))).toBe('JobClosed')
  })

  it('hands over to a proposed coordinator from exactly the delay, and clears the proposal', async () => {
    const { key } = await e.createJob({ amount: ETH('1') })
    const proposedAt = (await e.now()) + 5n
    await nextBlockAt(proposedAt)
    await e.send(OWNER, 'proposeCoordinator', [key, bob()])
    const readyAt = proposedAt + BigInt(TEST_ESCROW.coordinatorDelaySeconds)
    expect(await e.read('job', [key])).toMatchObject({ nextCoordinator: bob(), nextCoordinatorAt: readyAt })
    await nextBlockAt(readyAt - 1n)
    expect(await revertWith(e.send(STRANGER, 'acceptCoordinator', [key]))).toEqual({ name: 'CoordinatorNotReady', args: [readyAt] })
    await nextBlockAt(readyAt)
    await e.send(STRANGER, 'acceptCoordinator', [key])
    expect(await e.read('job', [key])).toMatchObject({ coordinator: bob(), nextCoordinator: zeroAddress, nextCoordinatorAt: 0n })
  })

  it('is final, for latestFinal and verifyCredit, from exactly postedAt + challenge', async () => {
    const { key } = await e.createJob({ amount: ETH('1') })
    expect(await e.read('latestFinal', [key])).toBe(0n)
    const tree = await e.post(key, 1n, [[alice(), 9n, 9n], [bob(), 1n, 1n]])
    const { postedAt } = await e.epoch(key, 1n)
    const { amount, cumulative, proof } = proofOf(tree, alice())
    await mineAt(postedAt + CHALLENGE - 1n)
    expect(await e.read('isFinal', [key, 1n])).toBe(false)
    expect(await e.read('latestFinal', [key])).toBe(0n)
    expect(await e.read('verifyCredit', [key, 1n, alice(), amount, cumulative, proof])).toBe(false)
    await mineAt(postedAt + CHALLENGE)
    expect(await e.read('isFinal', [key, 1n])).toBe(true)
    expect(await e.read('latestFinal', [key])).toBe(1n)
    expect(await e.read('verifyCredit', [key, 1n, alice(), amount, cumulative, proof])).toBe(true)
    expect(await e.read('verifyCredit', [key, 1n, alice(), amount + 1n, cumulative, proof])).toBe(false)
    expect(await e.read('verifyCredit', [key, 1n, bob(), amount, cumulative, proof])).toBe(false)
    expect(await e.read('isFinal', [key, 2n])).toBe(false)
  })
})

describe('JobEscrow: the numbers each refusal carries', () => {
  it('names the epoch it expects, the running total it expects, the finality second and what an epoch has left', async () => {
    const { key } = await e.createJob({ amount: ETH('1') })
    expect(await revertWith(e.post(key, 3n, [[alice(), 1n, 1n]]))).toEqual({ name: 'WrongEpoch', args: [1n, 3n] })
    expect(await revertWith(e.post(key, 1n, [[alice(), 10n, 10n]], { cumulative: 12n }))).toEqual({ name: 'CumulativeMismatch', args: [10n, 12n] })
    expect(await revertWith(e.post(key, 1n, [[alice(), ETH('1') + 1n, ETH('1') + 1n]]))).toEqual({ name: 'TotalExceedsDeposit', args: [ETH('1') + 1n, ETH('1')] })
    const one = await e.post(key, 1n, [[alice(), 30n, 30n], [bob(), 25n, 25n]], { amount: 40n })
    await e.post(key, 2n, [[alice(), 5n, 35n]])
    expect(await revertWith(e.post(key, 3n, [[alice(), 1n, 36n]], { cumulative: 40n }))).toEqual({ name: 'CumulativeMismatch', args: [46n, 40n] })
    const { postedAt } = await e.epoch(key, 1n)
    expect(await revertWith(e.claim(key, 1n, one, alice()))).toEqual({ name: 'NotFinal', args: [1n, postedAt + CHALLENGE] })
    await e.finalise(key, 1n)
    await e.claim(key, 1n, one, alice())
    expect(await revertWith(e.claim(key, 1n, one, bob()))).toEqual({ name: 'EpochExhausted', args: [10n, 25n] })
    expect(await e.epoch(key, 1n)).toMatchObject({ claimed: 30n, amount: 40n })
  })

  it('refuses an empty top-up and every claimMany whose lists differ in length, and pays a batch of epochs', async () => {
    const { key } = await e.createJob({ amount: ETH('1') })
    expect(await revertOf(e.send(STRANGER, 'topUp', [key, 0n], 0n))).toBe('ZeroAmount')
    const one = await e.post(key, 1n, [[alice(), 3n, 3n]])
    const two = await e.post(key, 2n, [[alice(), 4n, 7n]])
    await e.finalise(key, 2n)
    const a = proofOf(one, alice())
    const b = proofOf(two, alice())
    const lists = { epochs: [1n, 2n], amounts: [a.amount, b.amount], cumulatives: [a.cumulative, b.cumulative], proofs: [a.proof, b.proof] }
    for (const short of ['epochs', 'amounts', 'cumulatives', 'proofs'] as const) {
      const args = { ...lists, [short]: lists[short].slice(1) }
      expect(await revertOf(e.send(5, 'claimMany', [key, alice(), args.epochs, args.amounts, args.cumulatives, args.proofs])), short).toBe('LengthMismatch')
    }
    const before = await t.balance(alice())
    await e.send(5, 'claimMany', [key, alice(), lists.epochs, lists.amounts, lists.cumulatives, lists.proofs])
    expect(await t.balance(alice())).toBe(before + 7n)
    expect(await e.read('claimedBy', [key, alice()])).toBe(7n)
    expect(await e.read('claimedIn', [key, 1n, alice()])).toBe(true)
    expect(await e.read('claimedIn', [key, 2n, alice()])).toBe(true)
  })

  it('refuses to read an epoch of a job that does not exist', async () => {
    expect(await revertOf(e.read('epochOf', ['0x' + '33'.repeat(32), 1n]))).toBe('UnknownJob')
    expect(await revertOf(e.read('latestFinal', ['0x' + '33'.repeat(32)]))).toBe('UnknownJob')
  })
})

describe('JobEscrow: payments', () => {
  it('passes on a recipient\'s refusal word for word and records nothing as paid', async () => {
    // An account whose code reverts with ZeroAmount() on any call: a contract wallet that refuses ETH.
    const refuser = getAddress('0x000000000000000000000000000000000000f00d')
    const selector = toFunctionSelector('ZeroAmount()').slice(2)
    await rpc().request({ method: 'anvil_setCode' as never, params: [refuser, `0x63${selector}60e01b60005260046000fd`] as never })
    const { key } = await e.createJob({ amount: ETH('1') })
    const tree = await e.post(key, 1n, [[refuser, 5n, 5n], [alice(), 5n, 5n]])
    await e.finalise(key, 1n)
    expect(await revertOf(e.claim(key, 1n, tree, refuser))).toBe('ZeroAmount')
    expect(await e.read('claimedIn', [key, 1n, refuser])).toBe(false)
    expect(await e.epoch(key, 1n)).toMatchObject({ claimed: 0n })
  })

  it('credits an ERC-20 pool with what arrived, whatever the escrow already held', async () => {
    const token = t.deployment.testToken!
    const balanceOf = (a: Address) => rpc().readContract({ address: token, abi: testTokenAbi, functionName: 'balanceOf', args: [a] })
    const first = await e.createJob({ amount: 1_000n, token })
    const second = await e.createJob({ amount: 300n, token, owner: 2 })
    expect((await e.job(first.key)).deposited).toBe(1_000n)
    expect((await e.job(second.key)).deposited).toBe(300n)
    expect(await balanceOf(e.escrow)).toBeGreaterThanOrEqual(1_300n)
    const c = t.clients[STRANGER]!
    await mined(c, await c.wallet.writeContract({ address: token, abi: testTokenAbi, functionName: 'mint', args: [t.addresses[STRANGER]!, 50n] }))
    await mined(c, await c.wallet.writeContract({ address: token, abi: testTokenAbi, functionName: 'approve', args: [e.escrow, 50n] }))
    await e.send(STRANGER, 'topUp', [second.key, 50n])
    expect((await e.job(second.key)).deposited).toBe(350n)
  })
})

describe('JobEscrow: the governor is named once', () => {
  it('only by the deployer, never as the zero address, and never again', async () => {
    const deployer = t.clients[STRANGER]!
    const hash = await deployer.wallet.deployContract({ abi: jobEscrowAbi, bytecode: jobEscrowBytecode, args: [100n, 1000n, 500n, 2000n] } as never)
    const address = (await deployer.publicClient.waitForTransactionReceipt({ hash })).contractAddress!
    const call = (who: number, governor: Address) => t.clients[who]!.wallet.writeContract({ address, abi: jobEscrowAbi, functionName: 'setGovernor', args: [governor] } as never).then((h) => mined(t.clients[who]!, h))
    const governorOf = () => rpc().readContract({ address, abi: jobEscrowAbi, functionName: 'governor' })
    expect(await revertOf(call(OWNER, alice()))).toBe('NotJobOwner')
    expect(await revertOf(call(STRANGER, zeroAddress))).toBe('ZeroAddress')
    expect(await governorOf()).toBe(zeroAddress)
    await call(STRANGER, alice())
    expect(await governorOf()).toBe(alice())
    expect(await revertOf(call(STRANGER, bob()))).toBe('GovernorSet')
  })
})

describe('JobEscrow: events', () => {
  it('announces every change with the numbers it made, vetoing each later root once', async () => {
    const { id, key } = await e.createJob({ amount: ETH('1'), deadlineIn: 400n })
    const { deadline } = await e.job(key)
    await e.send(STRANGER, 'topUp', [key, 5n], 5n)
    const one = await e.post(key, 1n, [[alice(), 10n, 10n]])
    const two = await e.post(key, 2n, [[alice(), 2n, 12n]])
    await e.post(key, 3n, [[bob(), 3n, 3n]])
    await e.send(OWNER, 'vetoRoot', [key, 3n, 'first'])
    await e.send(OWNER, 'vetoRoot', [key, 2n, 'second'])
    await e.finalise(key, 1n)
    await e.claim(key, 1n, one, alice())
    const pausedAt = (await e.now()) + 5n
    await nextBlockAt(pausedAt)
    await e.send(OWNER, 'setPaused', [key, true])
    await nextBlockAt(pausedAt + 10n)
    await e.send(OWNER, 'setPaused', [key, false])
    const proposedAt = pausedAt + 20n
    await nextBlockAt(proposedAt)
    await e.send(OWNER, 'proposeCoordinator', [key, bob()])
    await nextBlockAt(proposedAt + BigInt(TEST_ESCROW.coordinatorDelaySeconds))
    await e.send(STRANGER, 'acceptCoordinator', [key])
    await t.increaseTime(400 + TEST_ESCROW.claimWindowSeconds + 100)
    await e.send(OWNER, 'reclaim', [key])

    const logs = await rpc().getContractEvents({ address: e.escrow, abi: jobEscrowAbi, args: { jobKey: key } as never, fromBlock: 0n })
    const owner = t.addresses[OWNER]!
    expect(logs.map((l) => [l.eventName, l.args])).toEqual([
      ['JobCreated', { jobKey: key, owner, id, coordinator: t.addresses[COORDINATOR]!, token: zeroAddress, amount: ETH('1'), deadline, challengePeriod: CHALLENGE }],
      ['ToppedUp', { jobKey: key, from: t.addresses[STRANGER]!, amount: 5n }],
      ['RootPosted', { jobKey: key, epoch: 1n, root: one.root, amount: 10n, cumulative: 10n, treeCid: 'tree-1', logCid: 'log-1' }],
      ['RootPosted', { jobKey: key, epoch: 2n, root: two.root, amount: 2n, cumulative: 12n, treeCid: 'tree-2', logCid: 'log-2' }],
      ['RootPosted', expect.objectContaining({ epoch: 3n, amount: 3n, cumulative: 15n })],
      ['RootVetoed', { jobKey: key, epoch: 3n, by: owner, reasonCid: 'first' }],
      ['RootVetoed', { jobKey: key, epoch: 2n, by: owner, reasonCid: 'second' }],
      ['Claimed', { jobKey: key, account: alice(), epoch: 1n, amount: 10n }],
      ['PauseSet', { jobKey: key, pausedUntil: pausedAt + BigInt(TEST_ESCROW.maxPauseSeconds), deadline }],
      ['PauseSet', { jobKey: key, pausedUntil: 0n, deadline: deadline + 10n }],
      ['CoordinatorProposed', { jobKey: key, coordinator: bob(), readyAt: proposedAt + BigInt(TEST_ESCROW.coordinatorDelaySeconds) }],
      ['CoordinatorSet', { jobKey: key, coordinator: bob() }],
      ['Reclaimed', { jobKey: key, to: owner, amount: ETH('1') + 5n - 10n }],
    ])
    expect(await e.job(key)).toMatchObject({ reserved: 10n })
  })
})
