// Connecting a wallet: every EIP-6963 wallet the browser announces (and the burner on the local chain), the
// connected address and its balance, and a switch button when the wallet is on another network.
import { useState } from 'react'
import { useBalance, useConnect, useConnection, useConnectors, useDisconnect, useReadContract, useSwitchChain, useWalletClient } from 'wagmi'
import { formatEther, type Address } from 'viem'
import { formatAmount } from '../../../training/rewards.ts'
import { testTokenAbi } from '../../../ledger/generated/contracts.ts'
import { chainOf, readerFor } from '../../../ledger/chain.ts'
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
  const testToken = config.chain.local ? config.chain.contracts?.testToken : undefined

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
          <dd data-testid="wallet-balance">{balance.data ? <span title={`${formatEther(balance.data.value)} ETH`}>{formatAmount(balance.data.value, 18, 4)} ETH</span> : '…'}</dd>
          {testToken && connection.address && <TestTokenLine token={testToken} account={connection.address} />}
        </dl>
      )}
      {connection.status === 'connected' && (
        <button type="button" className="secondary" onClick={() => disconnect.mutate({})}>Disconnect</button>
      )}
      {problem && <p className="field-error" role="alert">{explainChainError(problem)}</p>}
    </section>
  )
}

/** The local chain's test ERC-20 (anyone may mint it): balance and a mint button, to try an ERC-20 pool. */
function TestTokenLine({ token, account }: { token: Address; account: Address }) {
  const { config } = useStack()
  const walletClient = useWalletClient({ chainId: config.chain.chainId })
  const balance = useReadContract({ address: token, abi: testTokenAbi, functionName: 'balanceOf', args: [account], chainId: config.chain.chainId, query: { refetchInterval: 3000 } })
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null })
  const mint = async () => {
    if (!walletClient.data) return
    setState({ busy: true, error: null })
    try {
      const hash = await walletClient.data.writeContract({ chain: chainOf(config.chain), address: token, abi: testTokenAbi, functionName: 'mint', args: [account, 1000n * 10n ** 6n] })
      await readerFor(config.chain).waitForTransactionReceipt({ hash })
      await balance.refetch()
      setState({ busy: false, error: null })
    } catch (error) {
      setState({ busy: false, error: explainChainError(error) })
    }
  }
  return (
    <>
      <dt>Test token</dt>
      <dd>
        <span data-testid="test-token-balance">{balance.data === undefined ? '…' : `${formatAmount(balance.data, 6, 2)} TUSD`}</span>{' '}
        <button type="button" className="secondary" onClick={() => void mint()} disabled={state.busy || !walletClient.data} data-testid="mint-test-token">Mint 1,000 TUSD</button>
        {state.error && <span className="field-error" role="alert"> {state.error}</span>}
      </dd>
    </>
  )
}
