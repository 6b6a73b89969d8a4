// Joins the swarm once per tab with the tab's persistent identity, starts its block exchange and its one feed
// of jobs heard on gossip, and re-renders on every swarm snapshot. The volunteer and coordinator hooks borrow
// the node, the exchange and the feed from here.
import { useEffect, useState } from 'react'
import type { PrivateKey } from '@libp2p/interface'
import { Swarm, type SwarmSnapshot } from '../../p2p/swarm.ts'
import { BlockExchange } from '../../p2p/block-exchange.ts'
import { loadOrCreatePeerKey } from '../../p2p/peer-key.ts'
import type { Backend } from '../../p2p/presence.ts'
import type { StackConfig } from '../../stack/stack-config.ts'
import { errorMessage } from '../../errors.ts'
import { claimPeerSlot, IdbKeyStore, openBlockstore } from '../tab-storage.ts'
import { LayeredBlockstore } from '../../p2p/layered-blockstore.ts'
import { datasetChunks } from '../../data/dataset-store.ts'
import { JobFeed } from '../../roles/job-feed.ts'

export interface TabPeer {
  swarm: Swarm
  exchange: BlockExchange
  privateKey: PrivateKey
  /** Which persistent identity this tab holds (0 for the first open tab). */
  slot: number
  /** The exchange's blockstore: the tab's blocks, then its datasets' chunks (counts chunks served). */
  blocks: LayeredBlockstore
  /** Jobs heard since the tab joined: every page and the volunteer read this one feed, so none starts blind. */
  jobs: JobFeed
}

export type SwarmState = { status: 'starting' } | { status: 'running'; snapshot: SwarmSnapshot; peer: TabPeer } | { status: 'failed'; error: string }

async function startTabPeer(config: StackConfig): Promise<TabPeer> {
  const slot = await claimPeerSlot()
  const privateKey = await loadOrCreatePeerKey(new IdbKeyStore(slot))
  const swarm = await Swarm.start({ relayAddrs: config.relayAddrs, iceServers: config.iceServers, privateKey })
  const blocks = new LayeredBlockstore(await openBlockstore(), datasetChunks)
  const exchange = await BlockExchange.start(swarm.node, blocks)
  return { swarm, exchange, privateKey, slot, blocks, jobs: new JobFeed(swarm.node) }
}

export function useSwarm(config: StackConfig, backend: Backend): SwarmState {
  const [state, setState] = useState<SwarmState>({ status: 'starting' })
  const [peer, setPeer] = useState<TabPeer | null>(null)

  useEffect(() => {
    let live = true
    let started: TabPeer | null = null
    startTabPeer(config).then(
      (p) => {
        started = p
        if (!live) return void p.swarm.stop()
        setPeer(p)
        setState({ status: 'running', snapshot: p.swarm.current, peer: p })
        p.swarm.subscribe((snapshot) => setState({ status: 'running', snapshot, peer: p }))
      },
      (error: unknown) => live && setState({ status: 'failed', error: `Could not start the peer-to-peer node: ${errorMessage(error)}` }),
    )
    return () => {
      live = false
      started?.jobs.stop()
      void started?.exchange.stop().then(() => started?.swarm.stop())
    }
  }, [config])

  useEffect(() => peer?.swarm.setBackend(backend), [peer, backend])
  return state
}
