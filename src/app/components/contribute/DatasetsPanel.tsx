// The contributor's saved datasets: their content ids, each job's decision, and the credit earned from
// samples that accepted work consumed (reported by the job's coordinator on gossip).
import type { StoredDataset } from '../../../data/dataset-store.ts'
import type { ContributeState } from '../../hooks/useContribute.ts'
import { Term } from '../../glossary/Term.tsx'

function jobView(c: ContributeState, d: StoredDataset) {
  return c.jobs.flatMap((j) => {
    const reported = j.metrics?.datasets.find((x) => x.id === d.id)
    const recorded = d.offers.find((o) => o.jobId === j.announcement.job.id)
    if (!reported && !recorded) return []
    return [{ job: j, status: reported?.status ?? recorded!.status, reason: reported?.reason ?? recorded!.reason, used: reported?.samplesUsed ?? 0, copies: reported?.copies, replication: reported?.replication }]
  })
}

export function DatasetsPanel({ c }: { c: ContributeState }) {
  return (
    <section className="card wide" data-testid="datasets-panel">
      <h2>Your datasets</h2>
      <p className="hint" data-testid="served-chunks" data-count={c.served}>
        Chunks served to the swarm from this tab: {c.served}
      </p>
      {c.datasets.length === 0 && <p>No saved datasets yet. Import, review and save one above.</p>}
      {c.datasets.map((d) => {
        const m = d.signed.manifest
        const views = jobView(c, d)
        const earned = views.reduce((n, v) => n + v.used, 0)
        const target = c.target
        return (
          <article key={d.id} className="dataset" data-testid="dataset-row" data-dataset-id={d.id} data-status={views.find((v) => v.job === target)?.status ?? 'none'} data-used={earned}>
            <h3>{m.name}</h3>
            <dl className="facts">
              <dt>Samples</dt>
              <dd>{m.samples.toLocaleString()} in {m.chunks.length} chunks</dd>
              <dt>Licence</dt>
              <dd>{m.licence}</dd>
              <dt>Dataset id</dt>
              <dd className="mono" title={d.id}>{d.id.slice(0, 24)}…</dd>
              <dt><Term k="merkleRoot" /></dt>
              <dd className="mono" title={m.merkleRoot}>{m.merkleRoot.slice(0, 18)}…</dd>
              <dt>Credit earned</dt>
              <dd data-testid="dataset-credit">{Math.round(earned).toLocaleString()} samples used by accepted work</dd>
            </dl>
            {views.length > 0 && (
              <ul>
                {views.map((v) => (
                  <li key={v.job.announcement.job.id} data-testid="dataset-job" data-status={v.status}>
                    {v.job.announcement.job.name}: <strong>{v.status}</strong> — {v.reason}
                    {v.status === 'accepted' && <> ({Math.round(v.used).toLocaleString()} samples used)</>}
                    {v.status === 'accepted' && v.copies !== undefined && (
                      <span data-testid="dataset-copies" data-count={v.copies}>
                        {' '}· the swarm holds {v.copies} of {v.replication ?? v.copies} copies, so it keeps serving your data when this tab is closed{v.copies < 2 ? ' (not yet: keep this tab open until a second copy exists)' : ''}
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            )}
            <p>
              {target && (
                <button type="button" disabled={c.busy !== null || !c.fitsTarget(d)} onClick={() => void c.offer(d, target)} data-testid="offer">
                  Offer to “{target.announcement.job.name}”
                </button>
              )}{' '}
              {target && !c.fitsTarget(d) && <span className="hint">Its shape or classes do not match this job.</span>}{' '}
              <button type="button" className="secondary" disabled={c.samples !== null} onClick={() => void c.editSaved(d)} data-testid="edit-dataset">
                Edit as a new version
              </button>{' '}
              <button type="button" className="secondary" onClick={() => void c.deleteSaved(d.id)}>
                Delete
              </button>
            </p>
          </article>
        )
      })}
    </section>
  )
}
