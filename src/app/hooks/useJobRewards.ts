// One job's rewards as a wallet sees them, from the chain and the epoch trees only (src/ledger/earnings.ts):
// the escrow, what is claimable now, what is pending in roots still under challenge, what was claimed, and what
// this tab's peer earned unbound. The Volunteer and Ledger pages both show this, so they agree to the wei.
import { useCallback, useEffect, useMemo, useState } from 'react'
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

export function useJobRewards(config: ChainConfig, peer: TabPeer | null, heard: HeardJob | null, wallet: Address | undefined): JobRewards {
  const job = heard?.announcement.job ?? null
  const jobId = job?.id
  const [escrow, setEscrow] = useState<EscrowJob | null | undefined>(undefined)
  const [token, setToken] = useState({ symbol: job?.reward?.symbol ?? 'ETH', decimals: job?.reward?.decimals ?? 18 })
  const [earnings, setEarnings] = useState<Earnings | null>(null)
  const [peerEarned, setPeerEarned] = useState<JobRewards['peerEarned']>(null)
  const [error, setError] = useState<string | null>(null)
  const [checkedAt, setCheckedAt] = useState(0)
  const [tick, setTick] = useState(0)
  const refresh = useCallback(() => setTick((n) => n + 1), [])
  const escrowAddress = config.contracts?.escrow
  const key = job ? escrowKeyOf(job) : null
  const coordinator = job?.coordinator
  const reader = useMemo(
    () => (escrowAddress && peer && coordinator ? new EarningsReader(readerFor(config), escrowAddress, (cid) => fetchEpochDocument(peer.exchange, cid, coordinator)) : null),
    [config, escrowAddress, peer, coordinator],
  )
  const self = peer?.swarm.node.peerId.toString()

  useEffect(() => {
    if (!reader || !jobId || key === null) return
    const client = readerFor(config)
    let live = true
    const poll = async () => {
      try {
        const standing = await reader.read(key, jobId, wallet)
        if (!live) return
        setEscrow(standing.escrow)
        const found = standing.escrow
        if (found && found.token !== NATIVE_TOKEN) {
          const [symbol, decimals] = await Promise.all([client.readContract({ address: found.token, abi: erc20Abi, functionName: 'symbol' }), client.readContract({ address: found.token, abi: erc20Abi, functionName: 'decimals' })])
          if (live) setToken({ symbol, decimals })
        }
        const now = Math.floor(Date.now() / 1000)
        setCheckedAt(now)
        setEarnings(found && wallet ? summariseEarnings(standing.epochs, now) : null)
        const entry = standing.latest?.peers.find((p) => p.peer === self)
        setPeerEarned(entry ? { earned: entry.earned, waiting: entry.waiting } : null)
        setError(null)
      } catch (e) {
        if (live) setError(`Could not read the job's rewards: ${errorMessage(e).split('\n')[0]}`)
      }
    }
    void poll()
    const timer = setInterval(() => void poll(), POLL_MS)
    return () => {
      live = false
      clearInterval(timer)
    }
  }, [config, reader, key, jobId, wallet, self, tick])

  // A job that names no escrow owner was never escrowed: nothing to read.
  return { escrow: job && key === null ? null : escrow, token, earnings, peerEarned, error, checkedAt, refresh }
}
