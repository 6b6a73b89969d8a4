// Typed reads of the governance contract for the Governance page: its fixed rules, a job's proposals (found
// by their ProposalCreated events, indexed by job key) and each one's live tally, and who voted.
import type { Address, Hex, PublicClient } from 'viem'
import { jobGovernorAbi } from './generated/contracts.ts'
import { decisionKind, type DecisionKind, type Reader } from './escrow.ts'

export interface GovernanceRules {
  votingPeriodSeconds: number
  /** Share of a snapshot's credit that must vote, in basis points. */
  quorumBps: number
}

/** JobGovernor.Proposal with its id, kinds by name and times in unix seconds. */
export interface Proposal {
  id: bigint
  kind: DecisionKind
  subject: string
  value: bigint
  proposer: Address
  snapshotEpoch: number
  snapshotRoot: Hex
  snapshotTotal: bigint
  votingEnds: number
  forVotes: bigint
  againstVotes: bigint
  executed: boolean
  passed: boolean
}

export async function readGovernanceRules(client: Reader, governor: Address): Promise<GovernanceRules> {
  const [period, quorum] = await Promise.all([
    client.readContract({ address: governor, abi: jobGovernorAbi, functionName: 'votingPeriod' }),
    client.readContract({ address: governor, abi: jobGovernorAbi, functionName: 'quorumBps' }),
  ])
  return { votingPeriodSeconds: Number(period), quorumBps: quorum }
}

export async function readProposal(client: Reader, governor: Address, id: bigint): Promise<Proposal> {
  const p = await client.readContract({ address: governor, abi: jobGovernorAbi, functionName: 'proposal', args: [id] })
  return {
    id, kind: decisionKind(p.kind, `proposal ${id}`), subject: p.subject, value: p.value, proposer: p.proposer, snapshotEpoch: Number(p.snapshotEpoch), snapshotRoot: p.snapshotRoot,
    snapshotTotal: p.snapshotTotal, votingEnds: Number(p.votingEnds), forVotes: p.forVotes, againstVotes: p.againstVotes, executed: p.executed, passed: p.passed,
  }
}

/** Ids of the job's proposals created in blocks `fromBlock`–`toBlock`, oldest first. */
export async function readProposalIds(client: Pick<PublicClient, 'getContractEvents'>, governor: Address, key: Hex, fromBlock: bigint, toBlock: bigint): Promise<bigint[]> {
  const logs = await client.getContractEvents({ address: governor, abi: jobGovernorAbi, eventName: 'ProposalCreated', args: { jobKey: key }, fromBlock, toBlock, strict: true })
  return logs.map((log) => log.args.proposalId)
}

export function readHasVoted(client: Reader, governor: Address, id: bigint, voter: Address): Promise<boolean> {
  return client.readContract({ address: governor, abi: jobGovernorAbi, functionName: 'hasVoted', args: [id, voter] })
}
