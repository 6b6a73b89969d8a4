// Run a training job from this tab: a few settings, then the job's rounds, accuracy and volunteers live.
import { useState, type FormEvent } from 'react'
import { useStack } from '../stack-context.ts'
import { useCoordinator, type JobSettings } from '../hooks/useCoordinator.ts'
import { demoJobSpec } from '../../roles/demo-job.ts'
import { DatasetOffersPanel } from './DatasetOffersPanel.tsx'

const defaults = demoJobSpec({ coordinator: '', train: [], test: [], now: 0 })

function NumberField(props: { label: string; name: keyof JobSettings; value: number; min: number; max: number; step?: number; onChange: (v: number) => void }) {
  return (
    <label>
      {props.label}{' '}
      <input type="number" name={props.name} required min={props.min} max={props.max} step={props.step ?? 1} value={props.value} onChange={(e) => props.onChange(Number(e.target.value))} />
    </label>
  )
}

export function CoordinatorPanel() {
  const { swarm } = useStack()
  const peer = swarm.status === 'running' ? swarm.peer : null
  const { ui, start, decideDataset } = useCoordinator(peer)
  const [settings, setSettings] = useState<JobSettings>({
    model: 'cnn', batchSize: defaults.batchSize, innerSteps: defaults.innerSteps, unitsPerRound: defaults.unitsPerRound,
    redundancy: defaults.redundancy, roundMs: defaults.roundMs, rounds: defaults.rounds, innerLr: defaults.innerLr,
  })
  const set = (key: keyof JobSettings) => (value: number) => setSettings((s) => ({ ...s, [key]: value }))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    void start(settings)
  }

  if (ui.status === 'failed') return <section className="card error" role="alert"><h2>Training job</h2><p>{ui.error}</p><p>Reload the page to try again.</p></section>
  if (ui.status === 'starting') return <section className="card" aria-busy="true"><h2>Training job</h2><p data-testid="job-starting">Starting: {ui.step}…</p></section>
  if (ui.status === 'idle') {
    return (
      <section className="card" data-testid="coordinator-panel">
        <h2>Run the Fashion-MNIST demo job</h2>
        <p>This tab becomes the job's coordinator: it hands out DiLoCo work units, verifies and aggregates the results, and keeps its state in this browser so a reload resumes it.</p>
        <form onSubmit={submit} className="settings">
          <NumberField label="Inner steps per unit (H)" name="innerSteps" value={settings.innerSteps} min={1} max={10000} onChange={set('innerSteps')} />
          <NumberField label="Batch size" name="batchSize" value={settings.batchSize} min={1} max={1024} onChange={set('batchSize')} />
          <NumberField label="Units per round" name="unitsPerRound" value={settings.unitsPerRound} min={1} max={1024} onChange={set('unitsPerRound')} />
          <NumberField label="Redundancy (fraction checked twice)" name="redundancy" value={settings.redundancy} min={0} max={1} step={0.05} onChange={set('redundancy')} />
          <NumberField label="Round deadline (seconds)" name="roundMs" value={settings.roundMs / 1000} min={1} max={86400} onChange={(v) => set('roundMs')(v * 1000)} />
          <NumberField label="Rounds (0 = until stopped)" name="rounds" value={settings.rounds} min={0} max={1000000} onChange={set('rounds')} />
          <button type="submit" disabled={!peer} data-testid="start-job">Start the job</button>
        </form>
      </section>
    )
  }
  const { job, view } = ui
  const history = view.history
  const last = history.at(-1)
  return (
    <section className="card wide" data-testid="coordinator-panel" data-job-id={job.id} data-round={view.current.round} data-finished={view.finished}>
      <h2>{job.name}</h2>
      {ui.resumed && <p className="hint" data-testid="resumed">Resumed from this browser's checkpoint.</p>}
      <p>
        Job <code>{job.id}</code> · round <strong data-testid="current-round">{view.current.round}</strong> · model version {view.current.version} ·{' '}
        {view.finished ? 'finished' : `${view.current.units.length} units, deadline ${new Date(view.current.deadlineMs).toLocaleTimeString()}`}
      </p>
      <p>
        Test accuracy: <span data-testid="initial-accuracy">{view.initialAccuracy?.toFixed(4) ?? '—'}</span> at start →{' '}
        <strong data-testid="latest-accuracy">{last?.testAccuracy?.toFixed(4) ?? '—'}</strong> now
      </p>
      <table data-testid="rounds">
        <caption>Rounds</caption>
        <thead><tr><th scope="col">Round</th><th scope="col">Accepted</th><th scope="col">Rejected</th><th scope="col">Dropped</th><th scope="col">Checked</th><th scope="col">Loss (start → end of unit)</th><th scope="col">Test accuracy</th></tr></thead>
        <tbody>
          {history.slice(-12).map((r) => (
            <tr key={r.round} data-testid="round-row" data-accuracy={r.testAccuracy ?? ''}>
              <td>{r.round}</td><td>{r.accepted}</td><td>{r.rejected}</td><td>{r.dropped}</td><td>{r.verified}</td>
              <td>{Number.isFinite(r.meanLossBefore) ? `${r.meanLossBefore.toFixed(3)} → ${r.meanLossAfter.toFixed(3)}` : '—'}</td>
              <td>{r.testAccuracy?.toFixed(4) ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table data-testid="job-peers">
        <caption>Volunteers</caption>
        <thead><tr><th scope="col">Peer</th><th scope="col">Accepted</th><th scope="col">Rejected</th><th scope="col">Reputation</th><th scope="col">Status</th></tr></thead>
        <tbody>
          {Object.entries(view.peers).map(([id, p]) => (
            <tr key={id} data-testid="job-peer-row" data-peer-id={id} data-accepted={p.accepted} data-rejected={p.rejected} data-banned={p.banned}>
              <td><code>{id.slice(0, 8)}…{id.slice(-6)}</code></td><td>{p.accepted}</td><td>{p.rejected}</td><td>{p.reputation.toFixed(2)}</td><td>{p.banned ? 'excluded' : 'ok'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <DatasetOffersPanel datasets={view.datasets ?? []} decide={decideDataset} />
    </section>
  )
}
