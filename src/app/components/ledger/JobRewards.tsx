// One job on the Ledger page: its escrowed pool and epoch, this tab's binding (sign once with the wallet,
// sent to the coordinator), what the latest tree pays this wallet, and the claim with its transaction status.
import { useState } from 'react'
import type { Hex } from 'viem'
import { bindingTypedData, DEFAULT_BINDING_DAYS } from '../../../ledger/binding.ts'
import { jobEscrowAbi } from '../../../ledger/generated/contracts.ts'
import { escrowKeyOf } from '../../../ledger/job-key.ts'
import { explainChainError } from '../../../ledger/explain-error.ts'
import { sendBinding } from '../../../roles/rewards-client.ts'
import { chainOf, readerFor } from '../../../ledger/chain.ts'
import type { HeardJob } from '../../../roles/job-feed.ts'
import { formatAmount } from '../../../training/rewards.ts'
import { useJobWallet } from '../../hooks/useJobWallet.ts'
import type { TransactionState } from '../../hooks/useTransaction.ts'
import { useJobRewards } from '../../hooks/useJobRewards.ts'
import { saveBinding, storedBinding } from '../../wallet/stored-binding.ts'
import { EarningsFacts, EscrowStatus, NextEpoch } from './EarningsFacts.tsx'


export function JobRewards({ heard }: { heard: HeardJob }) {
  const { config, peer, wallet, walletClient } = useJobWallet()
  const job = heard.announcement.job
  const r = useJobRewards(config.chain, peer, heard, wallet)
  // The binding is a signature sent to the coordinator, not a transaction, so this card keeps its own status
  // in the same shape as useTransaction's.
  const [action, setAction] = useState<TransactionState>({ kind: 'idle' })
  const [binding, setBinding] = useState(() => (peer ? storedBinding(peer.slot, job.id) : null))
  const escrow = config.chain.contracts?.escrow
  const fmt = (units: bigint) => `${formatAmount(units, r.token.decimals)} ${r.token.symbol}`
  const claimable = r.earnings?.claimable ?? 0n
  const key = escrowKeyOf(job)
  const boundHere = binding && wallet && binding.wallet.toLowerCase() === wallet.toLowerCase()
  const busy = action.kind === 'busy'

  const bind = async () => {
    if (!peer || !wallet || !walletClient.data || !escrow) return
    try {
      setAction({ kind: 'busy', what: 'Waiting for your wallet to sign the binding…' })
      const payload = { job: job.id, peer: peer.swarm.node.peerId.toString(), wallet, expiry: Math.floor(Date.now() / 1000) + DEFAULT_BINDING_DAYS * 86_400 }
      const signature = await walletClient.data.signTypedData({ account: wallet, ...bindingTypedData(payload, { chainId: config.chain.chainId, escrow }) })
      setAction({ kind: 'busy', what: 'Sending the binding to the job\'s coordinator…' })
      const bound = await sendBinding(peer.swarm.node, heard.announcement, { ...payload, signature })
      saveBinding(peer.slot, job.id, bound)
      setBinding(bound)
      setAction({ kind: 'done', what: `Bound: credit this tab earns in "${job.name}" is paid to ${bound.wallet} from the next epoch.` })
    } catch (error) {
      setAction({ kind: 'failed', error: explainChainError(error) })
    }
  }

  const claim = async () => {
    const epochs = r.earnings?.claimableEpochs ?? []
    if (!wallet || !walletClient.data || !escrow || !key || epochs.length === 0) return
    try {
      setAction({ kind: 'busy', what: 'Waiting for your wallet to confirm the claim…' })
      // Every final, unclaimed epoch in one transaction: each pays its own leaf, once.
      const args = [key, wallet, epochs.map((c) => BigInt(c.epoch)), epochs.map((c) => c.amount), epochs.map((c) => c.cumulative), epochs.map((c) => c.proof)] as const
      const hash: Hex = await walletClient.data.writeContract({ account: wallet, chain: chainOf(config.chain), address: escrow, abi: jobEscrowAbi, functionName: 'claimMany', args })
      setAction({ kind: 'busy', what: `Claim sent (transaction ${hash.slice(0, 10)}…); waiting for it to be mined…` })
      const receipt = await readerFor(config.chain).waitForTransactionReceipt({ hash })
      if (receipt.status !== 'success') throw new Error(`the claim transaction ${hash} reverted`)
      setAction({ kind: 'done', what: `Claimed ${fmt(claimable)} from ${epochs.length} epoch${epochs.length === 1 ? '' : 's'} in block ${receipt.blockNumber} (transaction ${hash.slice(0, 10)}…).` })
      r.refresh()
    } catch (error) {
      setAction({ kind: 'failed', error: explainChainError(error) })
    }
  }

  return (
    <article className="dataset" data-testid={`job-rewards-${job.id}`} aria-label={`Rewards for ${job.name}`}>
      <h3>{job.name}</h3>
      {r.escrow === null ? (
        <p className="hint" data-testid="escrow-status" data-escrowed="no">This job has no reward pool on {config.chain.name}: its credit is recorded, but there is nothing to claim.</p>
      ) : r.escrow === undefined ? (
        <p className="hint">Reading the job's escrow…</p>
      ) : (
        <dl className="facts">
          <dt>Pool</dt>
          <EscrowStatus r={r} chainName={config.chain.name} />
          <NextEpoch heard={heard} />
          <dt>This tab</dt>
          <dd data-testid="binding-status">{boundHere ? `bound to ${binding.wallet}` : binding ? `bound to ${binding.wallet} (another wallet)` : 'not bound: credit earned here waits in the ledger until you bind'}</dd>
          {r.peerEarned && r.peerEarned.waiting > 0n && (
            <>
              <dt>Waiting</dt>
              <dd>{fmt(r.peerEarned.waiting)} earned by this tab waits for a binding</dd>
            </>
          )}
          {wallet && <EarningsFacts r={r} />}
        </dl>
      )}
      {r.escrow && wallet && (
        <div className="toolbar">
          <button type="button" onClick={() => void bind()} disabled={busy || !peer} data-testid="bind-wallet">
            {boundHere ? 'Bind again' : 'Bind this tab to my wallet'}
          </button>
          <button type="button" onClick={() => void claim()} disabled={busy || claimable === 0n} data-testid="claim">
            Claim {claimable > 0n ? fmt(claimable) : ''}
          </button>
        </div>
      )}
      <p role="status" aria-live="polite" data-testid="ledger-action">
        {action.kind === 'busy' || action.kind === 'done' ? action.what : ''}
      </p>
      {action.kind === 'failed' && <p className="field-error" role="alert" data-testid="ledger-error">{action.error}</p>}
      {r.error && <p className="warn">{r.error}</p>}
    </article>
  )
}
