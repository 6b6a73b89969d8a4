import { EmptyState } from '../components/EmptyState.tsx'

export function ContributePage() {
  return (
    <>
      <h1>Contribute data</h1>
      <EmptyState title="No datasets yet">
        <p>Here you will drag in labelled images (one folder per class), CSV or IDX files, review and fix labels, and share the signed dataset with a training job. Credit follows every sample that accepted work used.</p>
      </EmptyState>
    </>
  )
}
