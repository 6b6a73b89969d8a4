// Connecting a wallet: every EIP-6963 wallet the browser announces (and the burner on the local chain), the
// connected address and its balance, and a switch button when the wallet is on another network.
import { useBalance, useConnect, useConnection, useConnectors, useDisconnect, useSwitchChain } from 'wagmi'
import { formatEther } from 'viem'
import { useStack } from '../../stack-context.ts'
import { explainChainError } from '../../../ledger/explain-error.ts'

export function WalletPanel() {
  const { config } = useStack()
  const connection = useConnection()
  const connectors = useConnectors()
  const connect = useConnect()
  const disconnect = useDisconnect()
  const switchChain = useSwitchChain()
  const balance = useBalance({ address: connection.address, chainId: config.chain.chainId, query: { refetchInterval: 3000 } })
  const wrongChain = connection.status === 'connected' && connection.chainId !== config.chain.chainId
  const problem = connect.error ?? switchChain.error

  return (
    <section className="card" aria-labelledby="wallet-heading" data-testid="wallet-panel">
      <h2 id="wallet-heading">Wallet</h2>
      {connection.status !== 'connected' ? (
        <>
          <p>Connect a wallet to bind it to this tab's peer key and claim what your work earned.</p>
          {connectors.length === 0 ? (
            <p className="hint">No wallet found in this browser. Install one (MetaMask, Rabby, …){config.chain.local ? ' or wait for the burner wallet' : ''}.</p>
          ) : (
            <div className="toolbar">
              {connectors.map((c) => (
                <button key={c.uid} type="button" onClick={() => connect.mutate({ connector: c, chainId: config.chain.chainId })} disabled={connect.isPending}>
                  Connect {c.name}
                </button>
              ))}
            </div>
          )}
          {config.chain.local && <p className="hint">On this local chain the burner wallet keeps its key in this browser and is topped up with test ETH.</p>}
        </>
      ) : (
        <dl className="facts">
          <dt>Address</dt>
          <dd className="mono" data-testid="wallet-address">{connection.address}</dd>
          <dt>Wallet</dt>
          <dd>{connection.connector?.name}</dd>
          <dt>Network</dt>
          <dd>
            {wrongChain ? (
              <span className="warn" role="alert">
                Your wallet is on chain {connection.chainId}; rewards are on {config.chain.name} ({config.chain.chainId}).{' '}
                <button type="button" onClick={() => switchChain.mutate({ chainId: config.chain.chainId })}>Switch to {config.chain.name}</button>
              </span>
            ) : (
              `${config.chain.name} (${config.chain.chainId})`
            )}
          </dd>
          <dt>Balance</dt>
          <dd data-testid="wallet-balance">{balance.data ? `${formatEther(balance.data.value)} ETH` : '…'}</dd>
        </dl>
      )}
      {connection.status === 'connected' && (
        <button type="button" className="secondary" onClick={() => disconnect.mutate({})}>Disconnect</button>
      )}
      {problem && <p className="field-error" role="alert">{explainChainError(problem)}</p>}
    </section>
  )
}
