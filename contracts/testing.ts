// Shared setup for the contract tests: a real anvil on a free port with the contracts freshly deployed, and
// helpers that speak in the tests' terms (accounts by index, time travel, revert names).
import { BaseError, ContractFunctionRevertedError, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startChain, type RunningChain } from '../server/chain.ts'
import { freePort } from '../server/ports.ts'
import { ANVIL_KEYS, localClients } from '../server/settlement.ts'
import { deploySettlement, type Deployment, type EscrowSettings, type GovernanceSettings } from '../src/ledger/deploy.ts'

export interface TestChain {
  chain: RunningChain
  deployment: Deployment
  clients: ReturnType<typeof localClients>[]
  addresses: Address[]
  increaseTime(seconds: number): Promise<void>
  balance(address: Address): Promise<bigint>
}

/** Short rules so a test can time-travel through them: challenge 100 s, claim window 1000 s, coordinator delay 500 s, pause 2000 s. */
export const TEST_ESCROW: EscrowSettings = { minChallengeSeconds: 100, claimWindowSeconds: 1000, coordinatorDelaySeconds: 500, maxPauseSeconds: 2000 }

export async function startTestChain(governance: GovernanceSettings = { votingPeriodSeconds: 3600, quorumBps: 2000 }, escrow: EscrowSettings = TEST_ESCROW): Promise<TestChain> {
  const chain = await startChain({ host: '127.0.0.1', port: await freePort('127.0.0.1') })
  const clients = ANVIL_KEYS.map((key) => localClients(chain.rpcUrl, chain.chainId, key))
  const deployment = await deploySettlement(clients[0]!.wallet, clients[0]!.publicClient, { governance, escrow, testToken: true })
  const rpc = clients[0]!.publicClient
  return {
    chain,
    deployment,
    clients,
    addresses: ANVIL_KEYS.map((key) => privateKeyToAccount(key).address),
    async increaseTime(seconds) {
      await rpc.request({ method: 'evm_increaseTime' as never, params: [seconds] as never })
      await rpc.request({ method: 'evm_mine' as never, params: [] as never })
    },
    balance: (address) => rpc.getBalance({ address }),
  }
}

/** The contract's named error a failed call reverted with (or the failure's message). */
export async function revertOf(call: Promise<unknown>): Promise<string> {
  try {
    await call
  } catch (error) {
    const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null
    if (revert instanceof ContractFunctionRevertedError) return revert.data?.errorName ?? revert.shortMessage
    return error instanceof Error ? error.message : String(error)
  }
  return 'no revert'
}

export async function mined(client: TestChain['clients'][number], hash: Hex): Promise<void> {
  const receipt = await client.publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`)
}
