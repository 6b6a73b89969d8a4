// Settlement for everyone who contributed: connect a wallet, bind it to this tab's peer key per job, and
// claim what each epoch's Merkle root pays it.
import { useStack } from '../stack-context.ts'
import { EmptyState } from '../components/EmptyState.tsx'
import { WalletPanel } from '../components/ledger/WalletPanel.tsx'
import { JobRewards } from '../components/ledger/JobRewards.tsx'
import { useJobFeed } from '../hooks/useJobFeed.ts'
import { Term } from '../glossary/Term.tsx'

export function LedgerPage() {
  const { config, swarm } = useStack()
  const jobs = useJobFeed(swarm.status === 'running' ? swarm.peer : null)
  const contracts = config.chain.contracts
  return (
    <>
      <h1>Ledger</h1>
      {!contracts ? (
        <EmptyState title="Settlement is not configured">
          <p>{config.chain.name} (chain id {config.chain.chainId}) has no Tesserae contracts configured, so credit is recorded but cannot be claimed. See "Another EVM chain" in the README's settlement section.</p>
        </EmptyState>
      ) : (
        <div className="grid">
          <WalletPanel />
          <section className="card wide" aria-labelledby="rewards-heading">
            <h2 id="rewards-heading">Rewards by job</h2>
            <p className="hint">
              <Term k="escrow">Escrow</Term> <code>{contracts.escrow}</code> on {config.chain.name}. Each <Term k="epoch" /> the job's coordinator posts a <Term k="merkleRoot" /> of what every bound wallet has earned; the tree itself comes from the swarm and is checked against that root before you claim. A root becomes claimable after its <Term k="challengePeriod" />.
            </p>
            {jobs.length === 0 ? <p>No job heard on the swarm yet.</p> : jobs.map((heard) => <JobRewards key={heard.announcement.job.id} heard={heard} />)}
          </section>
        </div>
      )}
    </>
  )
}
