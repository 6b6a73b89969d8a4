// JobEscrow against a real anvil: every attack a security review found (issue 15) reverting or harmless, access
// control from every role, and the boundaries of each time window. The property test over random sequences
// lives in escrow-property.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getAddress, parseEther, type Address, type Hex } from 'viem'
import { jobKey } from '../src/ledger/job-key.ts'
import { NATIVE_TOKEN, readClaimed, readEscrowJob, readLatestFinal } from '../src/ledger/escrow.ts'
import { testTokenAbi } from '../src/ledger/generated/contracts.ts'
import { revertOf, startTestChain, TEST_ESCROW, type TestChain } from './testing.ts'
import { CHALLENGE, EscrowActors, freshId, proofOf } from './escrow-testing.ts'

let t: TestChain
let e: EscrowActors
beforeAll(async () => {
  t = await startTestChain()
  e = new EscrowActors(t)
}, 60_000)
afterAll(async () => t?.chain.stop())

// Roles by anvil account: 0 owner, 1 coordinator, 2 alice, 3 bob, 4 stranger, 5 relayer paying gas for claims.
const OWNER = 0
const COORDINATOR = 1
const STRANGER = 4
const alice = () => t.addresses[2]!
const bob = () => t.addresses[3]!
const coordinator = () => t.addresses[COORDINATOR]!
const ETH = (x: string) => parseEther(x)

describe('JobEscrow: claims', () => {
  it('pays each final epoch\'s leaf once, out of that epoch\'s reservation, to the account whoever sends it', async () => {
    const { key } = await e.createJob({ amount: ETH('1') })
    const one = await e.post(key, 1n, [[alice(), ETH('0.3'), ETH('0.3')], [bob(), ETH('0.2'), ETH('0.2')]])
    expect(await e.job(key)).toMatchObject({ epoch: 1n, reserved: ETH('0.5'), claimed: 0n, deposited: ETH('1') })
    expect(await e.epoch(key, 1n)).toMatchObject({ root: one.root, amount: ETH('0.5'), cumulative: ETH('0.5'), treeCid: 'tree-1', logCid: 'log-1', vetoed: false })
    // Not claimable during the challenge period.
    expect(await revertOf(e.claim(key, 1n, one, alice()))).toBe('NotFinal')
    const two = await e.post(key, 2n, [[alice(), ETH('0.1'), ETH('0.4')]])
    await e.finalise(key, 2n)
    expect(await readLatestFinal(t.clients[0]!.publicClient, e.escrow, key)).toBe(2)
    const before = await t.balance(alice())
    await e.claim(key, 1n, one, alice())
    expect(await t.balance(alice())).toBe(before + ETH('0.3'))
    expect(await revertOf(e.claim(key, 1n, one, alice()))).toBe('AlreadyClaimed')
    // claimMany: both of bob's... here alice's second epoch and bob's first in separate calls, then a batch.
    const a2 = proofOf(two, alice())
    await e.send(5, 'claimMany', [key, alice(), [2n], [a2.amount], [a2.cumulative], [a2.proof]])
    expect(await t.balance(alice())).toBe(before + ETH('0.4'))
    expect(await revertOf(e.send(5, 'claimMany', [key, alice(), [2n, 1n], [a2.amount], [a2.cumulative], [a2.proof]]))).toBe('LengthMismatch')
    await e.claim(key, 1n, one, bob())
    expect(await readClaimed(t.clients[0]!.publicClient, e.escrow, key, alice())).toBe(ETH('0.4'))
    expect(await e.job(key)).toMatchObject({ claimed: ETH('0.6'), reserved: ETH('0.6') })
    expect(await e.epoch(key, 1n)).toMatchObject({ claimed: ETH('0.5') })
  })

  it('refuses a wrong amount, a wrong cumulative, someone else\'s proof and an empty leaf', async () => {
    const { key } = await e.createJob({ amount: ETH('1') })
    const tree = await e.post(key, 1n, [[alice(), ETH('0.3'), ETH('0.3')], [bob(), 0n, ETH('0.2')]])
    await e.finalise(key, 1n)
    const a = proofOf(tree, alice())
    expect(await revertOf(e.send(5, 'claim', [key, 1n, alice(), ETH('0.31'), a.cumulative, a.proof]))).toBe('InvalidProof')
    expect(await revertOf(e.send(5, 'claim', [key, 1n, alice(), a.amount, ETH('0.4'), a.proof]))).toBe('InvalidProof')
    expect(await revertOf(e.send(5, 'claim', [key, 1n, bob(), a.amount, a.cumulative, a.proof]))).toBe('InvalidProof')
    expect(await revertOf(e.send(5, 'claim', [key, 2n, alice(), a.amount, a.cumulative, a.proof]))).toBe('UnknownEpoch')
    // Bob earned nothing new in this epoch: his leaf carries only his running total (for governance).
    expect(await revertOf(e.claim(key, 1n, tree, bob()))).toBe('NothingToClaim')
  })

  it('works the same for an ERC-20 pool: approve, create, claim, and ETH sent along is refused', async () => {
    const token = t.deployment.testToken!
    const balanceOf = (a: Address) => t.clients[0]!.publicClient.readContract({ address: token, abi: testTokenAbi, functionName: 'balanceOf', args: [a] })
    const { key } = await e.createJob({ amount: 5_000_000n, token })
    expect(await readEscrowJob(t.clients[0]!.publicClient, e.escrow, key)).toMatchObject({ token: getAddress(token), deposited: 5_000_000n })
    const tree = await e.post(key, 1n, [[alice(), 1_250_000n, 1_250_000n]])
    await e.finalise(key, 1n)
    const before = await balanceOf(alice())
    await e.claim(key, 1n, tree, alice())
    expect(await balanceOf(alice())).toBe(before + 1_250_000n)
    // Without an allowance the token's own error comes back by name; ETH alongside a token pool is refused.
    expect(await revertOf(e.send(OWNER, 'createJob', [freshId(), coordinator(), token, 1n, (await e.now()) + 100n, CHALLENGE]))).toBe('ERC20InsufficientAllowance')
    expect(await revertOf(e.send(OWNER, 'topUp', [key, 1n], 1n))).toBe('WrongValue')
  })
})

describe('JobEscrow: a dishonest coordinator', () => {
  it('cannot take posted credit with a self-paying root: old proofs still pay, and the root reserves only what was left', async () => {
    // The review's attack: a root with the coordinator as its only leaf used to pay it everything and revoke every
    // earlier proof. Now it can only reserve what no earlier root reserved, and the owner can veto it.
    const { key } = await e.createJob({ amount: ETH('2') })
    const one = await e.post(key, 1n, [[alice(), ETH('0.3'), ETH('0.3')], [bob(), ETH('0.2'), ETH('0.2')]])
    await e.finalise(key, 1n)
    expect(await revertOf(e.post(key, 2n, [[coordinator(), ETH('2'), ETH('2')]]))).toBe('TotalExceedsDeposit')
    const greedy = await e.post(key, 2n, [[coordinator(), ETH('1.5'), ETH('1.5')]])
    // Final credit is untouched: alice and bob claim epoch 1 with their original proofs.
    await e.claim(key, 1n, one, alice())
    await e.claim(key, 1n, one, bob())
    // The owner (reading the audit) vetoes the greedy root inside its challenge period: its reservation returns.
    await e.send(OWNER, 'vetoRoot', [key, 2n, 'bafy-audit-report'])
    expect(await e.job(key)).toMatchObject({ reserved: ETH('0.5') })
    await e.finalise(key, 2n)
    expect(await revertOf(e.claim(key, 2n, greedy, coordinator()))).toBe('UnknownEpoch')
    // The next epoch number is 3: a vetoed epoch stays a hole, so nobody can replay its claims.
    expect(await revertOf(e.post(key, 2n, [[alice(), 1n, 1n]]))).toBe('WrongEpoch')
    await e.post(key, 3n, [[alice(), ETH('0.1'), ETH('0.4')]])
  })

  it('cannot pay out more than a root reserved, whatever its leaves say', async () => {
    const { key } = await e.createJob({ amount: ETH('1') })
    // The leaves add up to 0.8 but the root reserves 0.3: the epoch pays until its reservation runs out.
    const doctored = await e.post(key, 1n, [[alice(), ETH('0.3'), ETH('0.3')], [bob(), ETH('0.5'), ETH('0.5')]], { amount: ETH('0.3') })
    await e.finalise(key, 1n)
    expect(await revertOf(e.claim(key, 1n, doctored, bob()))).toBe('EpochExhausted')
    await e.claim(key, 1n, doctored, alice())
    expect(await e.job(key)).toMatchObject({ claimed: ETH('0.3'), reserved: ETH('0.3') })
  })

  it('must post epochs one after another and declare the running total exactly', async () => {
    const { key } = await e.createJob({ amount: ETH('1') })
    const MAX_U64 = 2n ** 64n - 1n
    // The review's freeze: epoch 2^64 − 1 would have blocked every later root.
    expect(await revertOf(e.post(key, MAX_U64, [[alice(), 1n, 1n]]))).toBe('WrongEpoch')
    expect(await revertOf(e.post(key, 2n, [[alice(), 1n, 1n]]))).toBe('WrongEpoch')
    expect(await revertOf(e.post(key, 0n, [[alice(), 1n, 1n]]))).toBe('WrongEpoch')
    expect(await revertOf(e.post(key, 1n, [[alice(), 10n, 10n]], { cumulative: 11n }))).toBe('CumulativeMismatch')
    expect(await revertOf(e.post(key, 1n, [[alice(), 10n, 10n]], { cumulative: 9n }))).toBe('CumulativeMismatch')
    await e.post(key, 1n, [[alice(), 10n, 10n]])
    expect(await revertOf(e.post(key, 1n, [[alice(), 10n, 10n]]))).toBe('WrongEpoch')
    expect(await revertOf(e.post(key, 2n, [[alice(), 5n, 15n]], { cumulative: 5n }))).toBe('CumulativeMismatch')
    await e.post(key, 2n, [[alice(), 5n, 15n]])
    expect(await e.job(key)).toMatchObject({ epoch: 2n, reserved: 15n })
  })
})

describe('JobEscrow: a dishonest owner', () => {
  it('cannot make itself coordinator before the delay, and final credit survives the change', async () => {
    const { key } = await e.createJob({ amount: ETH('1') })
    const one = await e.post(key, 1n, [[alice(), ETH('0.4'), ETH('0.4')]])
    await e.send(OWNER, 'proposeCoordinator', [key, t.addresses[OWNER]!])
    expect(await revertOf(e.send(OWNER, 'acceptCoordinator', [key]))).toBe('CoordinatorNotReady')
    // Until the change lands the old coordinator still posts, and the owner cannot.
    expect(await revertOf(e.post(key, 2n, [[t.addresses[OWNER]!, ETH('0.6'), ETH('0.6')]], { from: OWNER }))).toBe('NotCoordinator')
    await t.increaseTime(TEST_ESCROW.coordinatorDelaySeconds)
    await e.send(STRANGER, 'acceptCoordinator', [key])
    expect(await revertOf(e.send(STRANGER, 'acceptCoordinator', [key]))).toBe('NoCoordinatorPending')
    expect((await e.job(key)).coordinator).toBe(t.addresses[OWNER])
    // The owner, now coordinator, can only reserve what was never reserved: alice's final leaf still pays.
    expect(await revertOf(e.post(key, 2n, [[t.addresses[OWNER]!, ETH('1'), ETH('1')]], { from: OWNER }))).toBe('TotalExceedsDeposit')
    await e.post(key, 2n, [[t.addresses[OWNER]!, ETH('0.6'), ETH('0.6')]], { from: OWNER })
    expect(await revertOf(e.post(key, 3n, [[alice(), 0n, 1n]], { from: COORDINATOR }))).toBe('NotCoordinator')
    const before = await t.balance(alice())
    await e.claim(key, 1n, one, alice())
    expect(await t.balance(alice())).toBe(before + ETH('0.4'))
  })

  it('cannot reclaim while paused, and a pause moves the deadline back by its length', async () => {
    const { key } = await e.createJob({ amount: ETH('1'), deadlineIn: 300n })
    const one = await e.post(key, 1n, [[alice(), ETH('0.5'), ETH('0.5')]])
    await e.finalise(key, 1n)
    const deadline = (await e.job(key)).deadline
    await e.send(OWNER, 'setPaused', [key, true])
    // Paused: no claims, no roots, and (the review's attack) no reclaim, even long after deadline + claim window.
    expect(await revertOf(e.claim(key, 1n, one, alice()))).toBe('JobPaused')
    expect(await revertOf(e.post(key, 2n, [[bob(), 1n, 1n]]))).toBe('JobPaused')
    await t.increaseTime(1500)
    expect(await revertOf(e.send(OWNER, 'reclaim', [key]))).toBe('JobPaused')
    await e.send(OWNER, 'setPaused', [key, false])
    const moved = (await e.job(key)).deadline
    expect(moved - deadline).toBeGreaterThanOrEqual(1500n)
    // The pause ate none of the claim window: reclaim waits for the moved deadline, and alice claims first.
    expect(await revertOf(e.send(OWNER, 'reclaim', [key]))).toBe('DeadlineNotReached')
    await e.claim(key, 1n, one, alice())
  })

  it('cannot hold a pause beyond its maximum: it lapses by itself and claims work again', async () => {
    const { key } = await e.createJob({ amount: ETH('1'), deadlineIn: 10_000n })
    const one = await e.post(key, 1n, [[alice(), ETH('0.5'), ETH('0.5')]])
    await e.send(OWNER, 'setPaused', [key, true])
    await t.increaseTime(TEST_ESCROW.maxPauseSeconds - 10)
    expect(await revertOf(e.claim(key, 1n, one, alice()))).toBe('JobPaused')
    await t.increaseTime(20)
    await e.claim(key, 1n, one, alice())
    // Pausing again is allowed, but the lapsed pause was counted once into the deadline.
    const before = (await e.job(key)).deadline
    await e.send(OWNER, 'setPaused', [key, true])
    const after = (await e.job(key)).deadline
    expect(after - before).toBe(BigInt(TEST_ESCROW.maxPauseSeconds))
  })

  it('reclaims only after the deadline and the claim window, and only what nobody claimed; then the job is closed', async () => {
    const { key } = await e.createJob({ amount: ETH('1'), deadlineIn: 200n })
    const one = await e.post(key, 1n, [[alice(), ETH('0.3'), ETH('0.3')], [bob(), ETH('0.2'), ETH('0.2')]])
    await e.finalise(key, 1n)
    await t.increaseTime(200)
    // Past the deadline no new root lands, but final credit stays claimable through the claim window.
    expect(await revertOf(e.post(key, 2n, [[alice(), 1n, ETH('0.3') + 1n]]))).toBe('DeadlinePassed')
    expect(await revertOf(e.send(OWNER, 'reclaim', [key]))).toBe('DeadlineNotReached')
    await e.claim(key, 1n, one, alice())
    await t.increaseTime(TEST_ESCROW.claimWindowSeconds)
    expect(await revertOf(e.send(STRANGER, 'reclaim', [key]))).toBe('NotJobOwner')
    const before = await t.balance(t.addresses[OWNER]!)
    await e.send(OWNER, 'reclaim', [key])
    const gained = (await t.balance(t.addresses[OWNER]!)) - before
    // 0.7 back (bob never claimed his 0.2 within the window) less gas.
    expect(gained).toBeGreaterThan(ETH('0.69'))
    expect(gained).toBeLessThanOrEqual(ETH('0.7'))
    expect(await revertOf(e.claim(key, 1n, one, bob()))).toBe('JobClosed')
    expect(await revertOf(e.send(OWNER, 'reclaim', [key]))).toBe('JobClosed')
    expect(await revertOf(e.send(OWNER, 'topUp', [key, 1n], 1n))).toBe('JobClosed')
    expect(await revertOf(e.send(OWNER, 'setPaused', [key, true]))).toBe('JobClosed')
  })
})

describe('JobEscrow: job keys', () => {
  it('keys a job by owner and id, so nobody can squat an id someone else will use', async () => {
    const id = freshId('squat')
    const squatter = await e.createJob({ id, owner: STRANGER, amount: 1n })
    const real = await e.createJob({ id, owner: OWNER, amount: ETH('1') })
    expect(real.key).not.toBe(squatter.key)
    expect(real.key).toBe(jobKey(t.addresses[OWNER]!, id))
    expect(await e.read('jobKey', [t.addresses[OWNER]!, id])).toBe(real.key)
    expect((await e.job(real.key)).deposited).toBe(ETH('1'))
    expect(await revertOf(e.createJob({ id, owner: OWNER, amount: 1n }))).toBe('JobExists')
    expect(await revertOf(e.job('0x' + '11'.repeat(32) as Hex))).toBe('UnknownJob')
  })
})

describe('JobEscrow: access control from every role', () => {
  it('lets each function be called only by its role', async () => {
    const { key } = await e.createJob({ amount: ETH('1') })
    for (const who of [OWNER, 2, STRANGER]) expect(await revertOf(e.post(key, 1n, [[alice(), 1n, 1n]], { from: who }))).toBe('NotCoordinator')
    await e.post(key, 1n, [[alice(), 1n, 1n]])
    for (const who of [COORDINATOR, 2, STRANGER]) expect(await revertOf(e.send(who, 'vetoRoot', [key, 1n, 'x']))).toBe('NotOwnerOrGovernor')
    for (const who of [COORDINATOR, 2, STRANGER]) {
      expect(await revertOf(e.send(who, 'setPaused', [key, true]))).toBe('NotJobOwner')
      expect(await revertOf(e.send(who, 'proposeCoordinator', [key, t.addresses[who]!]))).toBe('NotJobOwner')
      expect(await revertOf(e.send(who, 'reclaim', [key]))).toBe('NotJobOwner')
    }
    // The governor is named once, by the deployer, at deployment.
    expect(await revertOf(e.send(STRANGER, 'setGovernor', [t.addresses[STRANGER]!]))).toBe('NotJobOwner')
    expect(await revertOf(e.send(OWNER, 'setGovernor', [t.addresses[STRANGER]!]))).toBe('GovernorSet')
    // Anyone may top up an open job.
    await e.send(STRANGER, 'topUp', [key, ETH('0.5')], ETH('0.5'))
    expect((await e.job(key)).deposited).toBe(ETH('1.5'))
  })
})

describe('JobEscrow: boundaries', () => {
  it('checks creation inputs', async () => {
    const now = await e.now()
    const create = (args: { coordinator?: Address; amount?: bigint; deadline?: bigint; challenge?: bigint; value?: bigint }) =>
      e.send(OWNER, 'createJob', [freshId(), args.coordinator ?? coordinator(), NATIVE_TOKEN, args.amount ?? 10n, args.deadline ?? now + 1000n, args.challenge ?? CHALLENGE], args.value ?? args.amount ?? 10n)
    expect(await revertOf(create({ challenge: CHALLENGE - 1n }))).toBe('ChallengeTooShort')
    expect(await revertOf(create({ deadline: now }))).toBe('DeadlineInPast')
    expect(await revertOf(create({ amount: 0n }))).toBe('ZeroAmount')
    expect(await revertOf(create({ amount: 10n, value: 9n }))).toBe('WrongValue')
    expect(await revertOf(create({ coordinator: '0x0000000000000000000000000000000000000000' }))).toBe('ZeroAddress')
    expect(await revertOf(e.send(OWNER, 'proposeCoordinator', [(await e.createJob({ amount: 1n })).key, '0x0000000000000000000000000000000000000000']))).toBe('ZeroAddress')
    await create({ challenge: CHALLENGE })
  })

  it('is final from exactly postedAt + challenge: claims open and vetoes close at the same second', async () => {
    const { key } = await e.createJob({ amount: ETH('1') })
    const one = await e.post(key, 1n, [[alice(), ETH('0.1'), ETH('0.1')]])
    const posted = (await e.epoch(key, 1n)).postedAt
    // Mine the next block at postedAt + challenge − 1: still open to veto, not claimable.
    const rpc = t.clients[0]!.publicClient
    await rpc.request({ method: 'evm_setNextBlockTimestamp' as never, params: [Number(posted + CHALLENGE - 1n)] as never })
    expect(await revertOf(e.claim(key, 1n, one, alice()))).toBe('NotFinal')
    await rpc.request({ method: 'evm_setNextBlockTimestamp' as never, params: [Number(posted + CHALLENGE)] as never })
    expect(await revertOf(e.send(OWNER, 'vetoRoot', [key, 1n, 'late']))).toBe('ChallengeOver')
    await e.claim(key, 1n, one, alice())
  })

  it('vetoes a root and every root after it, once, and returns their reservations', async () => {
    const { key } = await e.createJob({ amount: ETH('1') })
    await e.post(key, 1n, [[alice(), ETH('0.1'), ETH('0.1')]])
    await e.finalise(key, 1n)
    await e.post(key, 2n, [[alice(), ETH('0.2'), ETH('0.3')]])
    await e.post(key, 3n, [[bob(), ETH('0.3'), ETH('0.3')]])
    expect(await revertOf(e.send(OWNER, 'vetoRoot', [key, 1n, 'x']))).toBe('ChallengeOver')
    expect(await revertOf(e.send(OWNER, 'vetoRoot', [key, 4n, 'x']))).toBe('UnknownEpoch')
    await e.send(OWNER, 'vetoRoot', [key, 2n, 'bafy-evidence'])
    expect((await e.epoch(key, 3n)).vetoed).toBe(true)
    expect(await e.job(key)).toMatchObject({ reserved: ETH('0.1'), epoch: 3n })
    expect(await revertOf(e.send(OWNER, 'vetoRoot', [key, 3n, 'x']))).toBe('RootVetoedAlready')
    await e.finalise(key, 3n)
    expect(await readLatestFinal(t.clients[0]!.publicClient, e.escrow, key)).toBe(1)
  })
})
