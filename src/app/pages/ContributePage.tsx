import { useStack } from '../stack-context.ts'
import { useContribute } from '../hooks/useContribute.ts'
import { ImportPanel } from '../components/contribute/ImportPanel.tsx'
import { ReviewPanel } from '../components/contribute/ReviewPanel.tsx'
import { TaskReviewPanel } from '../components/contribute/TaskReviewPanel.tsx'
import { SavePanel } from '../components/contribute/SavePanel.tsx'
import { DatasetsPanel } from '../components/contribute/DatasetsPanel.tsx'

export function ContributePage() {
  const { swarm } = useStack()
  const c = useContribute(swarm.status === 'running' ? swarm.peer : null)
  return (
    <>
      <h1>Contribute data</h1>
      <div className="grid">
        <ImportPanel c={c} />
        <SavePanel c={c} />
        {c.taskSamples ? <TaskReviewPanel c={c} /> : <ReviewPanel c={c} />}
        <DatasetsPanel c={c} />
      </div>
    </>
  )
}
