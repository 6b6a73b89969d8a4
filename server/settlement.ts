// The local chain's settlement: deploys the contracts from anvil's first well-known account and funds jobs
// from it. Anvil's keys are public test keys, so none of this is ever pointed at a real chain.
import { createPublicClient, createWalletClient, http, parseEther, type Address, type Hex, type PublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { deploySettlement, type Deployment, type EscrowSettings, type GovernanceSettings } from '../src/ledger/deploy.ts'
import { NATIVE_TOKEN, readEscrowJob, type Writer } from '../src/ledger/escrow.ts'
import { jobEscrowAbi } from '../src/ledger/generated/contracts.ts'
import { jobKey } from '../src/ledger/job-key.ts'
import { chainOf } from '../src/ledger/chain.ts'

/** Anvil's default accounts 0–5 (mnemonic "test test … junk"): public, funded with 10,000 ETH on every anvil. */
export const ANVIL_KEYS: readonly Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
]

export function localClients(rpcUrl: string, chainId: number, key: Hex = ANVIL_KEYS[0]!): { publicClient: PublicClient; wallet: Writer } {
  const chain = chainOf({ chainId, name: 'Local anvil', rpcUrl })
  const transport = http(rpcUrl, { retryCount: 0 })
  return { publicClient: createPublicClient({ chain, transport }), wallet: createWalletClient({ chain, transport, account: privateKeyToAccount(key) }) }
}

/** Local governance votes last minutes, not days, so a demo can see one through. */
export const LOCAL_GOVERNANCE: GovernanceSettings = { votingPeriodSeconds: 300, quorumBps: 2000 }
/**
 * Local roots go final after half a minute, so a demo (and the e2e) can claim without time travel; a real
 * deployment uses DEFAULT_ESCROW's days, long enough for a governance veto.
 */
export const LOCAL_ESCROW: EscrowSettings = { minChallengeSeconds: 30, claimWindowSeconds: 3600, coordinatorDelaySeconds: 600, maxPauseSeconds: 3600 }

export function deployLocalSettlement(rpcUrl: string, chainId: number, escrow: EscrowSettings = LOCAL_ESCROW): Promise<Deployment> {
  const { publicClient, wallet } = localClients(rpcUrl, chainId)
  return deploySettlement(wallet, publicClient, { governance: LOCAL_GOVERNANCE, escrow, testToken: true })
}

/** The deployer account: it owns the demo job's pool on the local chain. */
export const LOCAL_OWNER: Address = privateKeyToAccount(ANVIL_KEYS[0]!).address

/**
 * Funds `jobId` with `amountEth` from the deployer (once: a job already funded is left alone) and gives its
 * coordinator gas money for posting epoch roots.
 */
export async function fundLocalJob(options: { rpcUrl: string; chainId: number; escrow: Address; jobId: string; coordinator: Address; amountEth: string; days: number; challengeSeconds: number }): Promise<void> {
  const { publicClient, wallet } = localClients(options.rpcUrl, options.chainId)
  if (await readEscrowJob(publicClient, options.escrow, jobKey(wallet.account.address, options.jobId))) return
  const amount = parseEther(options.amountEth)
  const deadline = BigInt(Math.floor(Date.now() / 1000) + options.days * 86_400)
  const hash = await wallet.writeContract({ address: options.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [options.jobId, options.coordinator, NATIVE_TOKEN, amount, deadline, BigInt(options.challengeSeconds)], value: amount })
  await publicClient.waitForTransactionReceipt({ hash })
  await publicClient.waitForTransactionReceipt({ hash: await wallet.sendTransaction({ to: options.coordinator, value: parseEther('1') }) })
}
