// JobEscrow against a real anvil: funding in ETH and ERC-20, cumulative claims with StandardMerkleTree
// proofs, and every way a claim or a root must be refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { parseEther, type Address, type Hex } from 'viem'
import { jobEscrowAbi, testTokenAbi } from '../src/ledger/generated/contracts.ts'
import { jobKey } from '../src/ledger/job-key.ts'
import { NATIVE_TOKEN, readClaimed, readEscrowJob } from '../src/ledger/escrow.ts'
import { LEAF_ENCODING } from '../src/ledger/epoch-tree.ts'
import { mined, revertOf, startTestChain, type TestChain } from './testing.ts'

let t: TestChain
beforeAll(async () => {
  t = await startTestChain()
}, 60_000)
afterAll(async () => t?.chain.stop())

const tree = (entries: Array<[Address, bigint]>) => StandardMerkleTree.of(entries.map(([a, v]) => [a, v.toString()]), LEAF_ENCODING)
const proofFor = (tr: StandardMerkleTree<string[]>, account: Address) => {
  for (const [i, [a]] of tr.entries()) if (a === account) return tr.getProof(i) as Hex[]
  throw new Error('not in tree')
}
let jobCounter = 0
const nextJobId = () => `test-job-${Date.now().toString(36)}-${jobCounter++}`
const inAnHour = async () => (await t.clients[0]!.publicClient.getBlock()).timestamp + 3600n

async function createEthJob(amount: bigint, coordinator = 1): Promise<string> {
  const id = nextJobId()
  const owner = t.clients[0]!
  await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [jobKey(id), t.addresses[coordinator]!, NATIVE_TOKEN, amount, await inAnHour()], value: amount }))
  return id
}

async function postRoot(id: string, epoch: bigint, tr: StandardMerkleTree<string[]>, total: bigint, from = 1) {
  const c = t.clients[from]!
  await mined(c, await c.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'postRoot', args: [jobKey(id), epoch, tr.root as Hex, total, `bafy-epoch-${epoch}`] }))
}

const claim = (id: string, account: Address, amount: bigint, proof: Hex[], from = 0) =>
  t.clients[from]!.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'claim', args: [jobKey(id), account, amount, proof] }).then((hash) => mined(t.clients[from]!, hash))

describe('JobEscrow with ETH', () => {
  it('pays each account the difference between its cumulative amount and what it was already paid', async () => {
    const id = await createEthJob(parseEther('1'))
    const [, , alice, bob] = t.addresses as [Address, Address, Address, Address]
    const epoch1 = tree([[alice, parseEther('0.3')], [bob, parseEther('0.2')]])
    await postRoot(id, 1n, epoch1, parseEther('0.5'))
    const before = await t.balance(alice)
    // Anyone may submit the claim (here the owner's account pays the gas); the money goes to alice.
    await claim(id, alice, parseEther('0.3'), proofFor(epoch1, alice))
    expect(await t.balance(alice)).toBe(before + parseEther('0.3'))
    const epoch2 = tree([[alice, parseEther('0.5')], [bob, parseEther('0.2')]])
    await postRoot(id, 2n, epoch2, parseEther('0.7'))
    await claim(id, alice, parseEther('0.5'), proofFor(epoch2, alice))
    expect(await t.balance(alice)).toBe(before + parseEther('0.5'))
    expect(await readClaimed(t.clients[0]!.publicClient, t.deployment.escrow, id, alice)).toBe(parseEther('0.5'))
    const job = await readEscrowJob(t.clients[0]!.publicClient, t.deployment.escrow, id)
    expect(job).toMatchObject({ epoch: 2n, claimed: parseEther('0.5'), deposited: parseEther('1'), treeCid: 'bafy-epoch-2', root: epoch2.root })
  })

  it('refuses a double claim, a bad proof, a root from anyone but the coordinator and a total over the deposit', async () => {
    const id = await createEthJob(parseEther('1'))
    const [, , alice, bob] = t.addresses as [Address, Address, Address, Address]
    const epoch1 = tree([[alice, parseEther('0.3')], [bob, parseEther('0.2')]])
    await postRoot(id, 1n, epoch1, parseEther('0.5'))
    await claim(id, alice, parseEther('0.3'), proofFor(epoch1, alice))
    expect(await revertOf(claim(id, alice, parseEther('0.3'), proofFor(epoch1, alice)))).toBe('NothingToClaim')
    expect(await revertOf(claim(id, bob, parseEther('0.25'), proofFor(epoch1, bob)))).toBe('InvalidProof')
    expect(await revertOf(claim(id, bob, parseEther('0.2'), proofFor(epoch1, alice)))).toBe('InvalidProof')
    expect(await revertOf(postRoot(id, 2n, epoch1, parseEther('0.5'), 2))).toBe('NotCoordinator')
    expect(await revertOf(postRoot(id, 1n, epoch1, parseEther('0.5')))).toBe('EpochNotIncreasing')
    expect(await revertOf(postRoot(id, 2n, epoch1, parseEther('1.5')))).toBe('TotalExceedsDeposit')
    expect(await revertOf(postRoot(id, 2n, epoch1, parseEther('0.4')))).toBe('TotalBelowPrevious')
    expect(await revertOf(postRoot(nextJobId(), 1n, epoch1, 1n))).toBe('UnknownJob')
  })

  it('checks the value sent, pauses claims on the owner\'s word and lets anyone top up', async () => {
    const owner = t.clients[0]!
    const id = nextJobId()
    expect(await revertOf(owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [jobKey(id), t.addresses[1]!, NATIVE_TOKEN, parseEther('1'), await inAnHour()], value: parseEther('0.5') }))).toBe('WrongValue')
    const job = await createEthJob(parseEther('1'))
    expect(await revertOf(owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [jobKey(job), t.addresses[1]!, NATIVE_TOKEN, 1n, await inAnHour()], value: 1n }))).toBe('JobExists')
    const [, , alice] = t.addresses as [Address, Address, Address]
    const tr = tree([[alice, parseEther('0.1')], [t.addresses[3]!, 1n]])
    await postRoot(job, 1n, tr, parseEther('0.1') + 1n)
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'setPaused', args: [jobKey(job), true] }))
    expect(await revertOf(claim(job, alice, parseEther('0.1'), proofFor(tr, alice)))).toBe('JobPaused')
    expect(await revertOf(t.clients[2]!.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'setPaused', args: [jobKey(job), false] }))).toBe('NotJobOwner')
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'setPaused', args: [jobKey(job), false] }))
    await claim(job, alice, parseEther('0.1'), proofFor(tr, alice))
    const funder = t.clients[3]!
    await mined(funder, await funder.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'topUp', args: [jobKey(job), parseEther('2')], value: parseEther('2') }))
    expect((await readEscrowJob(owner.publicClient, t.deployment.escrow, job))!.deposited).toBe(parseEther('3'))
  })

  it('returns the unclaimed rest to the owner after the deadline and refuses every claim after that', async () => {
    const id = await createEthJob(parseEther('1'))
    const [ownerAddress, , alice, bob] = t.addresses as [Address, Address, Address, Address]
    const tr = tree([[alice, parseEther('0.3')], [bob, parseEther('0.2')]])
    await postRoot(id, 1n, tr, parseEther('0.5'))
    await claim(id, alice, parseEther('0.3'), proofFor(tr, alice))
    const owner = t.clients[0]!
    const reclaim = () => owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'reclaim', args: [jobKey(id)] })
    expect(await revertOf(reclaim())).toBe('DeadlineNotReached')
    await t.increaseTime(3700)
    const before = await t.balance(ownerAddress)
    const hash = await reclaim()
    const receipt = await owner.publicClient.waitForTransactionReceipt({ hash })
    expect(await t.balance(ownerAddress)).toBe(before + parseEther('0.7') - receipt.gasUsed * receipt.effectiveGasPrice)
    expect(await revertOf(claim(id, bob, parseEther('0.2'), proofFor(tr, bob)))).toBe('JobClosed')
    expect(await revertOf(reclaim())).toBe('JobClosed')
    const job = await readEscrowJob(owner.publicClient, t.deployment.escrow, id)
    expect(job!.claimed).toBe(job!.deposited)
  })
})

describe('JobEscrow with an ERC-20', () => {
  it('holds and pays out the token, and needs an allowance first', async () => {
    const owner = t.clients[0]!
    const token = t.deployment.testToken!
    const id = nextJobId()
    await mined(owner, await owner.wallet.writeContract({ address: token, abi: testTokenAbi, functionName: 'mint', args: [t.addresses[0]!, 5_000_000n] }))
    const create = () => owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [jobKey(id), t.addresses[1]!, token, 5_000_000n, 0n], value: 0n })
    expect(await revertOf(owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [jobKey(id), t.addresses[1]!, token, 5_000_000n, await inAnHour()] }))).toBe('ERC20InsufficientAllowance')
    expect(await revertOf(create())).toBe('DeadlineInPast')
    await mined(owner, await owner.wallet.writeContract({ address: token, abi: testTokenAbi, functionName: 'approve', args: [t.deployment.escrow, 5_000_000n] }))
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [jobKey(id), t.addresses[1]!, token, 5_000_000n, await inAnHour()] }))
    const alice = t.addresses[2]!
    const tr = tree([[alice, 1_250_000n], [t.addresses[3]!, 750_000n]])
    await postRoot(id, 1n, tr, 2_000_000n)
    await claim(id, alice, 1_250_000n, proofFor(tr, alice), 2)
    expect(await owner.publicClient.readContract({ address: token, abi: testTokenAbi, functionName: 'balanceOf', args: [alice] })).toBe(1_250_000n)
    expect(await owner.publicClient.readContract({ address: token, abi: testTokenAbi, functionName: 'balanceOf', args: [t.deployment.escrow] })).toBeGreaterThanOrEqual(3_750_000n)
  })
})

describe('cumulative claims (property)', () => {
  it('whatever the epochs and the order of claims, each account is paid exactly its latest claimed amount and the job never pays more than it holds', async () => {
    // Accounts that never send a transaction, so their balances move only by what they are paid.
    const accounts: Address[] = ['0x00000000000000000000000000000000000a11ce', '0x0000000000000000000000000000000000000b0b', '0x0000000000000000000000000000000000000ca7']
    await fc.assert(
      fc.asyncProperty(
        // Per epoch, how much each account's cumulative amount grows (cumulative amounts never shrink).
        fc.array(fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000)), { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(2), fc.boolean()), { minLength: 1, maxLength: 6 }),
        async (growth, claims) => {
          const deposit = 10_000n
          const id = await createEthJob(deposit)
          const cumulative = [0n, 0n, 0n]
          const paid = [0n, 0n, 0n]
          const before = await Promise.all(accounts.map((a) => t.balance(a)))
          let epoch = 0n
          let claimIndex = 0
          for (const step of growth) {
            step.forEach((g, i) => (cumulative[i]! += BigInt(g) + 1n))
            const tr = tree(accounts.map((a, i) => [a, cumulative[i]!]))
            await postRoot(id, ++epoch, tr, cumulative.reduce((a, b) => a + b, 0n))
            // A few claims against this epoch, some of them repeats.
            for (const [who, twice] of claims.slice(claimIndex, claimIndex + 2)) {
              const a = accounts[who]!
              const result = await revertOf(claim(id, a, cumulative[who]!, proofFor(tr, a)))
              if (paid[who] === cumulative[who]) expect(result).toBe('NothingToClaim')
              else expect(result).toBe('no revert')
              paid[who] = cumulative[who]!
              if (twice) expect(await revertOf(claim(id, a, cumulative[who]!, proofFor(tr, a)))).toBe('NothingToClaim')
            }
            claimIndex += 2
          }
          const after = await Promise.all(accounts.map((a) => t.balance(a)))
          after.forEach((b, i) => expect(b - before[i]!).toBe(paid[i]))
          const job = await readEscrowJob(t.clients[0]!.publicClient, t.deployment.escrow, id)
          expect(job!.claimed).toBe(paid.reduce((a, b) => a + b, 0n))
          expect(job!.claimed).toBeLessThanOrEqual(job!.deposited)
        },
      ),
      { numRuns: 25 },
    )
  }, 120_000)
})
