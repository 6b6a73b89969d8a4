// One line that answers "am I connected?": relay, direct peers, chain, and cross-origin isolation; and, on
// every page, whether this tab is donating.
import { Link } from 'react-router'
import { useStack } from '../stack-context.ts'
import { useDonation } from '../donation-context.ts'

export function StatusBar() {
  const { swarm, chain, config } = useStack()
  const donation = useDonation()
  const relay = swarm.status === 'running' ? swarm.snapshot.relayState : swarm.status === 'failed' ? 'failed' : 'connecting'
  const direct = swarm.status === 'running' ? swarm.snapshot.peers.filter((p) => p.transports.includes('webrtc')).length : 0
  return (
    <div className="statusbar" role="status" aria-live="polite">
      <span data-testid="relay-status" data-state={relay} className={`pill ${relay}`}>Relay: {relay}</span>
      <span data-testid="direct-peers">Direct peers: {direct}</span>
      <span data-testid="chain-status" data-state={chain.status} className={`pill ${chain.status === 'ok' ? 'connected' : chain.status}`}>
        Chain: {chain.status === 'ok' ? `${config.chain.name} (chain id ${chain.chainId}), latest block ${chain.blockNumber.toString()}` : chain.status === 'failed' ? `unreachable (${chain.error})` : 'connecting'}
      </span>
      {donation.running && (
        <Link to="/" data-testid="donating" data-paused={String(donation.paused)} className="pill connected">
          {donation.paused ? 'Donation paused' : 'Donating'}
        </Link>
      )}
      <span data-testid="isolation" data-isolated={String(globalThis.crossOriginIsolated === true)}>
        {globalThis.crossOriginIsolated ? 'Cross-origin isolated' : 'Not isolated: wasm runs single-threaded'}
      </span>
    </div>
  )
}
