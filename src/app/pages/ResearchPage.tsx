import { EmptyState } from '../components/EmptyState.tsx'
import { LocalTrainingPanel } from '../components/LocalTrainingPanel.tsx'

export function ResearchPage() {
  return (
    <>
      <h1>Research</h1>
      <div className="grid">
        <LocalTrainingPanel />
        <EmptyState title="No training jobs yet">
          <p>Here you will create a training job (model, data, hyper-parameters, reward pool) and watch loss, accuracy, peers, throughput and verification live, then export the trained model as ONNX.</p>
        </EmptyState>
      </div>
    </>
  )
}
