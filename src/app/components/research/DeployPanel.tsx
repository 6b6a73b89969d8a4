// The owner's "deploy this version" control: the deployed version is what the job's use link offers, and its
// deployment is a signed record in the job log naming the round that trained it.
import { useState } from 'react'
import type { CoordinatorState } from '../../../training/coordinator-state.ts'
import { decodeJob } from '../../../training/job.ts'
import { modelUseLink } from '../../use-link.ts'

export function DeployPanel({ view, jobId, deploy }: { view: CoordinatorState; jobId: string; deploy: () => Promise<string | null> }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  // The job as it runs now (governance and deployments change it); the started job until the first change.
  const deployed = view.governedJob === undefined ? undefined : decodeJob(view.governedJob).deployed
  const { version, paramsCid } = view.current
  const onClick = async () => {
    setBusy(true)
    setError(await deploy())
    setBusy(false)
  }
  return (
    <div data-testid="deploy-panel" data-deployed-version={deployed?.version ?? ''}>
      <h3>Deployed model</h3>
      {deployed ? (
        <p data-testid="deployed">
          Version {deployed.version} is deployed (job-log record <code title={deployed.record}>{deployed.record.slice(0, 16)}…</code>):{' '}
          <a href={modelUseLink(jobId, deployed.paramsCid, deployed.version)} data-testid="deployed-link">
            its use page
          </a>
        </p>
      ) : (
        <p className="hint">No version deployed yet. Deploying records the version in the job log with the round that trained it, and the job's dashboard and use link then offer it to everyone.</p>
      )}
      {deployed?.paramsCid !== paramsCid && (
        <p>
          <button type="button" onClick={() => void onClick()} disabled={busy || view.logHead === null} data-testid="deploy">
            Deploy version {version}
          </button>
          {view.logHead === null && <span className="hint"> (possible once the first round has closed)</span>}
        </p>
      )}
      {error && <p className="error" role="alert">Not deployed: {error}</p>}
    </div>
  )
}
