// The configured chain as viem sees it, and one shared read client per RPC: every reader in a tab (rewards,
// funding, the burner's faucet, claim receipts) polls through the same client instead of building its own.
import { createPublicClient, defineChain, http, type Chain, type PublicClient } from 'viem'
import type { ChainConfig } from '../stack/stack-config.ts'

export function chainOf(config: Pick<ChainConfig, 'chainId' | 'name' | 'rpcUrl'>): Chain {
  return defineChain({ id: config.chainId, name: config.name, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [config.rpcUrl] } } })
}

const readers = new Map<string, PublicClient>()

export function readerFor(config: Pick<ChainConfig, 'chainId' | 'name' | 'rpcUrl'>): PublicClient {
  const key = `${config.chainId}@${config.rpcUrl}`
  let reader = readers.get(key)
  if (!reader) readers.set(key, (reader = createPublicClient({ chain: chainOf(config), transport: http(config.rpcUrl, { retryCount: 0 }) })))
  return reader
}
