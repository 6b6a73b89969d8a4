// One job's rewards as a wallet sees them, from the chain and the epoch trees only (src/ledger/earnings.ts):
// the escrow, what is claimable now, what is pending in roots still under challenge, what was claimed, and what
// this tab's peer earned unbound. The Volunteer and Ledger pages both show this, so they agree to the wei.
import { useCallback, useMemo } from 'react'
import { useQuery } from '@tanstack/react-query'
import { erc20Abi, type Address } from 'viem'
import type { HeardJob } from '../../roles/job-feed.ts'
import { fetchEpochDocument } from '../../roles/rewards-client.ts'
import { EarningsReader } from '../../roles/earnings-reader.ts'
import { readerFor } from '../../ledger/chain.ts'
import { summariseEarnings, type Earnings } from '../../ledger/earnings.ts'
import { NATIVE_TOKEN, type EscrowJob } from '../../ledger/escrow.ts'
import { escrowKeyOf } from '../../ledger/job-key.ts'
import { errorMessage } from '../../errors.ts'
import type { ChainConfig } from '../../stack/stack-config.ts'
import type { TabPeer } from './useSwarm.ts'

export interface JobRewards {
  /** undefined while loading; null when the job has no escrow on this chain (nothing to claim, ever). */
  escrow: EscrowJob | null | undefined
  token: { symbol: string; decimals: number }
  earnings: Earnings | null
  /** What this tab's peer earned in the latest root, and how much of it waits for a wallet binding. */
  peerEarned: { earned: bigint; waiting: bigint } | null
  error: string | null
  /** When these figures were read (unix seconds): what "pending" and "paused" are measured against. */
  checkedAt: number
  refresh: () => void
}

const POLL_MS = 3000

interface RewardsReading {
  escrow: EscrowJob | null
  token: { symbol: string; decimals: number } | null
  earnings: Earnings | null
  peerEarned: JobRewards['peerEarned']
  checkedAt: number
}

export function useJobRewards(config: ChainConfig, peer: TabPeer | null, heard: HeardJob | null, wallet: Address | undefined): JobRewards {
  const job = heard?.announcement.job ?? null
  const jobId = job?.id
  const escrowAddress = config.contracts?.escrow
  const key = job ? escrowKeyOf(job) : null
  const coordinator = job?.coordinator
  const reader = useMemo(
    () => (escrowAddress && peer && coordinator ? new EarningsReader(readerFor(config), escrowAddress, (cid) => fetchEpochDocument(peer.exchange, cid, coordinator)) : null),
    [config, escrowAddress, peer, coordinator],
  )
  const self = peer?.swarm.node.peerId.toString()
  // TanStack Query polls, drops answers for inputs that changed meanwhile, and keeps the last good reading on an error.
  const query = useQuery({
    queryKey: ['job-rewards', config.rpcUrl, escrowAddress, key, jobId, wallet, self],
    enabled: reader !== null && jobId !== undefined && key !== null,
    refetchInterval: POLL_MS,
    retry: false,
    queryFn: async (): Promise<RewardsReading> => {
      const standing = await reader!.read(key!, jobId!, wallet)
      const found = standing.escrow
      let token: RewardsReading['token'] = null
      if (found && found.token !== NATIVE_TOKEN) {
        const client = readerFor(config)
        const [symbol, decimals] = await Promise.all([client.readContract({ address: found.token, abi: erc20Abi, functionName: 'symbol' }), client.readContract({ address: found.token, abi: erc20Abi, functionName: 'decimals' })])
        token = { symbol, decimals }
      }
      const now = Math.floor(Date.now() / 1000)
      const entry = standing.latest?.peers.find((p) => p.peer === self)
      return { escrow: found, token, earnings: found && wallet ? summariseEarnings(standing.epochs, now) : null, peerEarned: entry ? { earned: entry.earned, waiting: entry.waiting } : null, checkedAt: now }
    },
  })
  const { refetch } = query
  const refresh = useCallback(() => void refetch(), [refetch])
  const reading = query.data
  const error = query.error ? `Could not read the job's rewards: ${errorMessage(query.error).split('\n')[0]}` : null
  return {
    // A job that names no escrow owner was never escrowed: nothing to read.
    escrow: job && key === null ? null : reading?.escrow,
    token: reading?.token ?? { symbol: job?.reward?.symbol ?? 'ETH', decimals: job?.reward?.decimals ?? 18 },
    earnings: reading?.earnings ?? null,
    peerEarned: reading?.peerEarned ?? null,
    error,
    checkedAt: reading?.checkedAt ?? 0,
    refresh,
  }
}
