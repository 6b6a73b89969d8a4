// One job on the Governance page: the governor's rules, this wallet's credit, the job's open and past
// proposals, and the proposal form; proposing, voting and executing each send one transaction whose status
// is shown in words. Weights come from the epoch trees on the swarm, checked against the roots on chain.
import { parseEventLogs, type Address } from 'viem'
import { chainOf } from '../../../ledger/chain.ts'
import { jobGovernorAbi } from '../../../ledger/generated/contracts.ts'
import { escrowKeyOf } from '../../../ledger/job-key.ts'
import { durationInWords, percent, proposalInWords } from '../../../ledger/governance.ts'
import { DECISION_KINDS } from '../../../ledger/escrow.ts'
import type { HeardJob } from '../../../roles/job-feed.ts'
import type { GovernanceStanding, ProposalStanding } from '../../../roles/governance-reader.ts'
import type { GovernanceRules } from '../../../ledger/governor.ts'
import { formatAmount } from '../../../training/rewards.ts'
import { useJobWallet } from '../../hooks/useJobWallet.ts'
import { useGovernance } from '../../hooks/useGovernance.ts'
import { useTransaction } from '../../hooks/useTransaction.ts'
import { TransactionStatus } from '../TransactionStatus.tsx'
import { ProposalCard } from './ProposalCard.tsx'
import { ProposalForm } from './ProposalForm.tsx'

/** Why this wallet cannot propose now, or null when it can. */
function proposeBlocked(standing: GovernanceStanding, wallet: Address | undefined): string | null {
  if (!wallet) return 'Connect a wallet to propose: only wallets with credit in the job\'s latest final root may.'
  if (standing.latestFinal === 0) return 'No root of this job is final yet, so nobody holds credit to propose with.'
  if (standing.credit?.error) return `Your credit could not be read: ${standing.credit.error}`
  if (!standing.credit?.leaf) return `This wallet holds no credit in epoch ${standing.latestFinal}'s root (the latest final one), so it cannot propose.`
  return null
}

export function JobGovernance({ heard }: { heard: HeardJob }) {
  const { config, peer, wallet, walletClient } = useJobWallet()
  const job = heard.announcement.job
  const g = useGovernance(config.chain, peer, heard, wallet)
  const tx = useTransaction(config.chain, g.refresh)
  const decimals = job.reward?.decimals ?? 18
  const format = (units: bigint) => `${formatAmount(units, decimals)} ${job.reward?.symbol ?? 'ETH'}`
  const datasetName = (id: string) => heard.metrics?.datasets.find((d) => d.id === id)?.name
  const key = escrowKeyOf(job)
  const governor = config.chain.contracts?.governor
  const headingId = `governance-${job.id.replace(/[^A-Za-z0-9_-]/g, '_')}`

  /** The connected wallet's client and the job's contracts, or a sentence saying what is missing. */
  const ready = () => {
    if (!wallet || !walletClient.data || !g.reader || !key || !governor) throw new Error('connect a wallet on this network first')
    return { client: walletClient.data, reader: g.reader, key, call: { account: wallet, chain: chainOf(config.chain), address: governor, abi: jobGovernorAbi } }
  }

  const propose = (p: { kind: number; subject: string; value: bigint }) =>
    void tx.run(
      'Proposing',
      async () => {
        const { client, reader, key: jobKey, call } = ready()
        // The proposal names the latest final root as its snapshot; the chain still takes it if the next root
        // goes final before the transaction lands (JobGovernor.SNAPSHOT_GRACE).
        const { epoch, weight } = await reader.creditNow(call.account)
        if (weight.error !== null) throw new Error(weight.error)
        if (!weight.leaf) throw new Error(epoch === 0 ? 'no root of this job is final yet' : `this wallet holds no credit in epoch ${epoch}'s root, the latest final one`)
        return client.writeContract({ ...call, functionName: 'propose', args: [jobKey, p.kind, p.subject, p.value, BigInt(epoch), weight.leaf.amount, weight.leaf.cumulative, weight.leaf.proof] })
      },
      (receipt) => {
        const created = parseEventLogs({ abi: jobGovernorAbi, eventName: 'ProposalCreated', logs: receipt.logs })[0]
        const asks = proposalInWords(DECISION_KINDS[p.kind]!, p.subject, p.value, datasetName)
        return `Proposal ${created?.args.proposalId ?? '?'} is open: ${asks}. Proposing is not a vote: vote for it below.`
      },
    )

  const vote = (p: ProposalStanding, support: boolean) =>
    void tx.run(
      `Voting ${support ? 'for' : 'against'} proposal ${p.id}`,
      async () => {
        const { client, call } = ready()
        const leaf = p.weight?.leaf
        if (!leaf) throw new Error(`this wallet holds no credit in epoch ${p.snapshotEpoch}'s root, the proposal's snapshot`)
        return client.writeContract({ ...call, functionName: 'vote', args: [p.id, support, leaf.amount, leaf.cumulative, leaf.proof] })
      },
      (receipt) => {
        const cast = parseEventLogs({ abi: jobGovernorAbi, eventName: 'VoteCast', logs: receipt.logs })[0]
        return `Voted ${support ? 'for' : 'against'} proposal ${p.id} with ${format(cast?.args.weight ?? 0n)} in block ${receipt.blockNumber}.`
      },
    )

  const execute = (p: ProposalStanding) =>
    void tx.run(
      `Executing proposal ${p.id}`,
      async () => {
        const { client, call } = ready()
        return client.writeContract({ ...call, functionName: 'execute', args: [p.id] })
      },
      (receipt) => {
        const done = parseEventLogs({ abi: jobGovernorAbi, eventName: 'ProposalExecuted', logs: receipt.logs })[0]
        return done?.args.passed
          ? `Proposal ${p.id} passed and is recorded on chain: the job's coordinator follows it from its next round.`
          : `Proposal ${p.id} is recorded as failed: nothing changes.`
      },
    )

  const proposalList = (title: string, empty: string, proposals: ProposalStanding[], standing: GovernanceStanding, rules: GovernanceRules) => (
    <section aria-label={`${title} of ${job.name}`}>
      <h3>{title}</h3>
      {proposals.length === 0 ? <p className="hint">{empty}</p> : proposals.map((p) => (
        <ProposalCard key={p.id.toString()} proposal={p} rules={rules} nowSeconds={g.checkedAt} datasetName={datasetName} openEpochs={standing.openEpochs} format={format} connected={wallet !== undefined} busy={tx.busy} onVote={(support) => vote(p, support)} onExecute={() => execute(p)} />
      ))}
    </section>
  )

  const s = g.standing
  return (
    <article className="card wide" data-testid={`governance-job-${job.id}`} aria-labelledby={headingId}>
      <h2 id={headingId}>{job.name}</h2>
      {s === undefined ? (
        <p className="hint">{g.error ?? 'Reading the job\'s governance…'}</p>
      ) : s === null || !s.rules ? (
        <p className="hint" data-testid="governance-unfunded">This job has no reward pool on {config.chain.name}: nobody holds credit in it, so there is nothing to vote on.</p>
      ) : (
        <>
          <p className="hint">
            Votes last {durationInWords(s.rules.votingPeriodSeconds)} and weigh each wallet's credit in the job's latest final root when the proposal was made. A proposal passes once {percent(s.rules.quorumBps)} of that snapshot's credit has voted and more voted for it than against; it can be executed at once when more than half of the snapshot's credit voted for it.
          </p>
          <dl className="facts">
            <dt>Latest final root</dt>
            <dd data-testid="latest-final" data-epoch={s.latestFinal}>{s.latestFinal === 0 ? 'none yet' : `epoch ${s.latestFinal}`}</dd>
            <dt>Your credit</dt>
            <dd data-testid="voting-credit" data-units={s.credit?.leaf?.cumulative.toString() ?? ''}>
              {!wallet ? 'connect a wallet' : s.credit?.leaf ? `${format(s.credit.leaf.cumulative)} in epoch ${s.latestFinal}'s root: a proposal made now counts your vote with this` : s.credit?.error ?? 'none in the latest final root'}
            </dd>
          </dl>
          {proposalList('Open proposals', 'No open proposals.', s.proposals.filter((p) => !p.executed), s, s.rules)}
          {proposalList('Past proposals', 'None yet.', s.proposals.filter((p) => p.executed).reverse(), s, s.rules)}
          <ProposalForm job={job} datasets={heard.metrics?.datasets ?? []} openEpochs={s.openEpochs} nowSeconds={g.checkedAt} blocked={proposeBlocked(s, wallet)} busy={tx.busy} onPropose={propose} />
        </>
      )}
      <TransactionStatus state={tx.state} testId="governance-action" />
      {g.error && s !== undefined && <p className="warn">{g.error}</p>}
    </article>
  )
}
