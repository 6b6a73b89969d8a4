// Chain failures as sentences a user can act on: a rejected signature, the wrong network, not enough gas
// money, or the contract's own named revert with what it means for a claim or a job.
import { BaseError, ChainMismatchError, ContractFunctionRevertedError, InsufficientFundsError, UserRejectedRequestError, formatEther } from 'viem'

const when = (seconds: unknown) => new Date(Number(seconds) * 1000).toLocaleString()

/** Every named error of JobEscrow and JobGovernor (explain-error.test.ts checks none is missing). */
export const REVERTS: Record<string, (args: readonly unknown[]) => string> = {
  // Claims
  InvalidProof: () => 'the proof does not match that epoch\'s root on chain; refresh and claim again',
  NothingToClaim: () => 'this epoch pays this wallet nothing new',
  AlreadyClaimed: ([, epoch]) => `this wallet already claimed epoch ${String(epoch)}`,
  EpochExhausted: () => 'that epoch\'s root promises more than it reserved (its tree was doctored); run an audit of the job',
  NotFinal: ([epoch, finalAt]) => `epoch ${String(epoch)} is still open to challenge until ${when(finalAt)}; claim after that`,
  UnknownEpoch: ([epoch]) => `epoch ${String(epoch)} was never posted or was vetoed`,
  LengthMismatch: () => 'the claim lists different numbers of epochs, amounts and proofs',
  JobPaused: () => 'the job\'s owner has paused it (at most for the escrow\'s maximum pause); try again later',
  JobClosed: () => 'the job is closed: its owner reclaimed what was left after the deadline and the claim window',
  // Jobs
  UnknownJob: () => 'this job has no escrow on this chain',
  JobExists: () => 'you already funded a job with this id on this chain',
  NotJobOwner: () => 'only the job\'s owner may do that',
  NotCoordinator: () => 'only the job\'s coordinator may post epoch roots',
  NotOwnerOrGovernor: () => 'only the job\'s owner or a governance vote may veto a root',
  DeadlineNotReached: ([opens]) => `the owner may reclaim only from ${when(opens)} (the deadline plus the claim window)`,
  DeadlinePassed: ([deadline]) => `the job's deadline (${when(deadline)}) has passed: no new roots`,
  DeadlineInPast: () => 'the deadline must be in the future',
  ChallengeTooShort: ([minimum]) => `the challenge period must be at least ${String(minimum)} s, long enough for a veto vote`,
  WrongValue: ([expected, sent]) => `the transaction sent ${formatEther(BigInt(String(sent)))} ETH but ${formatEther(BigInt(String(expected)))} ETH was expected`,
  ZeroAmount: () => 'the amount must be more than zero',
  ZeroAddress: () => 'an address is missing (zero)',
  GovernorSet: () => 'the escrow\'s governor is already set',
  // Roots
  WrongEpoch: ([expected, given]) => `epoch ${String(given)} is not next: the escrow expects epoch ${String(expected)}`,
  CumulativeMismatch: ([expected, given]) => `the root's running total ${String(given)} is not the escrow's ${String(expected)}`,
  TotalExceedsDeposit: () => 'the epoch would reserve more than the job holds',
  ChallengeOver: ([epoch]) => `epoch ${String(epoch)} is final: its challenge period is over, so it can no longer be vetoed`,
  RootVetoedAlready: ([epoch]) => `epoch ${String(epoch)} was already vetoed`,
  NoCoordinatorPending: () => 'no coordinator change is pending',
  CoordinatorNotReady: ([readyAt]) => `the new coordinator takes over only from ${when(readyAt)}`,
  // Governance
  NoCreditYet: () => 'nobody holds credit in a final root of this job yet, so there is nobody to vote',
  CreditAboveTotal: () => 'the leaf claims more credit than the whole epoch holds (a doctored tree)',
  UnknownProposal: () => 'there is no such proposal',
  VotingClosed: () => 'voting on this proposal has ended',
  VotingOpen: ([ends]) => `voting is open until ${when(ends)}`,
  AlreadyVoted: () => 'this wallet has already voted on this proposal',
  AlreadyExecuted: () => 'this proposal was already executed',
  EmptySubject: () => 'a proposal needs a subject of 1–128 characters',
  BadQuorum: () => 'the quorum must be between 0.01 % and 100 %',
  StaleSnapshot: ([epoch]) => `epoch ${String(epoch)} is not the job's latest final root (or stopped being it over an hour ago); refresh and propose again`,
  BadEpoch: ([epoch]) => `epoch ${String(epoch)} cannot be vetoed: it is not posted, already final or already vetoed`,
  // Tokens
  ERC20InsufficientAllowance: () => 'the token allowance is too small: approve the escrow for the full amount first',
  ERC20InsufficientBalance: () => 'the wallet does not hold enough of the token',
  SafeERC20FailedOperation: () => 'the token refused the transfer',
  ERC20InvalidApprover: () => 'the token refused the approval (invalid approver)',
  ERC20InvalidReceiver: () => 'the token refused the transfer (invalid receiver)',
  ERC20InvalidSender: () => 'the token refused the transfer (invalid sender)',
  ERC20InvalidSpender: () => 'the token refused the approval (invalid spender)',
  // EIP-712 domain name handling inside the escrow; never reached with its fixed "Tesserae" name.
  InvalidShortString: () => 'the contract\'s signing domain is misconfigured',
  StringTooLong: () => 'the contract\'s signing domain is misconfigured',
  ReentrancyGuardReentrantCall: () => 'the call tried to re-enter the escrow',
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
    // viem's short message already ends its sentence; a revert reason or error name does not.
    return `The contract refused: ${(revert.reason ?? name ?? revert.shortMessage).replace(/\.$/, '')}.`
  }
  return error.shortMessage || error.message.split('\n')[0]!
}
