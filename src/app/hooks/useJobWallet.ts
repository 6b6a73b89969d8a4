// What a job card that sends transactions needs from the shell: the stack's config, this tab's peer (null
// until the swarm runs), the connected wallet's address and a wallet client on the configured chain.
import type { Address } from 'viem'
import { useConnection, useWalletClient } from 'wagmi'
import { useStack } from '../stack-context.ts'

export function useJobWallet() {
  const { config, swarm } = useStack()
  const peer = swarm.status === 'running' ? swarm.peer : null
  const connection = useConnection()
  const wallet: Address | undefined = connection.status === 'connected' ? connection.address : undefined
  const walletClient = useWalletClient({ chainId: config.chain.chainId })
  return { config, peer, wallet, walletClient }
}
