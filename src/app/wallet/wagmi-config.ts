// wagmi for the configured chain: wallets are discovered over EIP-6963 (MetaMask, Rabby, … and, on the local
// chain, our burner), reads go to the stack's RPC, and the app never assumes a chain it was not told about.
import { createConfig, http } from 'wagmi'
import type { ChainConfig } from '../../stack/stack-config.ts'
import { chainOf } from '../../ledger/chain.ts'

export function createWagmiConfig(config: ChainConfig) {
  const chain = chainOf(config)
  return createConfig({ chains: [chain], transports: { [chain.id]: http(config.rpcUrl) }, multiInjectedProviderDiscovery: true, ssr: false })
}
