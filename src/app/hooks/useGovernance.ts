// One job's governance as the connected wallet sees it (src/roles/governance-reader.ts), polled: proposals
// with live tallies, the wallet's weight in each snapshot and its votes, its credit to propose with now, and
// the roots still open to a veto. Trees come from the swarm, checked against the chain.
import { useCallback, useMemo } from 'react'
import { useQuery } from '@tanstack/react-query'
import type { Address } from 'viem'
import type { HeardJob } from '../../roles/job-feed.ts'
import { fetchEpochDocument } from '../../roles/rewards-client.ts'
import { GovernanceReader, type GovernanceStanding } from '../../roles/governance-reader.ts'
import { readerFor } from '../../ledger/chain.ts'
import { escrowKeyOf } from '../../ledger/job-key.ts'
import { errorMessage } from '../../errors.ts'
import type { ChainConfig } from '../../stack/stack-config.ts'
import type { TabPeer } from './useSwarm.ts'

export interface Governance {
  /** undefined while loading; null when the job has no escrow (nobody holds credit to vote with). */
  standing: GovernanceStanding | null | undefined
  error: string | null
  /** When the standing was read (unix seconds): what "time left" and "open to a veto" count from. */
  checkedAt: number
  reader: GovernanceReader | null
  refresh: () => void
}

const POLL_MS = 3000

export function useGovernance(config: ChainConfig, peer: TabPeer | null, heard: HeardJob, wallet: Address | undefined): Governance {
  const job = heard.announcement.job
  const key = escrowKeyOf(job)
  const contracts = config.contracts
  const reader = useMemo(
    () => (contracts && peer && key
      ? new GovernanceReader({ client: readerFor(config), contracts, fromBlock: BigInt(config.deployBlock ?? 0), key, jobId: job.id, fetchDocument: (cid) => fetchEpochDocument(peer.exchange, cid, job.coordinator) })
      : null),
    [config, contracts, peer, key, job.id, job.coordinator],
  )
  const self = peer?.swarm.node.peerId.toString()
  // TanStack Query polls, drops answers for a job or wallet that changed meanwhile (the key), and keeps the last
  // good reading on an error.
  const query = useQuery({
    queryKey: ['governance', config.rpcUrl, contracts?.governor, key, job.id, wallet, self],
    enabled: reader !== null,
    refetchInterval: POLL_MS,
    retry: false,
    queryFn: async () => {
      const now = Math.floor(Date.now() / 1000)
      const read = await reader!.read(wallet, now)
      return { standing: read.escrow ? read : null, checkedAt: now }
    },
  })
  const { refetch } = query
  const refresh = useCallback(() => void refetch(), [refetch])
  const error = query.error ? `Could not read the job's governance: ${errorMessage(query.error).split('\n')[0]}` : null
  // A job that names no escrow owner was never escrowed: nobody can hold credit in it.
  return { standing: key === null ? null : query.data?.standing, error, checkedAt: query.data?.checkedAt ?? 0, reader, refresh }
}
