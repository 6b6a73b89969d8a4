// The researcher's wallet as a Funder: escrows a new job's pool (createJob, value = pool) and sends its
// coordinator key gas money for the epoch roots. Undefined while no wallet is connected on the right chain.
import { useMemo } from 'react'
import { useConnection, useWalletClient } from 'wagmi'
import { parseEther } from 'viem'
import { jobEscrowAbi } from '../../ledger/generated/contracts.ts'
import { jobKey } from '../../ledger/job-key.ts'
import { NATIVE_TOKEN } from '../../ledger/escrow.ts'
import { explainChainError } from '../../ledger/explain-error.ts'
import { chainOf, readerFor } from '../../ledger/chain.ts'
import type { ChainConfig } from '../../stack/stack-config.ts'
import type { Funder } from '../hooks/useCoordinator.ts'

/** Gas for about a thousand epoch roots at local-chain prices; a real chain's researcher may top it up. */
export const COORDINATOR_GAS_ETH = '0.05'
/** After this long the owner may reclaim what was never claimed. */
export const ESCROW_DAYS = 30

export function useFunder(chain: ChainConfig): Funder | undefined {
  const connection = useConnection()
  const walletClient = useWalletClient({ chainId: chain.chainId })
  const client = walletClient.data
  const ready = connection.status === 'connected' && connection.chainId === chain.chainId && client !== undefined
  return useMemo(() => {
    if (!ready || !client || !chain.contracts) return undefined
    const escrow = chain.contracts.escrow
    const reader = readerFor(chain)
    return async (job, coordinatorAccount) => {
      const reward = job.reward
      if (!reward) return
      if (reward.symbol !== 'ETH' || reward.decimals !== 18) throw new Error(`the app funds ETH pools; a ${reward.symbol} pool is funded by approving the escrow and calling createJob directly (see the README)`)
      try {
        const amount = BigInt(reward.amount)
        const deadline = BigInt(Math.floor(Date.now() / 1000) + ESCROW_DAYS * 86_400)
        const created = await client.writeContract({ chain: chainOf(chain), address: escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [jobKey(job.id), coordinatorAccount, NATIVE_TOKEN, amount, deadline], value: amount })
        if ((await reader.waitForTransactionReceipt({ hash: created })).status !== 'success') throw new Error(`the funding transaction ${created} reverted`)
        const gas = await client.sendTransaction({ chain: chainOf(chain), to: coordinatorAccount, value: parseEther(COORDINATOR_GAS_ETH) })
        await reader.waitForTransactionReceipt({ hash: gas })
      } catch (error) {
        throw new Error(`funding the reward pool failed: ${explainChainError(error)}`, { cause: error })
      }
    }
  }, [ready, client, chain])
}
