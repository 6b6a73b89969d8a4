import { LocalTrainingPanel } from '../components/LocalTrainingPanel.tsx'
import { CoordinatorPanel } from '../components/CoordinatorPanel.tsx'
import { SwarmPanel } from '../components/SwarmPanel.tsx'

export function ResearchPage() {
  return (
    <>
      <h1>Research</h1>
      <div className="grid">
        <CoordinatorPanel />
        <SwarmPanel />
        <LocalTrainingPanel />
      </div>
    </>
  )
}
