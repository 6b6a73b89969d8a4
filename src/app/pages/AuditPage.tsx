// Auditing a job in the browser: pick a job heard on the swarm, and this tab fetches its job log and epoch trees,
// checks every signature, recomputes every root and compares it with the chain, like `npm run audit`. The
// verdict names the first discrepancy; a doctored leaf is shown with what the log says it should have been.
import { useState } from 'react'
import { useSearchParams } from 'react-router'
import { useStack } from '../stack-context.ts'
import { useJobFeed } from '../hooks/useJobFeed.ts'
import { useAudit } from '../hooks/useAudit.ts'
import { EmptyState } from '../components/EmptyState.tsx'
import { auditVerdict } from '../../roles/audit-text.ts'
import type { EpochStatus } from '../../roles/job-audit.ts'

const STATUS_TEXT: Record<EpochStatus, string> = { ok: 'matches the job log', failed: 'does not match', vetoed: 'vetoed', unchecked: 'not checked' }

export function AuditPage() {
  const { config, swarm } = useStack()
  const peer = swarm.status === 'running' ? swarm.peer : null
  const jobs = useJobFeed(peer).filter((j) => j.announcement.job.reward?.owner)
  const [search] = useSearchParams()
  const [chosen, setChosen] = useState(search.get('job') ?? '')
  const selected = jobs.find((j) => j.announcement.job.id === chosen) ?? jobs[0] ?? null
  const audit = useAudit(config.chain, peer)
  const s = audit.state

  if (!config.chain.contracts) {
    return (
      <EmptyState title="Settlement is not configured">
        <p>{config.chain.name} has no Tesserae contracts configured, so there are no roots to audit.</p>
      </EmptyState>
    )
  }
  return (
    <>
      <h1>Audit</h1>
      <section className="card wide" aria-labelledby="audit-heading">
        <h2 id="audit-heading">Recompute a job's payouts</h2>
        <p className="hint">
          Every epoch root on chain names the job-log record it was computed from. This tab fetches that log from the swarm, checks the coordinator's signature on every record, each volunteer's on its result, each wallet's on its binding and each contributor's on its dataset, recomputes every root and compares it with {config.chain.name}. A root still in its challenge period can be vetoed on this evidence by the job's owner or a governance vote. The same check runs from a terminal: <code>npm run audit -- &lt;job id&gt;</code>.
        </p>
        {jobs.length === 0 ? (
          <p>No escrowed job heard on the swarm yet.</p>
        ) : (
          <div className="toolbar">
            <label htmlFor="audit-job">Job</label>
            <select id="audit-job" value={selected?.announcement.job.id ?? ''} onChange={(e) => setChosen(e.target.value)} data-testid="audit-job">
              {jobs.map((j) => (
                <option key={j.announcement.job.id} value={j.announcement.job.id}>{j.announcement.job.name} ({j.announcement.job.id})</option>
              ))}
            </select>
            <button type="button" onClick={() => selected && void audit.start(selected)} disabled={!selected || !peer || s.status === 'running'} data-testid="run-audit">
              {s.status === 'running' ? 'Auditing…' : 'Audit this job'}
            </button>
          </div>
        )}
        {s.status === 'running' && (
          <ul className="log" aria-live="polite" data-testid="audit-progress">
            {s.progress.map((line, i) => <li key={i}>{line}</li>)}
          </ul>
        )}
        {s.status === 'failed' && <p className="field-error" role="alert" data-testid="audit-error">{s.error}</p>}
        {s.status === 'done' && (
          <>
            <p role="status" className={s.report.ok ? 'ok' : 'warn'} data-testid="audit-verdict" data-ok={String(s.report.ok)}>{auditVerdict(s.report)}</p>
            <p className="hint">
              Checked {s.report.checked.rounds} rounds, {s.report.checked.units} units, {s.report.checked.resultSignatures} result signatures, {s.report.checked.bindings} wallet bindings and {s.report.checked.datasets} dataset manifests; coordinator <code>{s.report.coordinator ?? 'unknown'}</code>.
            </p>
            <div className="table-scroll"><table className="peers" data-testid="audit-epochs">
              <caption>Epoch roots on chain</caption>
              <thead>
                <tr><th scope="col">Epoch</th><th scope="col">Root on chain</th><th scope="col">Recomputed</th><th scope="col">Result</th></tr>
              </thead>
              <tbody>
                {s.report.epochs.map((e) => (
                  <tr key={e.epoch} data-status={e.status}>
                    <td>{e.epoch}</td>
                    <td className="mono">{e.root.slice(0, 14)}…</td>
                    <td className="mono">{e.recomputedRoot ? `${e.recomputedRoot.slice(0, 14)}…` : '—'}</td>
                    <td>{STATUS_TEXT[e.status]}</td>
                  </tr>
                ))}
              </tbody>
            </table></div>
            {s.report.findings.length > 0 && (
              <ol className="findings" data-testid="audit-findings">
                {s.report.findings.map((f, i) => (
                  <li key={i} data-code={f.code} data-wallet={f.wallet ?? ''} data-epoch={f.epoch ?? ''}>
                    <strong>{f.code}</strong>: {f.message}
                  </li>
                ))}
              </ol>
            )}
          </>
        )}
      </section>
    </>
  )
}
