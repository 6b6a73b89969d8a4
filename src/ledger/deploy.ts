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

async function deployed(publicClient: PublicClient, hash: `0x${string}`): Promise<{ address: Address; block: number }> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`deployment transaction ${hash} failed`)
  return { address: receipt.contractAddress, block: Number(receipt.blockNumber) }
}

export async function deploySettlement(wallet: Writer, publicClient: PublicClient, options: { governance?: GovernanceSettings; testToken?: boolean } = {}): Promise<Deployment> {
  const governance = options.governance ?? DEFAULT_GOVERNANCE
  const escrow = await deployed(publicClient, await wallet.deployContract({ abi: jobEscrowAbi, bytecode: jobEscrowBytecode }))
  const governor = await deployed(publicClient, await wallet.deployContract({ abi: jobGovernorAbi, bytecode: jobGovernorBytecode, args: [escrow.address, BigInt(governance.votingPeriodSeconds), governance.quorumBps] }))
  const result: Deployment = { escrow: escrow.address, governor: governor.address, deployBlock: escrow.block }
  if (options.testToken) result.testToken = (await deployed(publicClient, await wallet.deployContract({ abi: testTokenAbi, bytecode: testTokenBytecode }))).address
  return result
}
