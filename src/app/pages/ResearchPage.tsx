import { LocalTrainingPanel } from '../components/LocalTrainingPanel.tsx'
import { CoordinatorPanel } from '../components/CoordinatorPanel.tsx'
import { SwarmPanel } from '../components/SwarmPanel.tsx'
import { JobDashboard } from '../components/research/JobDashboard.tsx'
import { useStack } from '../stack-context.ts'
import { useJobFeed } from '../hooks/useJobFeed.ts'

export function ResearchPage() {
  const { swarm } = useStack()
  const jobs = useJobFeed(swarm.status === 'running' ? swarm.peer : null)
  return (
    <>
      <h1>Research</h1>
      <div className="grid">
        <JobDashboard jobs={jobs} peer={swarm.status === 'running' ? swarm.peer : null} />
        <CoordinatorPanel />
        <SwarmPanel />
        <LocalTrainingPanel />
      </div>
    </>
  )
}
