// Polls the configured EVM chain so the status bar can say whether settlement is reachable.
import { useEffect, useState } from 'react'
import { createPublicClient, http } from 'viem'
import type { StackConfig } from '../../stack/stack-config.ts'
import { errorMessage } from '../../errors.ts'

export type ChainStatus = { status: 'connecting' } | { status: 'ok'; chainId: number; blockNumber: bigint } | { status: 'failed'; error: string }

const POLL_MS = 4000

export function useChainStatus(chain: StackConfig['chain']): ChainStatus {
  const [state, setState] = useState<ChainStatus>({ status: 'connecting' })
  useEffect(() => {
    const client = createPublicClient({ transport: http(chain.rpcUrl, { timeout: 5000, retryCount: 0 }) })
    let live = true
    const poll = async () => {
      try {
        const [chainId, blockNumber] = await Promise.all([client.getChainId(), client.getBlockNumber()])
        if (!live) return
        if (chainId !== chain.chainId) setState({ status: 'failed', error: `the RPC at ${chain.rpcUrl} is chain ${chainId}, expected ${chain.chainId}` })
        else setState({ status: 'ok', chainId, blockNumber })
      } catch (error) {
        if (live) setState({ status: 'failed', error: `cannot reach ${chain.rpcUrl}: ${errorMessage(error).split('\n')[0]}` })
      }
    }
    void poll()
    const timer = setInterval(() => void poll(), POLL_MS)
    return () => {
      live = false
      clearInterval(timer)
    }
  }, [chain])
  return state
}
