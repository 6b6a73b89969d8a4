// Jobs and their metrics as heard on gossip, for any page: the dashboard and the Contribute page read the
// swarm's own reports, never a server.
import { useEffect, useState } from 'react'
import { JobFeed, type HeardJob } from '../../roles/job-feed.ts'
import type { TabPeer } from './useSwarm.ts'

export function useJobFeed(peer: TabPeer | null): HeardJob[] {
  const [jobs, setJobs] = useState<HeardJob[]>([])
  useEffect(() => {
    if (!peer) return
    const feed = new JobFeed(peer.swarm.node)
    queueMicrotask(() => setJobs(feed.current))
    const unsubscribe = feed.subscribe(setJobs)
    return () => {
      unsubscribe()
      feed.stop()
    }
  }, [peer])
  return jobs
}
