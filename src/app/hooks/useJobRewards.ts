// One job's rewards as this wallet sees them: the escrow on chain, the latest epoch's tree fetched from the
// swarm and checked against the on-chain root, this wallet's cumulative amount, what it already claimed, and
// this tab's binding. Polls the chain; refetches the tree only when a new root is posted.
import { useCallback, useEffect, useState } from 'react'
import { erc20Abi, type Address } from 'viem'
import type { HeardJob } from '../../roles/job-feed.ts'
import { fetchEpochDocument } from '../../roles/rewards-client.ts'
import { readerFor } from '../../ledger/chain.ts'
import { findClaim, type Claim, type EpochDocument } from '../../ledger/epoch-tree.ts'
import { NATIVE_TOKEN, readClaimed, readEscrowJob, type EscrowJob } from '../../ledger/escrow.ts'
import { errorMessage } from '../../errors.ts'
import type { ChainConfig } from '../../stack/stack-config.ts'
import type { TabPeer } from './useSwarm.ts'

export interface JobRewards {
  escrow: EscrowJob | null | undefined
  token: { symbol: string; decimals: number }
  claim: Claim | null
  claimed: bigint
  /** What this tab's peer earned in the latest tree, bound or not. */
  peerEarned: { earned: bigint; waiting: bigint } | null
  error: string | null
  refresh: () => void
}

const POLL_MS = 3000

export function useJobRewards(config: ChainConfig, peer: TabPeer | null, heard: HeardJob, wallet: Address | undefined): JobRewards {
  const job = heard.announcement.job
  const [escrow, setEscrow] = useState<EscrowJob | null | undefined>(undefined)
  const [token, setToken] = useState({ symbol: job.reward?.symbol ?? 'ETH', decimals: job.reward?.decimals ?? 18 })
  const [document, setDocument] = useState<EpochDocument | null>(null)
  const [claimed, setClaimed] = useState(0n)
  const [error, setError] = useState<string | null>(null)
  const [tick, setTick] = useState(0)
  const refresh = useCallback(() => setTick((n) => n + 1), [])
  const escrowAddress = config.contracts?.escrow

  useEffect(() => {
    if (!escrowAddress) return
    const client = readerFor(config)
    let live = true
    const poll = async () => {
      try {
        const found = await readEscrowJob(client, escrowAddress, job.id)
        if (!live) return
        setEscrow(found)
        if (found && found.token !== NATIVE_TOKEN) {
          const [symbol, decimals] = await Promise.all([client.readContract({ address: found.token, abi: erc20Abi, functionName: 'symbol' }), client.readContract({ address: found.token, abi: erc20Abi, functionName: 'decimals' })])
          if (live) setToken({ symbol, decimals })
        }
        if (wallet) {
          const amount = await readClaimed(client, escrowAddress, job.id, wallet)
          if (live) setClaimed(amount)
        }
        if (live) setError(null)
      } catch (e) {
        if (live) setError(`Could not read the job's escrow: ${errorMessage(e).split('\n')[0]}`)
      }
    }
    void poll()
    const timer = setInterval(() => void poll(), POLL_MS)
    return () => {
      live = false
      clearInterval(timer)
    }
  }, [config, escrowAddress, job.id, wallet, tick])

  const treeCid = escrow?.treeCid ?? ''
  const root = escrow?.root
  useEffect(() => {
    if (!peer || !treeCid || !root) return
    let live = true
    fetchEpochDocument(peer.exchange, treeCid, job.coordinator).then(
      (doc) => {
        if (!live) return
        // The tree must be the one the chain committed to: a coordinator cannot show one tree and post another.
        if (doc.root !== root || doc.job !== job.id) setError(`The published tree (root ${doc.root.slice(0, 10)}…) is not the one on chain (${root.slice(0, 10)}…); not claiming from it.`)
        else setDocument(doc)
      },
      (e: unknown) => live && setError(`Could not fetch epoch tree ${treeCid.slice(0, 16)}… from the swarm: ${errorMessage(e)}`),
    )
    return () => {
      live = false
    }
  }, [peer, treeCid, root, job.coordinator, job.id])

  const self = peer?.swarm.node.peerId.toString()
  const entry = document?.peers.find((p) => p.peer === self) ?? null
  return {
    escrow,
    token,
    // A proof is only offered against the root on chain now: between a new root and its tree, nothing is.
    claim: document && wallet && escrow && document.root === escrow.root ? findClaim(document, wallet) : null,
    claimed,
    peerEarned: entry ? { earned: entry.earned, waiting: entry.waiting } : null,
    error,
    refresh,
  }
}
