// The live view of a job as the swarm reports it: built only from the coordinator's signed gossip metrics,
// so any tab (a researcher's phone, a colleague's laptop) sees the same dashboard without a server.
import { useState } from 'react'
import { reportsToCsv } from '../../../training/report-csv.ts'
import type { HeardJob } from '../../../roles/job-feed.ts'
import { RoundChart } from './RoundChart.tsx'
import { JobSelect } from '../JobSelect.tsx'
import { RoundTimeline } from './RoundTimeline.tsx'
import { ModelExportPanel } from './ModelExportPanel.tsx'
import { modelUseLink } from '../../use-link.ts'
import { TextSamplePanel } from './TextSamplePanel.tsx'
import { StageMap } from './StageMap.tsx'
import { useStack } from '../../stack-context.ts'
import { ShareJob } from './ShareJob.tsx'
import type { TabPeer } from '../../hooks/useSwarm.ts'
import { formatAmount } from '../../../training/rewards.ts'
import { ScrollRegion } from '../ScrollRegion.tsx'
import { AUDIT_REASON_WORDS, reasonOf } from '../../verdict-messages.ts'
import { AUDIT_REASONS } from '../../../training/audit-draw.ts'
import { Term } from '../../glossary/Term.tsx'
import { jobTask } from '../../../training/job.ts'
import { describeTask } from '../../../data/task.ts'

const gflop = (flops: number) => (flops / 1e9).toFixed(1)
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(2)

function download(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export function JobDashboard({ jobs, peer }: { jobs: HeardJob[]; peer: TabPeer | null }) {
  const [chosen, setChosen] = useState<string | null>(null)
  const { swarm } = useStack()
  const heard = jobs.find((j) => j.announcement.job.id === chosen) ?? jobs[0] ?? null
  if (!heard) {
    return (
      <section className="card wide" data-testid="job-dashboard">
        <h2>Live dashboard</h2>
        <p className="hint">No job heard on the swarm yet. Start one below, or wait for a coordinator's announcement.</p>
      </section>
    )
  }
  const { job } = heard.announcement
  const task = jobTask(job)
  const m = heard.metrics
  const reports = m?.reports ?? []
  const last = reports.at(-1)
  const totals = reports.reduce((t, r) => ({ samples: t.samples + r.samples, flops: t.flops + r.flops, bytes: t.bytes + r.bytesIn, audits: t.audits + r.audits.run, passed: t.passed + r.audits.passed, failed: t.failed + r.audits.failed, rejected: t.rejected + r.rejected, refereeMs: t.refereeMs + r.refereeMs }), { samples: 0, flops: 0, bytes: 0, audits: 0, passed: 0, failed: 0, rejected: 0, refereeMs: 0 })
  const byReason = Object.fromEntries(AUDIT_REASONS.map((reason) => [reason, reports.reduce((k, r) => k + r.audits.byReason[reason], 0)]))
  const bans = new Map<string, number>()
  for (const p of m?.peers ?? []) if (p.bannedFor) bans.set(p.bannedFor, (bans.get(p.bannedFor) ?? 0) + 1)
  const throughput = last && last.closedAtMs > last.startedAtMs ? (last.samples * 1000) / (last.closedAtMs - last.startedAtMs) : null
  return (
    <section className="card wide" data-testid="job-dashboard" data-job-id={job.id} data-round={m?.round ?? ''}>
      <h2>Live dashboard</h2>
      {jobs.length > 1 && <JobSelect label="Job" jobs={jobs} value={job.id} onChange={setChosen} />}
      <p>
        <strong>{job.name}</strong> · <span data-testid="dashboard-task">{describeTask(task)}</span> · {job.model} · <Term k="diloco" /> with <Term k="h" /> = {job.innerSteps} × batch {job.batchSize} · {job.unitsPerRound} <Term k="unit">units</Term> per <Term k="round" /> · <Term k="auditRate" /> {job.auditRate} · <Term k="aggregator" /> {job.aggregator} · <Term k="outerNesterov" /> {job.outerMomentum}
        {heard.announcement.head.finished ? ' · finished' : ''}
        {job.fineTune && (
          <span data-testid="dashboard-fine-tune" data-body-scale={job.fineTune.bodyScale}>
            {' '}· started from "{job.fineTune.from.name}" version {job.fineTune.from.version}
            {job.fineTune.bodyScale === 1 ? '' : `, a new head on its body ${job.fineTune.bodyScale === 0 ? '(frozen)' : `(at ${job.fineTune.bodyScale} of the learning rate)`}`}
          </span>
        )}
        {job.reward && <> · reward pool {formatAmount(BigInt(job.reward.amount), job.reward.decimals)} {job.reward.symbol} ({job.reward.dataShareBps / 100}% to data)</>}
      </p>
      {!m ? (
        <p className="hint" data-testid="dashboard-waiting">
          {heard.announcement.head.round > 0
            ? `Round ${heard.announcement.head.round} is under way (model version ${heard.announcement.head.version}); the coordinator's figures for it arrive within seconds.`
            : 'The job has just started; the coordinator\'s first figures arrive within seconds.'}
        </p>
      ) : (
        <>
          <dl className="facts">
            <dt>Round</dt>
            <dd>{m.round} (model version {m.version}); of {m.units.total} units {m.units.accepted} accepted, {m.units.verifying} being checked, {m.units.assigned} in progress</dd>
            <dt>This round's data</dt>
            <dd data-testid="round-datasets" data-round={m.round} data-ids={m.roundDatasets.join(' ')}>
              {m.roundDatasets.length === 0 ? 'no contributed dataset this round' : `contributed datasets: ${m.roundDatasets.map((id) => m.datasets.find((d) => d.id === id)?.name ?? `${id.slice(0, 12)}…`).join(', ')}`}
            </dd>
            <dt>{task.kind === 'text' ? `Held-out bits per ${task.schema.tokens === 'bytes' ? 'byte' : 'character'}` : task.kind === 'tabular' && task.target ? 'Held-out predictions within half a standard deviation' : 'Test accuracy'}</dt>
            <dd data-testid="dashboard-accuracy" data-accuracy={last?.testAccuracy ?? ''} data-loss={last?.testLoss ?? ''}>
              {task.kind === 'text'
                ? `${last?.testLoss != null ? (last.testLoss / Math.LN2).toFixed(3) : '—'} now (next token right ${last?.testAccuracy != null ? (100 * last.testAccuracy).toFixed(1) : '—'} % of the time)`
                : `${m.initialAccuracy?.toFixed(4) ?? '—'} at start → ${last?.testAccuracy?.toFixed(4) ?? '—'} now${last?.testLoss != null && Number.isFinite(last.testLoss) ? ` (test loss ${last.testLoss.toFixed(3)})` : ''}`}
            </dd>
            <dt>Swarm throughput</dt>
            <dd data-testid="dashboard-throughput">{throughput === null ? '—' : `${throughput.toFixed(0)} samples/s over the last round`}{m.peers.length > 0 && ` · ${m.peers.filter((p) => !p.banned && p.samplesPerSecond > 0 && m.sentAtMs - p.lastSeenMs < 5 * 60_000).length} active volunteers`}</dd>
            <dt>Work</dt>
            <dd>{totals.samples.toLocaleString()} samples, {gflop(totals.flops)} <Term k="flop" /> <Term k="verified">verified</Term>, {mib(totals.bytes)} MiB of deltas received (last {reports.length} rounds)</dd>
            <dt>Verification</dt>
            <dd data-testid="dashboard-verification" data-audits={totals.audits} data-failed={totals.failed} data-rejected={totals.rejected}>
              {totals.audits} units re-executed by the <Term k="referee" /> ({AUDIT_REASONS.filter((r) => byReason[r]! > 0).map((r) => `${byReason[r]} ${AUDIT_REASON_WORDS[r]}`).join(', ') || 'none yet'}): {totals.passed} passed, {totals.failed} failed · {totals.rejected} results rejected · referee busy {(totals.refereeMs / 1000).toFixed(1)} s
            </dd>
            <dt>Excluded</dt>
            <dd data-testid="dashboard-bans">{bans.size === 0 ? 'nobody' : [...bans].map(([code, count]) => `${count} ${count === 1 ? 'peer' : 'peers'} ${reasonOf(code)}`).join('; ')}</dd>
          </dl>
          <RoundChart reports={reports} />
          <RoundTimeline reports={reports} />
          <p>
            <button type="button" onClick={() => download(`${job.id}-metrics.csv`, reportsToCsv(reports), 'text/csv')} data-testid="export-csv">
              Download metrics (CSV)
            </button>
          </p>
          <ScrollRegion label="Volunteers">
            <table data-testid="dashboard-peers" className="peers">
              <caption>Volunteers as the coordinator reports them (backend and speed are each peer's own report)</caption>
              <thead>
                <tr><th scope="col">Peer</th><th scope="col">Backend</th><th scope="col">Samples/s</th><th scope="col">Accepted</th><th scope="col">Rejected</th><th scope="col">Audits passed / failed</th><th scope="col">Reputation</th><th scope="col">Verified GFLOP</th><th scope="col">Pending GFLOP</th><th scope="col">Status</th></tr>
              </thead>
              <tbody>
                {m.peers.map((p) => (
                  <tr key={p.peer} data-testid="dashboard-peer" data-peer-id={p.peer} data-backend={p.backend} data-banned={p.banned} data-banned-for={p.bannedFor ?? ''} data-credit={p.flops + p.pendingFlops}>
                    <td><code title={p.peer}>{p.peer.slice(0, 8)}…{p.peer.slice(-6)}</code></td><td>{p.backend}</td><td>{p.samplesPerSecond > 0 ? p.samplesPerSecond.toFixed(0) : '—'}</td>
                    <td>{p.accepted}</td><td>{p.rejected}</td><td>{p.auditsPassed} / {p.auditsFailed}</td><td>{p.reputation.toFixed(2)}</td><td>{gflop(p.flops)}</td><td>{gflop(p.pendingFlops)}</td>
                    <td>{p.banned ? `excluded: ${reasonOf(p.bannedFor ?? '')}${p.forfeitedFlops > 0 ? ` (${gflop(p.forfeitedFlops)} GFLOP forfeited)` : ''}` : 'ok'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        </>
      )}
      <p>
        <a href={modelUseLink(job.id, heard.announcement.head.paramsCid, heard.announcement.head.version)} data-testid="use-link">
          Use version {heard.announcement.head.version} in any browser
        </a>{' '}
        <span className="hint">a page that runs this version on your own input; share its link (it names the job and the version's parameters).</span>
      </p>
      {job.deployed && (
        <p data-testid="dashboard-deployed" data-version={job.deployed.version}>
          The owner deployed version {job.deployed.version}:{' '}
          <a href={modelUseLink(job.id, job.deployed.paramsCid, job.deployed.version)} data-testid="deployed-use-link">
            use the deployed model
          </a>{' '}
          <span className="hint">(recorded in the job log, record <code title={job.deployed.record}>{job.deployed.record.slice(0, 16)}…</code>)</span>
        </p>
      )}
      {task.kind === 'text' && <TextSamplePanel peer={peer} announcement={heard.announcement} />}
      <StageMap job={job} peers={swarm.status === 'running' ? swarm.snapshot.peers : []} />
      <ModelExportPanel peer={peer} announcement={heard.announcement} />
      <ShareJob jobId={job.id} jobName={job.name} />
    </section>
  )
}
