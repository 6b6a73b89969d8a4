// Jobs and their metrics as heard on gossip, for any page: the dashboard and the Contribute page read the
// swarm's own reports, never a server. One feed per tab (useSwarm's), so a page opened later knows every job at once.
import { useEffect, useState } from 'react'
import type { HeardJob } from '../../roles/job-feed.ts'
import type { TabPeer } from './useSwarm.ts'

export function useJobFeed(peer: TabPeer | null): HeardJob[] {
  const [jobs, setJobs] = useState<HeardJob[]>([])
  useEffect(() => {
    if (!peer) return
    queueMicrotask(() => setJobs(peer.jobs.current))
    return peer.jobs.subscribe(setJobs)
  }, [peer])
  return jobs
}
