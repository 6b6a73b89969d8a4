// Governance for everyone holding credit in a job: its proposals with their snapshots and tallies, voting
// with the credit a final root shows, proposing changes the coordinator follows, and executing passed votes.
import { useStack } from '../stack-context.ts'
import { EmptyState } from '../components/EmptyState.tsx'
import { WalletPanel } from '../components/ledger/WalletPanel.tsx'
import { JobGovernance } from '../components/governance/JobGovernance.tsx'
import { useJobFeed } from '../hooks/useJobFeed.ts'

export function GovernancePage() {
  const { config, swarm } = useStack()
  const jobs = useJobFeed(swarm.status === 'running' ? swarm.peer : null)
  const contracts = config.chain.contracts
  return (
    <>
      <h1>Governance</h1>
      {!contracts ? (
        <EmptyState title="Settlement is not configured">
          <p>{config.chain.name} (chain id {config.chain.chainId}) has no Tesserae contracts configured, so nobody holds credit on chain and there is nothing to vote with. See "Another EVM chain" in the README's settlement section.</p>
        </EmptyState>
      ) : (
        <div className="grid">
          <WalletPanel />
          <section className="card" aria-labelledby="governance-how">
            <h2 id="governance-how">How votes work</h2>
            <p>
              Whoever holds credit in a job decides what it trains on, how, and for how long. A vote weighs your credit in the job's latest final escrow root when the proposal was made (its snapshot), so credit earned later cannot swing it. The job's coordinator reads executed decisions from the governor <code>{contracts.governor}</code> and applies them from its next round.
            </p>
          </section>
          {jobs.length === 0 ? <p>No job heard on the swarm yet.</p> : jobs.map((heard) => <JobGovernance key={heard.announcement.job.id} heard={heard} />)}
        </div>
      )}
    </>
  )
}
