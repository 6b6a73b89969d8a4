// Deploys the settlement contracts (escrow, governor and, on local chains, a test ERC-20) from one account.
// Used by `npm start` on anvil and by the contract tests; on other chains deploy once and configure addresses.
import type { Address, PublicClient } from 'viem'
import { jobEscrowAbi, jobEscrowBytecode, jobGovernorAbi, jobGovernorBytecode, testTokenAbi, testTokenBytecode } from './generated/contracts.ts'
import type { Writer } from './escrow.ts'

export interface Deployment {
  escrow: Address
  governor: Address
  testToken?: Address
  deployBlock: number
}

export interface GovernanceSettings {
  votingPeriodSeconds: number
  quorumBps: number
}

export const DEFAULT_GOVERNANCE: GovernanceSettings = { votingPeriodSeconds: 3 * 24 * 3600, quorumBps: 2000 }

/** The escrow's fixed rules for every job it holds (JobEscrow's constructor). */
export interface EscrowSettings {
  /** Shortest challenge period a job may choose: long enough for a governance veto to pass. */
  minChallengeSeconds: number
  /** After the deadline, how long claims stay open before the owner may reclaim. */
  claimWindowSeconds: number
  /** How long a replacement coordinator waits before it takes over. */
  coordinatorDelaySeconds: number
  /** The longest one pause lasts. */
  maxPauseSeconds: number
}

const DAY = 24 * 3600
export const DEFAULT_ESCROW: EscrowSettings = { minChallengeSeconds: 3 * DAY + 3600, claimWindowSeconds: 30 * DAY, coordinatorDelaySeconds: 3 * DAY, maxPauseSeconds: 14 * DAY }

async function deployed(publicClient: PublicClient, hash: `0x${string}`): Promise<{ address: Address; block: number }> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`deployment transaction ${hash} failed`)
  return { address: receipt.contractAddress, block: Number(receipt.blockNumber) }
}

export async function deploySettlement(wallet: Writer, publicClient: PublicClient, options: { governance?: GovernanceSettings; escrow?: EscrowSettings; testToken?: boolean } = {}): Promise<Deployment> {
  const governance = options.governance ?? DEFAULT_GOVERNANCE
  const rules = options.escrow ?? DEFAULT_ESCROW
  const escrowArgs = [BigInt(rules.minChallengeSeconds), BigInt(rules.claimWindowSeconds), BigInt(rules.coordinatorDelaySeconds), BigInt(rules.maxPauseSeconds)] as const
  const escrow = await deployed(publicClient, await wallet.deployContract({ abi: jobEscrowAbi, bytecode: jobEscrowBytecode, args: escrowArgs }))
  const governor = await deployed(publicClient, await wallet.deployContract({ abi: jobGovernorAbi, bytecode: jobGovernorBytecode, args: [escrow.address, BigInt(governance.votingPeriodSeconds), governance.quorumBps] }))
  // The escrow lets this governor veto roots; set once, by the deployer, before anyone can use either.
  const linked = await publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: escrow.address, abi: jobEscrowAbi, functionName: 'setGovernor', args: [governor.address] }) })
  if (linked.status !== 'success') throw new Error('linking the governor to the escrow failed')
  const result: Deployment = { escrow: escrow.address, governor: governor.address, deployBlock: escrow.block }
  if (options.testToken) result.testToken = (await deployed(publicClient, await wallet.deployContract({ abi: testTokenAbi, bytecode: testTokenBytecode }))).address
  return result
}
