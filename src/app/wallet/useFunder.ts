// The researcher's wallet as a Funder: escrows a new job's pool and sends its coordinator key gas money for the
// epoch roots. An ETH pool is one createJob (value = pool); an ERC-20 pool is approve, then createJob. The
// challenge period is the escrow's minimum: as short as the contract allows, long enough for a veto vote.
// Undefined while no wallet is connected on the right chain.
import { useMemo } from 'react'
import { useConfig, useConnection } from 'wagmi'
import { getWalletClient } from 'wagmi/actions'
import { erc20Abi, getAddress, parseEther, type Address } from 'viem'
import { jobEscrowAbi } from '../../ledger/generated/contracts.ts'
import { NATIVE_TOKEN } from '../../ledger/escrow.ts'
import { explainChainError } from '../../ledger/explain-error.ts'
import { chainOf, readerFor } from '../../ledger/chain.ts'
import type { ChainConfig } from '../../stack/stack-config.ts'
import type { Funder } from '../hooks/useCoordinator.ts'

/** Gas for about a thousand epoch roots at local-chain prices; a real chain's researcher may top it up. */
export const COORDINATOR_GAS_ETH = '0.05'
/** After this long no new root lands; the claim window follows, then the owner may reclaim what was never claimed. */
export const ESCROW_DAYS = 30

export function useFunder(chain: ChainConfig): Funder | undefined {
  const config = useConfig()
  const connection = useConnection()
  // Ready as soon as a wallet is connected on the right chain. The wallet client is asked for when funding
  // starts: the hook's cached client was briefly undefined after a page change, and a job started in that moment
  // went out announced but never escrowed.
  const ready = connection.status === 'connected' && connection.chainId === chain.chainId
  return useMemo(() => {
    if (!ready || !chain.contracts) return undefined
    const escrow = chain.contracts.escrow
    const reader = readerFor(chain)
    const viemChain = chainOf(chain)
    const mined = async (hash: `0x${string}`, what: string) => {
      if ((await reader.waitForTransactionReceipt({ hash })).status !== 'success') throw new Error(`the ${what} transaction ${hash} reverted`)
    }
    return async (job, coordinatorAccount): Promise<Address> => {
      const reward = job.reward
      if (!reward) throw new Error('the job has no reward pool to fund')
      try {
        const client = await getWalletClient(config, { chainId: chain.chainId })
        const amount = BigInt(reward.amount)
        const token: Address = reward.token ? getAddress(reward.token) : NATIVE_TOKEN
        const deadline = BigInt(Math.floor(Date.now() / 1000) + ESCROW_DAYS * 86_400)
        const challenge = await reader.readContract({ address: escrow, abi: jobEscrowAbi, functionName: 'minChallengePeriod' })
        if (token !== NATIVE_TOKEN) {
          const balance = await reader.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [client.account.address] })
          if (balance < amount) throw new Error(`your wallet holds ${balance} base units of ${reward.symbol}, less than the ${amount} the pool needs`)
          await mined(await client.writeContract({ chain: viemChain, address: token, abi: erc20Abi, functionName: 'approve', args: [escrow, amount] }), 'approval')
        }
        const created = await client.writeContract({ chain: viemChain, address: escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [job.id, coordinatorAccount, token, amount, deadline, challenge], value: token === NATIVE_TOKEN ? amount : 0n })
        await mined(created, 'funding')
        await mined(await client.sendTransaction({ chain: viemChain, to: coordinatorAccount, value: parseEther(COORDINATOR_GAS_ETH) }), 'gas money')
        return getAddress(client.account.address)
      } catch (error) {
        throw new Error(`funding the reward pool failed: ${explainChainError(error)}`, { cause: error })
      }
    }
  }, [ready, config, chain])
}
