// Polls the configured EVM chain (TanStack Query's refetchInterval) so the status bar can say whether
// settlement is reachable and how far the chain has got.
import { useMemo } from 'react'
import { useQuery } from '@tanstack/react-query'
import { createPublicClient, http } from 'viem'
import type { StackConfig } from '../../stack/stack-config.ts'
import { errorMessage } from '../../errors.ts'

export type ChainStatus = { status: 'connecting' } | { status: 'ok'; chainId: number; blockNumber: bigint } | { status: 'failed'; error: string }

const POLL_MS = 4000

export function useChainStatus(chain: StackConfig['chain']): ChainStatus {
  const client = useMemo(() => createPublicClient({ transport: http(chain.rpcUrl, { timeout: 5000, retryCount: 0 }) }), [chain.rpcUrl])
  const query = useQuery({
    queryKey: ['chain-status', chain.rpcUrl, chain.chainId],
    refetchInterval: POLL_MS,
    retry: false,
    queryFn: async () => {
      const [chainId, blockNumber] = await Promise.all([client.getChainId(), client.getBlockNumber()])
      if (chainId !== chain.chainId) throw new Error(`the RPC at ${chain.rpcUrl} is chain ${chainId}, expected ${chain.chainId}`)
      return { chainId, blockNumber }
    },
  })
  const { data, error } = query
  // One object per reading, so the context the whole app reads from changes only when the chain does.
  return useMemo((): ChainStatus => {
    if (error) {
      const text = errorMessage(error).split('\n')[0]!
      return { status: 'failed', error: text.startsWith('the RPC at') ? text : `cannot reach ${chain.rpcUrl}: ${text}` }
    }
    return data ? { status: 'ok', ...data } : { status: 'connecting' }
  }, [data, error, chain.rpcUrl])
}
