// A staged job this tab coordinates (issue 19): its rounds (steps, loss, each stage group's replicas merged),
// the volunteers waiting for a stage, the stage map, the credit each peer earned per stage, and the audits.
import type { JobSpec } from '../../../training/job.ts'
import type { StagedView } from '../../staged-job.ts'
import type { PeerView } from '../../../p2p/peer-table.ts'
import { ScrollRegion } from '../ScrollRegion.tsx'
import { ShareJob } from './ShareJob.tsx'
import { StageMap } from './StageMap.tsx'
import { si } from '../../si.ts'
import { modelUseLink } from '../../use-link.ts'

const short = (peer: string) => `${peer.slice(0, 8)}…${peer.slice(-6)}`

/** A held-out loss as the job's task reads it: bits per character (or byte) for text, nats otherwise. */
function heldOutText(job: JobSpec, loss: number): string {
  const task = job.task
  if (task?.kind === 'text') return `${(loss / Math.LN2).toFixed(3)} bits per ${task.schema.tokens === 'bytes' ? 'byte' : 'character'}`
  return `loss ${loss.toFixed(3)}`
}

export function StagedJobPanel({ job, view, peers }: { job: JobSpec; view: StagedView; peers: readonly PeerView[] }) {
  const last = view.history.at(-1)
  const first = view.history.find((r) => r.loss !== null)
  const scored = view.history.findLast((r) => r.heldOut !== null)
  return (
    <section className="card wide" data-testid="staged-panel" data-job-id={job.id} data-round={view.round} data-version={view.version} data-finished={view.finished}>
      <h2>{job.name}</h2>
      {view.resumed && <p className="hint" data-testid="resumed">Resumed from this browser's checkpoint.</p>}
      <p>
        Job <code>{job.id}</code>, split into {view.stages} stages · round <strong data-testid="current-round">{view.round}</strong>
        {job.rounds > 0 ? ` of ${job.rounds}` : ''} · model version {view.version} · {view.finished ? 'finished' : <span data-testid="staged-candidates" data-count={view.candidates}>{view.candidates} volunteers ready for a stage</span>}
      </p>
      {!view.finished && view.history.length === 0 && (
        <p className="hint">A round starts once each of the {view.stages} stages has a volunteer: this tab gives each joining volunteer a stage, drives every step's micro-batches through them, and merges each stage group's replicas at the round's end.</p>
      )}
      {view.startHeldOut !== null && (
        <p data-testid="staged-held-out" data-start={view.startHeldOut} data-now={scored?.heldOut ?? view.startHeldOut}>
          On held-out samples: {heldOutText(job, view.startHeldOut)} at the start → <strong>{heldOutText(job, scored?.heldOut ?? view.startHeldOut)}</strong> {scored ? `with version ${scored.version + 1}` : 'before any round'}
        </p>
      )}
      {first && last?.loss !== null && last && <p>Training loss: {first.loss!.toFixed(3)} in round {first.round} → <strong data-testid="staged-loss">{last.loss.toFixed(3)}</strong> in round {last.round}</p>}
      <ScrollRegion label="Rounds">
        <table data-testid="staged-rounds" className="peers">
          <caption>Rounds</caption>
          <thead><tr><th scope="col">Round</th><th scope="col">Steps</th><th scope="col">Training loss</th><th scope="col">Held-out after</th><th scope="col">Replicas merged per stage</th><th scope="col">Peers lost</th></tr></thead>
          <tbody>
            {view.history.slice(-12).map((r) => (
              <tr key={r.round} data-testid="staged-round-row" data-round={r.round} data-steps={r.steps} data-loss={r.loss ?? ''} data-held-out={r.heldOut ?? ''} data-lost={r.lost.length} data-discarded={r.discarded === true}>
                <td>{r.round}</td><td>{r.steps}</td><td>{r.loss?.toFixed(3) ?? '—'}</td><td>{r.heldOut === null ? '—' : heldOutText(job, r.heldOut)}</td><td>{r.discarded ? 'none: an audit failed' : r.merged.map((m) => m.length).join(' · ')}</td><td>{r.lost.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      <StageMap job={job} peers={peers} />
      <ScrollRegion label="Work of this job's volunteers">
        <table data-testid="staged-credit" className="peers">
          <caption>Work credited (FLOPs of the calls each peer answered, per stage); verified: the part an audit of the peer has vouched for, which epochs pay</caption>
          <thead><tr><th scope="col">Peer</th><th scope="col">Total</th><th scope="col">Verified</th>{Array.from({ length: view.stages }, (_, s) => <th key={s} scope="col">Stage {s}</th>)}</tr></thead>
          <tbody>
            {view.credit.map((c) => (
              <tr key={c.peer} data-testid="staged-credit-row" data-peer-id={c.peer} data-flops={c.flops} data-verified={c.verified}>
                <td><code>{short(c.peer)}</code></td><td>{si(c.flops, 'FLOP')}</td><td>{si(c.verified, 'FLOP')}</td>{c.byStage.map((f, s) => <td key={s}>{f > 0 ? si(f, 'FLOP') : '—'}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      <p data-testid="staged-audits" data-run={view.audits.run} data-failed={view.audits.failed}>
        Audits: {view.audits.run} replicas checked by replaying their round here, {view.audits.failed} failed.
        {view.banned.length > 0 && ` Excluded: ${view.banned.map((b) => `${short(b.peer)} (${b.reason})`).join('; ')}.`}
      </p>
      <p>
        <a href={modelUseLink(job.id, view.paramsCid, view.version)} data-testid="staged-use-link">Use version {view.version} of this model</a>: anyone who opens the link runs it
        through the volunteers holding its stages (each serves the version it trains from, and the final one once training is over), or whole in their own tab if it fits.
      </p>
      <ShareJob jobId={job.id} jobName={job.name} />
    </section>
  )
}
