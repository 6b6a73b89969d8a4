// One proposal as a credit holder needs it: what it asks, its snapshot, the tally against the quorum, the time
// left, this wallet's weight and vote, and the vote and execute buttons when the governor would take them.
import type { GovernanceRules } from '../../../ledger/governor.ts'
import { durationInWords, percent, proposalInWords, proposalStatus, type DatasetNames, type PostedEpoch } from '../../../ledger/governance.ts'
import type { ProposalStanding } from '../../../roles/governance-reader.ts'

export interface ProposalCardProps {
  proposal: ProposalStanding
  rules: GovernanceRules
  nowSeconds: number
  datasetName: DatasetNames
  /** Roots still in their challenge period: when a veto must pass by. */
  openEpochs: readonly PostedEpoch[]
  format: (units: bigint) => string
  connected: boolean
  busy: boolean
  onVote: (support: boolean) => void
  onExecute: () => void
}

function weightInWords(p: ProposalStanding, connected: boolean, format: (units: bigint) => string): string {
  if (!connected || p.weight === null) return 'connect a wallet to see your weight and vote'
  if (p.weight.error !== null) return `your weight is unknown: ${p.weight.error}`
  if (p.weight.leaf === null) return `no credit in that snapshot: this wallet cannot vote on it`
  return `${format(p.weight.leaf.cumulative)}, your credit in epoch ${p.snapshotEpoch}'s root${p.voted ? ' · you voted' : ''}`
}

/** What a veto proposal's deadline is: the target root goes final when its challenge period ends. */
function vetoDeadline(p: ProposalStanding, openEpochs: readonly PostedEpoch[]): string | null {
  if (p.kind !== 'veto-root' || p.executed) return null
  const target = openEpochs.find((e) => BigInt(e.epoch) === p.value)
  if (!target || target.vetoed) return `Epoch ${p.value}'s root is final or already vetoed: executing this veto records it but changes nothing.`
  const finalAt = new Date(target.finalAt * 1000).toLocaleTimeString()
  return target.finalAt < p.votingEnds
    ? `Epoch ${p.value}'s root goes final at ${finalAt}, before this vote ends: the veto counts only if more than half of the snapshot's credit votes for it and someone executes it by then.`
    : `Epoch ${p.value}'s root goes final at ${finalAt}; execute the veto before then.`
}

export function ProposalCard(props: ProposalCardProps) {
  const { proposal: p, rules, format } = props
  const status = proposalStatus(p, props.nowSeconds, rules.quorumBps)
  const asks = proposalInWords(p.kind, p.subject, p.value, props.datasetName)
  const canVote = status.votingOpen && props.connected && !p.voted && p.weight?.leaf != null
  const canExecute = status.canExecute && props.connected
  const deadline = vetoDeadline(p, props.openEpochs)
  return (
    <article className="dataset" data-testid="proposal" data-proposal-id={p.id.toString()} data-kind={p.kind} data-phase={status.phase} data-voted={p.voted} aria-label={`Proposal ${p.id}`}>
      <h4>Proposal {p.id.toString()}: {asks}</h4>
      <p data-testid="proposal-state"><strong>{status.words}</strong></p>
      <dl className="facts">
        <dt>Proposed by</dt>
        <dd className="mono">{p.proposer}</dd>
        <dt>Snapshot</dt>
        <dd data-testid="proposal-snapshot">epoch {p.snapshotEpoch}'s root, {format(p.snapshotTotal)} of credit in all</dd>
        <dt>Votes</dt>
        <dd data-testid="proposal-tally" data-for={p.forVotes.toString()} data-against={p.againstVotes.toString()}>
          {format(p.forVotes)} for · {format(p.againstVotes)} against
        </dd>
        <dt>Quorum</dt>
        <dd>
          <progress max={Math.max(rules.quorumBps, 1)} value={Math.min(status.castBps, rules.quorumBps)} aria-label={`Quorum progress of proposal ${p.id}`} />{' '}
          {percent(status.castBps)} of the snapshot voted, {percent(rules.quorumBps)} ({format(status.quorumNeeded)}) needed: {status.quorumReached ? 'reached' : 'not yet'}
        </dd>
        <dt>Voting ends</dt>
        <dd>{new Date(p.votingEnds * 1000).toLocaleString()}{status.votingOpen ? ` (in ${durationInWords(status.secondsLeft)})` : ' (over)'}</dd>
        <dt>Your weight</dt>
        <dd data-testid="vote-weight" data-units={p.weight?.leaf?.cumulative.toString() ?? ''}>{weightInWords(p, props.connected, format)}</dd>
      </dl>
      {deadline && <p className="warn">{deadline}</p>}
      {(canVote || canExecute) && (
        <div className="toolbar">
          {canVote && (
            <>
              <button type="button" disabled={props.busy} onClick={() => props.onVote(true)}>Vote for</button>
              <button type="button" className="secondary" disabled={props.busy} onClick={() => props.onVote(false)}>Vote against</button>
            </>
          )}
          {canExecute && <button type="button" disabled={props.busy} onClick={props.onExecute}>Execute</button>}
        </div>
      )}
    </article>
  )
}
