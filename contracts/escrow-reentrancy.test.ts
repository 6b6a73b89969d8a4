// JobEscrow against a hostile ERC-20 that re-enters it mid-deposit (compiled here from the source below, so it
// never ships with the app and mutation testing counts it as part of this test): a top-up whose token tops the same job up again from inside its transfer
// would be counted twice (the outer deposit is measured by the balance, which includes the inner one), so both
// deposit paths refuse to be re-entered.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Abi, Address, Hex } from 'viem'
import { jobKey } from '../src/ledger/job-key.ts'
import { mined, revertOf, startTestChain, type TestChain } from './testing.ts'
import { CHALLENGE, EscrowActors, freshId } from './escrow-testing.ts'

const require = createRequire(import.meta.url)

const REENTRANT_TOKEN = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

interface IEscrowTopUp {
    function topUp(bytes32 key, uint256 amount) external payable;
}

/// @notice A hostile ERC-20 for the escrow's reentrancy tests, compiled by the test itself (never shipped): once
/// armed, its next transferFrom first tops up \`key\` from its own balance, re-entering the escrow mid-deposit.
contract ReentrantToken is ERC20 {
    IEscrowTopUp private _escrow;
    bytes32 private _key;
    uint256 private _amount;

    constructor() ERC20("Reentrant", "RE") {}

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
