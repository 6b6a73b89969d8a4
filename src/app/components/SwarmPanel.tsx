// The swarm from this tab: our peer id, and every peer heard on gossip with how we are connected to it.
import { useStack } from '../stack-context.ts'
import { ScrollRegion } from './ScrollRegion.tsx'

export function SwarmPanel() {
  const { swarm } = useStack()
  if (swarm.status === 'starting') return <section className="card" aria-busy="true"><h2>Swarm</h2><p>Starting the peer-to-peer node…</p></section>
  if (swarm.status === 'failed') return <section className="card error" role="alert"><h2>Swarm</h2><p>{swarm.error}</p></section>
  const s = swarm.snapshot
  return (
    <section className="card" data-testid="swarm-panel">
      <h2>Swarm</h2>
      <p>
        Your peer id: <code data-testid="self-peer-id">{s.selfId}</code>
      </p>
      {s.relayError !== null && <p className="error" role="alert">{s.relayError}. Check that the relay is running, then reload.</p>}
      <p>
        Gossip messages received: <span data-testid="gossip-received">{s.gossipReceived}</span>
        {s.gossipRejected > 0 && <> · rejected as malformed: {s.gossipRejected}</>}
      </p>
      {s.peers.length === 0 ? (
        <p className="empty">No other volunteers yet. Open this page in another browser or device to see it join.</p>
      ) : (
        <ScrollRegion label="Peers">
        <table className="peers">
          <caption>Peers</caption>
          <thead>
            <tr><th scope="col">Peer</th><th scope="col">Backend</th><th scope="col">Connection</th></tr>
          </thead>
          <tbody>
            {s.peers.map((p) => (
              <tr key={p.peerId} data-testid="peer-row" data-peer-id={p.peerId} data-transports={p.transports.join(' ')} data-backend={p.backend ?? ''}>
                <td><code title={p.peerId}>…{p.peerId.slice(-10)}</code></td>
                <td>{p.backend ?? 'not announced'}</td>
                <td>{p.transports.length === 0 ? 'heard via gossip, connecting…' : p.transports.includes('webrtc') ? 'direct (WebRTC)' : p.transports.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </ScrollRegion>
      )}
    </section>
  )
}
