// Deploys the settlement contracts (escrow, governor and, on local chains, a test ERC-20) from one account,
// and verifies what landed: each address holds exactly the code our compiled sources produce for that
// deployment (constructor arguments and immutables included), and the governor and the escrow name each other.
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

/** What a deployment was built with; verification needs the same to rebuild each contract's code. */
export interface SettlementSettings {
  governance?: GovernanceSettings
  escrow?: EscrowSettings
}

async function deployed(publicClient: PublicClient, hash: Hex): Promise<{ address: Address; block: number; hash: Hex }> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new TesseraeError('DEPLOY_FAILED', `deployment transaction ${hash} failed`)
  return { address: receipt.contractAddress, block: Number(receipt.blockNumber), hash }
}

const escrowArgs = (rules: EscrowSettings) => [BigInt(rules.minChallengeSeconds), BigInt(rules.claimWindowSeconds), BigInt(rules.coordinatorDelaySeconds), BigInt(rules.maxPauseSeconds)] as const
const governorArgs = (escrow: Address, governance: GovernanceSettings) => [escrow, BigInt(governance.votingPeriodSeconds), governance.quorumBps] as const

export async function deploySettlement(wallet: Writer, publicClient: PublicClient, options: SettlementSettings & { testToken?: boolean } = {}): Promise<Deployment> {
  const governance = options.governance ?? DEFAULT_GOVERNANCE
  const escrow = await deployed(publicClient, await wallet.deployContract({ abi: jobEscrowAbi, bytecode: jobEscrowBytecode, args: escrowArgs(options.escrow ?? DEFAULT_ESCROW) }))
  const governor = await deployed(publicClient, await wallet.deployContract({ abi: jobGovernorAbi, bytecode: jobGovernorBytecode, args: governorArgs(escrow.address, governance) }))
  // The escrow lets this governor veto roots; set once, by the deployer, before anyone can use either.
  const linked = await publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: escrow.address, abi: jobEscrowAbi, functionName: 'setGovernor', args: [governor.address] }) })
  if (linked.status !== 'success') throw new TesseraeError('DEPLOY_FAILED', `linking the governor to the escrow failed (transaction ${linked.transactionHash})`)
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

/**
 * Checks a deployment against this build and the settings it was made with: both contracts' code (so the
 * escrow's rules and the governor's voting period, quorum and escrow are the ones asked for) and the link
 * both ways, the governor naming the escrow and the escrow naming the governor as the one that may veto.
 */
export async function verifySettlement(publicClient: PublicClient, deployment: Deployment, settings: SettlementSettings = {}): Promise<void> {
  const checks: Array<[string, Address, Hex, Hex]> = [
    ['JobEscrow', deployment.escrow, deployment.transactions.escrow, encodeDeployData({ abi: jobEscrowAbi, bytecode: jobEscrowBytecode, args: escrowArgs(settings.escrow ?? DEFAULT_ESCROW) })],
    ['JobGovernor', deployment.governor, deployment.transactions.governor, encodeDeployData({ abi: jobGovernorAbi, bytecode: jobGovernorBytecode, args: governorArgs(deployment.escrow, settings.governance ?? DEFAULT_GOVERNANCE) })],
  ]
  for (const [name, address, hash, data] of checks) await verifyCode(publicClient, name, address, hash, data)
  const [escrowOfGovernor, governorOfEscrow] = await Promise.all([
    publicClient.readContract({ address: deployment.governor, abi: jobGovernorAbi, functionName: 'escrow' }),
    publicClient.readContract({ address: deployment.escrow, abi: jobEscrowAbi, functionName: 'governor' }),
  ])
  if (escrowOfGovernor.toLowerCase() !== deployment.escrow.toLowerCase()) throw new TesseraeError('DEPLOY_MISMATCH', `JobGovernor at ${deployment.governor} points at escrow ${escrowOfGovernor}, not ${deployment.escrow}`)
  if (governorOfEscrow.toLowerCase() !== deployment.governor.toLowerCase()) throw new TesseraeError('DEPLOY_MISMATCH', `JobEscrow at ${deployment.escrow} names governor ${governorOfEscrow}, not ${deployment.governor}`)
}
