// Reading JobGovernor without a chain: a fake node answers eth_call and eth_getLogs with ABI-encoded data, as
// anvil would, so these tests check what the Governance page asks the contract and how it reads the answers
// (kinds by name, times as numbers, proposals of this job only) in milliseconds.
import { describe, expect, it } from 'vitest'
import { createPublicClient, custom, decodeFunctionData, encodeAbiParameters, encodeEventTopics, encodeFunctionResult, numberToHex, type Address, type Hex } from 'viem'
import { anvil } from 'viem/chains'
import { jobGovernorAbi } from './generated/contracts.ts'
import { readGovernanceRules, readHasVoted, readProposal, readProposalIds } from './governor.ts'

const GOVERNOR: Address = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'
const VOTER: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const KEY: Hex = `0x${'11'.repeat(32)}`
const OTHER_KEY: Hex = `0x${'22'.repeat(32)}`
const ROOT: Hex = `0x${'ab'.repeat(32)}`

interface Log { blockNumber: bigint; topics: Hex[]; data: Hex }

/** A node that knows one governor's view functions (by name) and a list of its logs. */
function fakeNode(views: Record<string, (args: readonly unknown[]) => unknown>, logs: Log[] = []) {
  const calls: Array<{ functionName: string; args: readonly unknown[] }> = []
  const request = async ({ method, params }: { method: string; params?: unknown }): Promise<unknown> => {
    const [first] = params as [Record<string, unknown>]
    if (method === 'eth_chainId') return numberToHex(anvil.id)
    if (method === 'eth_call') {
      expect(String(first.to).toLowerCase()).toBe(GOVERNOR.toLowerCase())
      const { functionName, args = [] } = decodeFunctionData({ abi: jobGovernorAbi, data: first.data as Hex })
      calls.push({ functionName, args })
      const view = views[functionName]
      if (!view) throw new Error(`the fake node has no ${functionName}`)
      return encodeFunctionResult({ abi: jobGovernorAbi, functionName, result: view(args) } as Parameters<typeof encodeFunctionResult>[0])
    }
    if (method === 'eth_getLogs') {
      expect(String(first.address).toLowerCase()).toBe(GOVERNOR.toLowerCase())
      const wanted = first.topics as Array<Hex | null>
      const from = BigInt(first.fromBlock as Hex)
      const to = BigInt(first.toBlock as Hex)
      // Filters as a node does: by block range, and by each topic the request names (null: any).
      return logs
        .filter((l) => l.blockNumber >= from && l.blockNumber <= to && wanted.every((t, i) => t === null || t === l.topics[i]))
        .map((l, i) => ({ address: GOVERNOR, blockNumber: numberToHex(l.blockNumber), blockHash: `0x${'00'.repeat(31)}01`, transactionHash: `0x${'00'.repeat(31)}02`, transactionIndex: '0x0', logIndex: numberToHex(i), removed: false, topics: l.topics, data: l.data }))
    }
    throw new Error(`the fake node does not answer ${method}`)
  }
  return { client: createPublicClient({ chain: anvil, transport: custom({ request }) }), calls }
}

function proposalCreated(id: bigint, key: Hex, blockNumber: bigint, data?: Hex): Log {
  const topics = encodeEventTopics({ abi: jobGovernorAbi, eventName: 'ProposalCreated', args: { proposalId: id, jobKey: key } }) as Hex[]
  // The event's fields that are not indexed: proposer, kind, subject, value, votingEnds.
  const encoded = encodeAbiParameters([{ type: 'address' }, { type: 'uint8' }, { type: 'string' }, { type: 'uint256' }, { type: 'uint64' }], [VOTER, 2, 'innerLr', 5n, 1000n])
  return { blockNumber, topics, data: data ?? encoded }
}

const stored = (kind: number) => ({
  jobKey: KEY, kind, subject: 'innerLr', value: 5n * 10n ** 14n, proposer: VOTER, snapshotEpoch: 3n, snapshotRoot: ROOT, snapshotTotal: 1000n, votingEnds: 1_700_000_000n, forVotes: 600n, againstVotes: 100n, executed: false, passed: false,
})

describe('readGovernanceRules', () => {
  it('reads the voting period as seconds and the quorum in basis points', async () => {
    const { client, calls } = fakeNode({ votingPeriod: () => 86_400n, quorumBps: () => 2000 })
    expect(await readGovernanceRules(client, GOVERNOR)).toEqual({ votingPeriodSeconds: 86_400, quorumBps: 2000 })
    expect(calls.map((c) => c.functionName).sort()).toEqual(['quorumBps', 'votingPeriod'])
  })
})

describe('readProposal', () => {
  it('reads a proposal with its kind by name and its times and epoch as numbers', async () => {
    const { client, calls } = fakeNode({ proposal: () => stored(2) })
    expect(await readProposal(client, GOVERNOR, 7n)).toEqual({
      id: 7n, kind: 'set-hyper-parameter', subject: 'innerLr', value: 5n * 10n ** 14n, proposer: VOTER, snapshotEpoch: 3, snapshotRoot: ROOT, snapshotTotal: 1000n, votingEnds: 1_700_000_000, forVotes: 600n, againstVotes: 100n, executed: false, passed: false,
    })
    expect(calls).toEqual([{ functionName: 'proposal', args: [7n] }])
    expect((await readProposal(fakeNode({ proposal: () => ({ ...stored(4), executed: true, passed: true }) }).client, GOVERNOR, 8n))).toMatchObject({ kind: 'veto-root', executed: true, passed: true })
  })

  it('refuses a kind added to the contract after this app was built, naming the proposal', async () => {
    const { client } = fakeNode({ proposal: () => stored(9) })
    await expect(readProposal(client, GOVERNOR, 7n)).rejects.toMatchObject({ name: 'LedgerError', code: 'BAD_DECISION', message: 'proposal 7 has kind 9, which this app does not know; update the app' })
  })
})

describe('readProposalIds', () => {
  it('lists the ids of this job\'s proposals in the block range, oldest first', async () => {
    const logs = [proposalCreated(1n, KEY, 10n), proposalCreated(2n, OTHER_KEY, 11n), proposalCreated(3n, KEY, 12n), proposalCreated(4n, KEY, 20n)]
    const { client } = fakeNode({}, logs)
    expect(await readProposalIds(client, GOVERNOR, KEY, 0n, 12n)).toEqual([1n, 3n])
    expect(await readProposalIds(client, GOVERNOR, KEY, 11n, 20n)).toEqual([3n, 4n])
    expect(await readProposalIds(client, GOVERNOR, OTHER_KEY, 0n, 20n)).toEqual([2n])
  })

  it('skips a log that does not decode rather than reading a proposal from half of it', async () => {
    const logs = [proposalCreated(1n, KEY, 10n, '0x1234'), proposalCreated(2n, KEY, 11n)]
    expect(await readProposalIds(fakeNode({}, logs).client, GOVERNOR, KEY, 0n, 20n)).toEqual([2n])
  })
})

describe('readHasVoted', () => {
  it('asks whether this voter voted on this proposal', async () => {
    const { client, calls } = fakeNode({ hasVoted: ([id, voter]) => id === 7n && voter === VOTER })
    expect(await readHasVoted(client, GOVERNOR, 7n, VOTER)).toBe(true)
    expect(await readHasVoted(client, GOVERNOR, 8n, VOTER)).toBe(false)
    expect(calls).toEqual([{ functionName: 'hasVoted', args: [7n, VOTER] }, { functionName: 'hasVoted', args: [8n, VOTER] }])
  })
})
