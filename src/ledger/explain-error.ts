// Chain failures as sentences a user can act on: a rejected signature, the wrong network, not enough gas
// money, or the contract's own named revert with what it means for a claim or a job.
import { BaseError, ChainMismatchError, ContractFunctionRevertedError, InsufficientFundsError, UserRejectedRequestError, formatEther } from 'viem'

const REVERTS: Record<string, (args: readonly unknown[]) => string> = {
  InvalidProof: () => 'the proof does not match the job\'s latest root (a newer epoch was posted meanwhile); refresh and claim again',
  NothingToClaim: () => 'you have already claimed everything this epoch pays you; more arrives with the next epoch',
  JobPaused: () => 'the job\'s owner has paused claims; try again later',
  JobClosed: () => 'the job is closed: its owner reclaimed what was left after the deadline',
  PoolExhausted: ([available]) => `the pool has only ${String(available)} base units left, less than this claim`,
  UnknownJob: () => 'this job has no escrow on this chain',
  JobExists: () => 'a job with this id is already funded on this chain',
  NotJobOwner: () => 'only the job\'s owner may do that',
  NotCoordinator: () => 'only the job\'s coordinator may post epoch roots',
  DeadlineNotReached: ([deadline]) => `the deadline (${new Date(Number(deadline) * 1000).toLocaleString()}) has not passed yet`,
  DeadlineInPast: () => 'the deadline must be in the future',
  WrongValue: ([expected, sent]) => `the transaction sent ${formatEther(BigInt(String(sent)))} ETH but ${formatEther(BigInt(String(expected)))} ETH was expected`,
  ZeroAmount: () => 'the amount must be more than zero',
  EpochNotIncreasing: () => 'an epoch with this number was already posted',
  TotalExceedsDeposit: () => 'the epoch pays out more than the job holds',
  TotalBelowPrevious: () => 'the epoch pays out less than the previous one (amounts are cumulative)',
  NoCreditYet: () => 'nobody holds credit in this job yet, so there is nobody to vote',
  VotingClosed: () => 'voting on this proposal has ended',
  VotingOpen: () => 'voting is still open',
  AlreadyVoted: () => 'this wallet has already voted on this proposal',
  AlreadyExecuted: () => 'this proposal was already executed',
  ERC20InsufficientAllowance: () => 'the token allowance is too small: approve the escrow for the full amount first',
  ERC20InsufficientBalance: () => 'the wallet does not hold enough of the token',
}

export function explainChainError(error: unknown): string {
  if (!(error instanceof BaseError)) return error instanceof Error ? error.message : String(error)
  if (error.walk((e) => e instanceof UserRejectedRequestError || (typeof e === 'object' && e !== null && (e as { code?: number }).code === 4001))) return 'You rejected the request in your wallet; nothing was signed or sent.'
  const mismatch = error.walk((e) => e instanceof ChainMismatchError)
  if (mismatch) return `Your wallet is on the wrong network: ${(mismatch as BaseError).shortMessage} Switch networks and try again.`
  if (error.walk((e) => e instanceof InsufficientFundsError)) return 'Your wallet does not hold enough ETH to pay for this transaction and its gas.'
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError)
  if (revert instanceof ContractFunctionRevertedError) {
    const name = revert.data?.errorName
    const explain = name ? REVERTS[name] : undefined
    if (explain) return `The contract refused: ${explain(revert.data?.args ?? [])} (${name}).`
    return `The contract refused: ${revert.reason ?? name ?? revert.shortMessage}.`
  }
  return error.shortMessage || error.message.split('\n')[0]!
}
