import { useStack } from '../stack-context.ts'
import { EmptyState } from '../components/EmptyState.tsx'

export function LedgerPage() {
  const { config } = useStack()
  return (
    <>
      <h1>Ledger</h1>
      <EmptyState title="Nothing to claim yet">
        <p>Here you will bind your wallet to this tab's peer key, see credit earned per job and claim rewards from each epoch's Merkle root.</p>
        <p>Settlement chain: <strong>{config.chain.name}</strong> (chain id {config.chain.chainId}) at <code>{config.chain.rpcUrl}</code>.</p>
      </EmptyState>
    </>
  )
}
