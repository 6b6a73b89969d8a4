// JobEscrow against a hostile ERC-20 that re-enters it (compiled here from the source below, so it never ships
// with the app and mutation testing counts it as part of this test). Mid-deposit: a top-up whose token tops the
// same job up again from inside its transfer would be counted twice (the outer deposit is measured by the
// balance, which includes the inner one), so both deposit paths refuse to be re-entered. Mid-payout: claim and
// reclaim update their books before they pay, so a re-entered payout could not pay twice today; the guard is
// what keeps that true when the bookkeeping changes, and these tests fail if either loses it (the receiver
// re-enters with a different, valid claim, which only the guard refuses).
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Abi, Address, Hex } from 'viem'
import { jobKey } from '../src/ledger/job-key.ts'
import { mined, revertOf, startTestChain, TEST_ESCROW, type TestChain } from './testing.ts'
import { CHALLENGE, EscrowActors, freshId, proofOf } from './escrow-testing.ts'

const require = createRequire(import.meta.url)

const REENTRANT_TOKEN = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

interface IEscrowTopUp {
    function topUp(bytes32 key, uint256 amount) external payable;
    function claim(bytes32 key, uint64 epoch, address account, uint256 amount, uint256 cumulative, bytes32[] calldata proof) external;
}

/// @notice A hostile ERC-20 for the escrow's reentrancy tests, compiled by the test itself (never shipped): once
/// armed, its next transferFrom first tops up \`key\` from its own balance, re-entering the escrow mid-deposit;
/// once armed with a claim, its next transfer (a payout) first submits that claim, re-entering mid-payout.
contract ReentrantToken is ERC20 {
    IEscrowTopUp private _escrow;
    bytes32 private _key;
    uint256 private _amount;

    bool private _claimArmed;
    bytes32 private _claimKey;
    uint64 private _claimEpoch;
    address private _claimAccount;
    uint256 private _claimAmount;
    uint256 private _claimCumulative;
    bytes32[] private _claimProof;

    constructor() ERC20("Reentrant", "RE") {}

    function armClaim(IEscrowTopUp escrow, bytes32 key, uint64 epoch, address account, uint256 amount, uint256 cumulative, bytes32[] calldata proof) external {
        _escrow = escrow;
        _claimArmed = true;
        _claimKey = key;
        _claimEpoch = epoch;
        _claimAccount = account;
        _claimAmount = amount;
        _claimCumulative = cumulative;
        _claimProof = proof;
    }

    function disarmClaim() external {
        _claimArmed = false;
    }

    /// Some real tokens refuse a transfer of 0; the escrow must never need one.
    bool private _rejectZero;

    function setRejectZero(bool reject) external {
        _rejectZero = reject;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        require(value != 0 || !_rejectZero, "zero transfer");
        if (_claimArmed) {
            _claimArmed = false;
            _escrow.claim(_claimKey, _claimEpoch, _claimAccount, _claimAmount, _claimCumulative, _claimProof);
        }
        return super.transfer(to, value);
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(IEscrowTopUp escrow, bytes32 key, uint256 amount) external {
        _escrow = escrow;
        _key = key;
        _amount = amount;
        _approve(address(this), address(escrow), amount);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (_amount != 0 && from != address(this)) {
            uint256 amount = _amount;
            _amount = 0;
            _escrow.topUp(_key, amount);
        }
        return super.transferFrom(from, to, value);
    }
}
`

function compileReentrantToken(): { abi: Abi; bytecode: Hex } {
  const solc = require('solc') as { compile(input: string, options: { import: (path: string) => { contents: string } }): string }
  const input = { language: 'Solidity', sources: { 'ReentrantToken.sol': { content: REENTRANT_TOKEN } }, settings: { evmVersion: 'cancun', outputSelection: { '*': { ReentrantToken: ['abi', 'evm.bytecode.object'] } } } }
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: (path) => ({ contents: readFileSync(require.resolve(path), 'utf8') }) })) as {
    errors?: Array<{ severity: string; formattedMessage: string }>
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>
  }
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'))
  const artifact = output.contracts['ReentrantToken.sol']!.ReentrantToken!
  return { abi: artifact.abi, bytecode: `0x${artifact.evm.bytecode.object}` }
}

let t: TestChain
let e: EscrowActors
let token: Address
let abi: Abi
beforeAll(async () => {
  t = await startTestChain()
  e = new EscrowActors(t)
  const compiled = compileReentrantToken()
  abi = compiled.abi
  const owner = t.clients[0]!
  const hash = await owner.wallet.deployContract({ abi, bytecode: compiled.bytecode } as never)
  token = (await owner.publicClient.waitForTransactionReceipt({ hash })).contractAddress!
}, 120_000)
afterAll(async () => t?.chain.stop())

const call = async (functionName: string, args: readonly unknown[]) => {
  const owner = t.clients[0]!
  await mined(owner, await owner.wallet.writeContract({ address: token, abi, functionName, args } as never))
}

describe('JobEscrow: a token that re-enters it', () => {
  it('refuses a top-up re-entered from inside its own transfer, and a creation likewise, counting nothing twice', async () => {
    const owner = t.addresses[0]!
    await call('mint', [owner, 1_000n])
    await call('mint', [token, 1_000n])
    await call('approve', [e.escrow, 1_000n])
    const id = freshId('re')
    const key = jobKey(owner, id)
    const deadline = (await e.now()) + 3600n
    await call('arm', [e.escrow, key, 50n])
    expect(await revertOf(e.send(0, 'createJob', [id, t.addresses[1]!, token, 100n, deadline, CHALLENGE]))).toBe('ReentrancyGuardReentrantCall')
    await call('arm', [e.escrow, key, 0n])
    await e.send(0, 'createJob', [id, t.addresses[1]!, token, 100n, deadline, CHALLENGE])
    expect((await e.job(key)).deposited).toBe(100n)
    await call('arm', [e.escrow, key, 50n])
    expect(await revertOf(e.send(0, 'topUp', [key, 100n]))).toBe('ReentrancyGuardReentrantCall')
    expect((await e.job(key)).deposited).toBe(100n)
  })
})

describe('JobEscrow: a token that re-enters it while paying out', () => {
  /** A token job owned by account 0 (coordinator 1) paying accounts 2 and 3 in one final epoch. */
  async function paidJob(deadlineIn: bigint, deposit = 300n) {
    // Whatever the deposit tests left armed (a reverted call leaves the token armed) is disarmed first.
    await call('arm', [e.escrow, jobKey(t.addresses[0]!, 'none'), 0n])
    const { key } = await e.createJob({ amount: deposit, token, deadlineIn, id: freshId('re-pay') })
    const alice = e.address(2)
    const bob = e.address(3)
    const tree = await e.post(key, 1n, [[alice, 100n, 100n], [bob, 50n, 50n]])
    await e.finalise(key, 1n)
    return { key, tree, alice, bob }
  }
  const balanceOf = async (account: Address) => (await t.clients[0]!.publicClient.readContract({ address: token, abi, functionName: 'balanceOf', args: [account] } as never)) as bigint

  it('refuses a claim submitted from inside another claim\'s payout, paying neither, and both go through one at a time', async () => {
    const { key, tree, alice, bob } = await paidJob(3600n)
    const inner = proofOf(tree, bob)
    await call('armClaim', [e.escrow, key, 1n, bob, inner.amount, inner.cumulative, inner.proof])
    expect(await revertOf(e.claim(key, 1n, tree, alice))).toBe('ReentrancyGuardReentrantCall')
    expect([await balanceOf(alice), await balanceOf(bob), (await e.epoch(key, 1n)).claimed]).toEqual([0n, 0n, 0n])
    await call('disarmClaim', [])
    await e.claim(key, 1n, tree, alice)
    await e.claim(key, 1n, tree, bob)
    expect([await balanceOf(alice), await balanceOf(bob), (await e.job(key)).claimed]).toEqual([100n, 50n, 150n])
  })

  it('refuses a claim submitted from inside the owner\'s reclaim payout at the guard, before any other check', async () => {
    const { key, tree, bob } = await paidJob(200n)
    await t.increaseTime(Number(200n + BigInt(TEST_ESCROW.claimWindowSeconds)) + 10)
    const inner = proofOf(tree, bob)
    await call('armClaim', [e.escrow, key, 1n, bob, inner.amount, inner.cumulative, inner.proof])
    // Without the guard the inner claim would meet JobClosed (reclaim closes the job before it pays).
    expect(await revertOf(e.send(0, 'reclaim', [key]))).toBe('ReentrancyGuardReentrantCall')
    expect((await e.job(key)).closed).toBe(false)
    await call('disarmClaim', [])
    const [ownerBefore, bobBefore] = [await balanceOf(t.addresses[0]!), await balanceOf(bob)]
    await e.send(0, 'reclaim', [key])
    expect(await balanceOf(t.addresses[0]!)).toBe(ownerBefore + 300n)
    expect(await balanceOf(bob)).toBe(bobBefore)
  })

  it('closes a job whose every credit was claimed without a transfer of nothing, which some tokens refuse', async () => {
    const { key, tree, alice, bob } = await paidJob(200n, 150n)
    await e.claim(key, 1n, tree, alice)
    await e.claim(key, 1n, tree, bob)
    await t.increaseTime(Number(200n + BigInt(TEST_ESCROW.claimWindowSeconds)) + 10)
    await call('setRejectZero', [true])
    try {
      await e.send(0, 'reclaim', [key])
    } finally {
      await call('setRejectZero', [false])
    }
    expect((await e.job(key)).closed).toBe(true)
  })
})
