// Runs this tab's donation for every page (see donation-context.ts). A share link's ?job= pins the job a
// donation started from that page works for; "pause while hidden" applies whichever page is showing.
import { useEffect, type ReactNode } from 'react'
import { useSearchParams } from 'react-router'
import { DonationContext } from '../donation-context.ts'
import { useStack } from '../stack-context.ts'
import { usePageVisible } from '../hooks/usePageVisible.ts'
import { useVolunteer } from '../hooks/useVolunteer.ts'

export function DonationHost({ children }: { children: ReactNode }) {
  const { swarm, device } = useStack()
  const peer = swarm.status === 'running' ? swarm.peer : null
  const choice = device.status === 'ready' ? device.choice : null
  const [search] = useSearchParams()
  const v = useVolunteer(peer, choice, search.get('job'))
  const visible = usePageVisible()
  const { running, setPaused } = v
  const pauseWhenHidden = v.prefs.pauseWhenHidden
  useEffect(() => {
    if (pauseWhenHidden && running) setPaused(!visible)
  }, [visible, pauseWhenHidden, running, setPaused])
  return <DonationContext.Provider value={v}>{children}</DonationContext.Provider>
}
