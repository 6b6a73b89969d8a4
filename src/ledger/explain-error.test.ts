// Chain failures as the sentences a user reads: every named revert of the settlement contracts has one, its
// arguments land where it names them, and a wallet's or network's failure is told apart from a contract's refusal.
import { describe, expect, it } from 'vitest'
import { BaseError, ChainMismatchError, ContractFunctionExecutionError, ContractFunctionRevertedError, InsufficientFundsError, UserRejectedRequestError, encodeErrorResult, parseAbi, type Address, type Hex } from 'viem'
import { anvil } from 'viem/chains'
import { jobEscrowAbi, jobGovernorAbi } from './generated/contracts.ts'
import { explainChainError, REVERTS } from './explain-error.ts'

describe('REVERTS', () => {
  it('has a sentence for every named error the settlement contracts can revert with', () => {
    const names = [...jobEscrowAbi, ...jobGovernorAbi].filter((item) => item.type === 'error').map((item) => item.name)
    expect(names.length).toBeGreaterThan(30)
    expect(names.filter((name) => !(name in REVERTS))).toEqual([])
    // Every sentence renders with the error's arguments, whatever their types.
    for (const name of names) expect(REVERTS[name]!([1n, 2n, 3n])).toMatch(/^[a-z]/)
  })

  const at = (seconds: number) => new Date(seconds * 1000).toLocaleString()

  it('puts each error\'s arguments where its sentence names them', () => {
    const cases: Array<[string, readonly unknown[], string]> = [
      ['AlreadyClaimed', ['0x00000000000000000000000000000000000000A1', 7n], 'this wallet already claimed epoch 7'],
      ['NotFinal', [3n, 1_700_000_000n], `epoch 3 is still open to challenge until ${at(1_700_000_000)}; claim after that`],
      ['UnknownEpoch', [4n], 'epoch 4 was never posted or was vetoed'],
      ['DeadlineNotReached', [1_700_000_000n], `the owner may reclaim only from ${at(1_700_000_000)} (the deadline plus the claim window)`],
      ['DeadlinePassed', [1_700_000_000n], `the job's deadline (${at(1_700_000_000)}) has passed: no new roots`],
      ['ChallengeTooShort', [3600n], 'the challenge period must be at least 3600 s, long enough for a veto vote'],
      ['WrongValue', [10n ** 18n, 5n * 10n ** 17n], 'the transaction sent 0.5 ETH but 1 ETH was expected'],
      ['WrongEpoch', [5n, 7n], 'epoch 7 is not next: the escrow expects epoch 5'],
      ['CumulativeMismatch', [100n, 90n], 'the root\'s running total 90 is not the escrow\'s 100'],
      ['ChallengeOver', [2n], 'epoch 2 is final: its challenge period is over, so it can no longer be vetoed'],
      ['RootVetoedAlready', [2n], 'epoch 2 was already vetoed'],
      ['CoordinatorNotReady', [1_700_000_000n], `the new coordinator takes over only from ${at(1_700_000_000)}`],
      ['VotingOpen', [1_700_000_000n], `voting is open until ${at(1_700_000_000)}`],
      ['StaleSnapshot', [3n], 'epoch 3 is not the job\'s latest final root (or stopped being it over an hour ago); refresh and propose again'],
      ['BadEpoch', [3n], 'epoch 3 cannot be vetoed: it is not posted, already final or already vetoed'],
    ]
    for (const [name, args, sentence] of cases) expect(REVERTS[name]!(args), name).toBe(sentence)
  })
})

describe('explainChainError', () => {
  const W: Address = '0x00000000000000000000000000000000000000A1'
  const abi = [...jobEscrowAbi, ...parseAbi(['error Mystery(uint256 code)', 'error Error(string)'])]
  /** A failed contract call as viem's writeContract throws it, with the revert data the chain returned. */
  const reverted = (data?: Hex) => new ContractFunctionExecutionError(new ContractFunctionRevertedError({ abi, data, functionName: 'claim' }), { abi, functionName: 'claim', args: [] })
  const encoded = (errorName: string, args?: readonly unknown[]) => encodeErrorResult({ abi, errorName, args } as Parameters<typeof encodeErrorResult>[0])

  it('names the contract\'s error and says what it means, with its arguments', () => {
    expect(explainChainError(reverted(encoded('AlreadyClaimed', [W, 3n])))).toBe('The contract refused: this wallet already claimed epoch 3 (AlreadyClaimed).')
    expect(explainChainError(reverted(encoded('InvalidProof')))).toBe('The contract refused: the proof does not match that epoch\'s root on chain; refresh and claim again (InvalidProof).')
  })

  it('falls back to the revert reason, the error\'s name or viem\'s summary for errors it has no sentence for', () => {
    expect(explainChainError(reverted(encoded('Error', ['nope'])))).toBe('The contract refused: nope.')
    expect(explainChainError(reverted(encoded('Mystery', [7n])))).toBe('The contract refused: Mystery.')
    expect(explainChainError(reverted())).toBe('The contract refused: The contract function "claim" reverted.')
  })

  it('recognises a rejection in the wallet by its class or by EIP-1193 code 4001 anywhere in the cause chain', () => {
    const rejected = 'You rejected the request in your wallet; nothing was signed or sent.'
    expect(explainChainError(new BaseError('outer', { cause: new UserRejectedRequestError(new Error('denied')) }))).toBe(rejected)
    expect(explainChainError(new BaseError('outer', { cause: Object.assign(new Error('denied'), { code: 4001 }) }))).toBe(rejected)
    expect(explainChainError(new BaseError('outer', { cause: Object.assign(new Error('unauthorized'), { code: 4100 }) }))).toBe('outer')
  })

  it('says when the wallet is on the wrong network or short of gas money', () => {
    expect(explainChainError(new BaseError('outer', { cause: new ChainMismatchError({ chain: anvil, currentChainId: 1 }) }))).toBe('Your wallet is on the wrong network: The current chain of the wallet (id: 1) does not match the target chain for the transaction (id: 31337 – Anvil). Switch networks and try again.')
    expect(explainChainError(new BaseError('outer', { cause: new InsufficientFundsError() }))).toBe('Your wallet does not hold enough ETH to pay for this transaction and its gas.')
  })

  it('shows any other chain error by its first line, and anything else as it is', () => {
    expect(explainChainError(new BaseError('the node is down', { details: 'socket hang up' }))).toBe('the node is down')
    // The summary is shown whole; one without words falls back to the message's first line, not its details.
    expect(explainChainError(new BaseError('the node is down\nand so is its backup'))).toBe('the node is down\nand so is its backup')
    expect(explainChainError(new BaseError(''))).toBe('An error occurred.')
    // A cause chain that ends in null is walked to its end without tripping over it.
    expect(explainChainError(Object.assign(new BaseError('outer'), { cause: null }))).toBe('outer')
    expect(explainChainError(new Error('boom'))).toBe('boom')
    expect(explainChainError('plain text')).toBe('plain text')
    expect(explainChainError(42)).toBe('42')
  })
})
