// Run a training job from this tab: the job form, then the job's rounds, accuracy and volunteers live.
import { useStack } from '../stack-context.ts'
import { useCoordinator } from '../hooks/useCoordinator.ts'
import { useDatasetChoices } from '../hooks/useDatasetChoices.ts'
import { DatasetOffersPanel } from './DatasetOffersPanel.tsx'
import { replicationTarget } from '../../training/availability.ts'
import { JobForm } from './research/JobForm.tsx'
import { ScrollRegion } from './ScrollRegion.tsx'
import { reasonOf } from '../verdict-messages.ts'
import { useFunder } from '../wallet/useFunder.ts'
import { DeployPanel } from './research/DeployPanel.tsx'
import { StagedJobPanel } from './research/StagedJobPanel.tsx'

export function CoordinatorPanel() {
  const { swarm, config } = useStack()
  const peer = swarm.status === 'running' ? swarm.peer : null
  const { ui, start, decideDataset, policy, setPolicy, sampleGrid, deploy } = useCoordinator(peer, config.chain)
  const fund = useFunder(config.chain)
  const choices = useDatasetChoices(peer ? peer.swarm.node.peerId.toString() : null)

  if (ui.status === 'failed') return <section className="card error" role="alert"><h2>Training job</h2><p>{ui.error}</p><p>Reload the page to try again; your settings are not lost if the job was saved.</p></section>
  if (ui.status === 'starting') {
    return (
      <section className="card" aria-busy="true">
        <h2>Training job</h2>
        <p data-testid="job-starting">Starting: {ui.step}…</p>
        <progress max={ui.of} value={ui.done} aria-label="Starting the job">{ui.done} of {ui.of}</progress>
      </section>
    )
  }
  if (ui.status === 'idle') {
    return (
      <section className="card" data-testid="coordinator-panel">
        <h2>Create a training job</h2>
        <p>This tab becomes the job's coordinator: it hands out DiLoCo work units, verifies and aggregates the results, and keeps its state in this browser so a reload resumes it.</p>
        {choices.error && <p className="error" role="alert">{choices.error}</p>}
        <JobForm datasets={choices.list} disabled={!peer} onStart={(settings, datasets, own, stages) => void start(settings, datasets.flatMap((d) => choices.saved.get(d.id) ?? []), fund, own, stages)} />
        {config.chain.contracts && (
          <p className="hint" data-testid="funding-note">
            {fund ? 'Starting escrows the reward pool from your connected wallet (one transaction for ETH, approve and create for a token) and gives the job\'s coordinator key gas for its epoch roots. That key stays in this browser and can grant credit from the pool: each root it posts waits out a challenge period in which you, or a vote of credit holders, can veto it on the Audit page\'s evidence.' : 'No wallet is connected (see Ledger): the reward pool will be announced but not escrowed, so nobody can claim it.'}
          </p>
        )}
      </section>
    )
  }
  if (ui.status === 'staged') return <StagedJobPanel job={ui.job} view={ui.view} peers={swarm.status === 'running' ? swarm.snapshot.peers : []} />
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
      <ScrollRegion label="Rounds">
      <table data-testid="rounds" className="peers">
        <caption>Rounds</caption>
        <thead><tr><th scope="col">Round</th><th scope="col">Accepted</th><th scope="col">Rejected</th><th scope="col">Dropped</th><th scope="col">Audited (failed)</th><th scope="col">Loss (start → end of unit)</th><th scope="col">Test accuracy</th></tr></thead>
        <tbody>
          {history.slice(-12).map((r) => (
            <tr key={r.round} data-testid="round-row" data-round={r.round} data-accuracy={r.testAccuracy ?? ''} data-accepted={r.accepted} data-ms={r.closedAtMs - r.startedAtMs}>
              <td>{r.round}</td><td>{r.accepted}</td><td>{r.rejected}</td><td>{r.dropped}</td><td>{r.audits.run} ({r.audits.failed})</td>
              <td>{Number.isFinite(r.meanLossBefore) ? `${r.meanLossBefore.toFixed(3)} → ${r.meanLossAfter.toFixed(3)}` : '—'}</td>
              <td>{r.testAccuracy?.toFixed(4) ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </ScrollRegion>
      <ScrollRegion label="Volunteers of this job">
      <table data-testid="job-peers" className="peers">
        <caption>Volunteers</caption>
        <thead><tr><th scope="col">Peer</th><th scope="col">Accepted</th><th scope="col">Rejected</th><th scope="col">Reputation</th><th scope="col">Status</th></tr></thead>
        <tbody>
          {Object.entries(view.peers).map(([id, p]) => (
            <tr key={id} data-testid="job-peer-row" data-peer-id={id} data-accepted={p.accepted} data-rejected={p.rejected} data-banned={p.banned} data-rejections={history.flatMap((r) => r.rejections.filter((x) => x.peer === id).map((x) => `${x.unitId}:${x.code}:${JSON.stringify(x.params)}`)).join(' ')}>
              <td><code>{id.slice(0, 8)}…{id.slice(-6)}</code></td><td>{p.accepted}</td><td>{p.rejected}</td><td>{p.reputation.toFixed(2)}</td><td>{p.banned ? `excluded: ${reasonOf(p.ban?.code ?? '')}` : 'ok'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </ScrollRegion>
      <DeployPanel view={view} jobId={job.id} deploy={deploy} />
      <DatasetOffersPanel datasets={view.datasets ?? []} classes={ui.job.classes} providers={view.providers ?? {}} replication={replicationTarget(ui.job)} decide={decideDataset} policy={policy} setPolicy={setPolicy} sampleGrid={sampleGrid} />
    </section>
  )
}
