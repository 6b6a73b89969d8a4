// Deploys the settlement contracts (escrow, governor and, on local chains, a test ERC-20) from one account,
// and verifies what landed: each address holds exactly the code our compiled sources produce for that
// deployment (constructor arguments and immutables included), and the governor points at the escrow.
// Used by `npm start` on anvil, the contract tests and `npm run deploy:contracts` on any EVM chain.
import { encodeDeployData, type Address, type Hex, type PublicClient } from 'viem'
import { jobEscrowAbi, jobEscrowBytecode, jobGovernorAbi, jobGovernorBytecode, testTokenAbi, testTokenBytecode } from './generated/contracts.ts'
import type { Writer } from './escrow.ts'
import { TesseraeError } from '../errors.ts'

export interface Deployment {
  escrow: Address
  governor: Address
  testToken?: Address
  deployBlock: number
  /** Creation transaction per contract: what verification replays. */
  transactions: { escrow: Hex; governor: Hex; testToken?: Hex }
}

export interface GovernanceSettings {
  votingPeriodSeconds: number
  quorumBps: number
}

export const DEFAULT_GOVERNANCE: GovernanceSettings = { votingPeriodSeconds: 3 * 24 * 3600, quorumBps: 2000 }

async function deployed(publicClient: PublicClient, hash: Hex): Promise<{ address: Address; block: number; hash: Hex }> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new TesseraeError('DEPLOY_FAILED', `deployment transaction ${hash} failed`)
  return { address: receipt.contractAddress, block: Number(receipt.blockNumber), hash }
}

const governorArgs = (escrow: Address, governance: GovernanceSettings) => [escrow, BigInt(governance.votingPeriodSeconds), governance.quorumBps] as const

export async function deploySettlement(wallet: Writer, publicClient: PublicClient, options: { governance?: GovernanceSettings; testToken?: boolean } = {}): Promise<Deployment> {
  const governance = options.governance ?? DEFAULT_GOVERNANCE
  const escrow = await deployed(publicClient, await wallet.deployContract({ abi: jobEscrowAbi, bytecode: jobEscrowBytecode }))
  const governor = await deployed(publicClient, await wallet.deployContract({ abi: jobGovernorAbi, bytecode: jobGovernorBytecode, args: governorArgs(escrow.address, governance) }))
  const result: Deployment = { escrow: escrow.address, governor: governor.address, deployBlock: escrow.block, transactions: { escrow: escrow.hash, governor: governor.hash } }
  if (options.testToken) {
    const token = await deployed(publicClient, await wallet.deployContract({ abi: testTokenAbi, bytecode: testTokenBytecode }))
    result.testToken = token.address
    result.transactions.testToken = token.hash
  }
  return result
}

/**
 * Replays a creation transaction with eth_call on the state just before its block, from the same sender
 * (so the same nonce, address and immutables), and compares the code it returns with the code at the
 * address. Any difference means the chain holds something other than what our sources compile to.
 */
async function verifyCode(publicClient: PublicClient, name: string, address: Address, hash: Hex, deployData: Hex): Promise<void> {
  const tx = await publicClient.getTransaction({ hash })
  if (tx.input !== deployData) throw new TesseraeError('DEPLOY_MISMATCH', `${name}: transaction ${hash} did not deploy this build's bytecode`)
  const [onChain, replayed] = await Promise.all([
    publicClient.getCode({ address }),
    publicClient.call({ account: tx.from, data: deployData, blockNumber: tx.blockNumber! - 1n }),
  ])
  if (!onChain || onChain === '0x') throw new TesseraeError('DEPLOY_MISMATCH', `${name}: no code at ${address}`)
  if (replayed.data !== onChain) throw new TesseraeError('DEPLOY_MISMATCH', `${name}: the code at ${address} (${onChain.length / 2 - 1} bytes) differs from this build's (${((replayed.data?.length ?? 2) / 2) - 1} bytes)`)
}

export async function verifySettlement(publicClient: PublicClient, deployment: Deployment, governance: GovernanceSettings = DEFAULT_GOVERNANCE): Promise<void> {
  const checks: Array<[string, Address, Hex, Hex]> = [
    ['JobEscrow', deployment.escrow, deployment.transactions.escrow, encodeDeployData({ abi: jobEscrowAbi, bytecode: jobEscrowBytecode })],
    ['JobGovernor', deployment.governor, deployment.transactions.governor, encodeDeployData({ abi: jobGovernorAbi, bytecode: jobGovernorBytecode, args: governorArgs(deployment.escrow, governance) })],
  ]
  for (const [name, address, hash, data] of checks) await verifyCode(publicClient, name, address, hash, data)
  const escrowOfGovernor = await publicClient.readContract({ address: deployment.governor, abi: jobGovernorAbi, functionName: 'escrow' })
  if (escrowOfGovernor.toLowerCase() !== deployment.escrow.toLowerCase()) throw new TesseraeError('DEPLOY_MISMATCH', `JobGovernor at ${deployment.governor} points at escrow ${escrowOfGovernor}, not ${deployment.escrow}`)
}
