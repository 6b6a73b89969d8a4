// A staged job's stage map (issue 19): each stage's layers, parameters and the tab memory it needs, and the
// peers this tab hears serving it (their presence lists the stages they serve).
import { useMemo } from 'react'
import type { JobSpec } from '../../../training/job.ts'
import { jobStagePlan } from '../../../training/job-stages.ts'
import { errorMessage } from '../../../errors.ts'
import type { PeerView } from '../../../p2p/peer-table.ts'

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
const count = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n))

export function StageMap({ job, peers }: { job: JobSpec; peers: readonly PeerView[] }) {
  const plan = useMemo(() => {
    try {
      return { ok: true as const, plan: jobStagePlan(job)! }
    } catch (error) {
      return { ok: false as const, error: errorMessage(error) }
    }
  }, [job])
  if (!job.stages) return null
  if (!plan.ok) return <section className="card" data-testid="stage-map"><h3>Stage map</h3><p className="error" role="alert">{plan.error}</p></section>
  const serving = (stage: number) => peers.filter((p) => p.stages.some((o) => o.job === job.id && o.stage === stage)).length
  return (
    <section className="card" data-testid="stage-map" data-stages={plan.plan.stages.length}>
      <h3>Stage map</h3>
      <p className="hint">The model is split into {plan.plan.stages.length} stages, each small enough for a tab of {mib(job.stages.budgetBytes)} ({job.stages.microBatch} samples at a time). Any peer of a stage can run any micro-batch or request of it.</p>
      <table>
        <thead><tr><th>Stage</th><th>Layers</th><th>Parameters</th><th>Tab memory</th><th>Peers serving</th></tr></thead>
        <tbody>
          {plan.plan.stages.map((s) => (
            <tr key={s.index} data-testid="stage-row" data-stage={s.index} data-peers={serving(s.index)}>
              <td>{s.index}</td>
              <td>{s.from}–{s.to - 1}</td>
              <td>{count(s.parameters)}</td>
              <td>{mib(s.bytes)}</td>
              <td>{serving(s.index)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
