// One button to donate, then what the donation is doing: job, phase, throughput, units and verified credit.
import { useEffect, useState } from 'react'
import { useStack } from '../stack-context.ts'
import { useVolunteer } from '../hooks/useVolunteer.ts'
import { usePageVisible } from '../hooks/usePageVisible.ts'

const gflop = (flops: number) => (flops / 1e9).toFixed(2)

export function VolunteerPanel() {
  const { swarm, device } = useStack()
  const peer = swarm.status === 'running' ? swarm.peer : null
  const choice = device.status === 'ready' ? device.choice : null
  const v = useVolunteer(peer, choice)
  const visible = usePageVisible()
  const [pauseWhenHidden, setPauseWhenHidden] = useState(false)
  useEffect(() => {
    if (pauseWhenHidden && v.running) v.setPaused(!visible)
  }, [visible, pauseWhenHidden, v])
  const s = v.status
  return (
    <section className="card" data-testid="volunteer-panel">
      <h2>Your contribution</h2>
      {!v.running ? (
        <>
          <p>Join the current training job: your tab runs work units and is credited for every one the coordinator verifies.</p>
          <button type="button" onClick={v.start} disabled={!peer || !choice} data-testid="donate">
            Donate compute
          </button>
          {(!peer || !choice) && <p className="hint">Waiting for the device check and the swarm to be ready…</p>}
        </>
      ) : (
        <>
          <p>
            <button type="button" onClick={() => v.setPaused(!v.paused)} data-testid="pause">{v.paused ? 'Resume' : 'Pause'}</button>{' '}
            <button type="button" onClick={v.stop} data-testid="stop">Stop</button>{' '}
            <label>
              <input type="checkbox" checked={pauseWhenHidden} onChange={(e) => setPauseWhenHidden(e.target.checked)} /> Pause while this tab is hidden
            </label>
          </p>
          <dl className="facts">
            <dt>Job</dt>
            <dd data-testid="volunteer-job">{s?.job ? `${s.job.name} (${s.job.model})` : 'looking for a job…'}</dd>
            <dt>Now</dt>
            <dd data-testid="volunteer-phase" data-phase={s?.phase ?? ''}>{s ? `${s.phase}${s.detail ? `: ${s.detail}` : ''}` : 'starting…'}</dd>
            <dt>Backend</dt>
            <dd>{s?.backend ?? choice?.backend ?? '—'}</dd>
            <dt>Last unit</dt>
            <dd>{s && s.lastSamplesPerSecond > 0 ? `${s.lastSamplesPerSecond.toFixed(0)} samples/s, loss ${s.lastLoss?.toFixed(3)}` : '—'}</dd>
            <dt>Units delivered</dt>
            <dd data-testid="units-submitted">{s?.unitsSubmitted ?? 0}{s && s.unitsRefused > 0 ? ` (${s.unitsRefused} refused)` : ''}</dd>
            <dt>Verified</dt>
            <dd data-testid="units-verified" data-accepted={s?.verdict?.accepted ?? 0} data-rejected={s?.verdict?.rejected ?? 0}>
              {s?.verdict ? `${s.verdict.accepted} accepted, ${s.verdict.rejected} rejected · reputation ${s.verdict.reputation.toFixed(2)}` : 'no verdicts yet'}
            </dd>
            <dt>Credit</dt>
            <dd data-testid="credit">{s?.verdict ? `${gflop(s.verdict.flops)} GFLOP verified` : '—'}</dd>
            <dt>Contributed data</dt>
            <dd data-testid="contributed-chunks" data-count={s?.contributedChunks ?? 0}>{s?.contributedChunks ? `${s.contributedChunks} chunks from contributors' tabs trained on` : 'none yet'}</dd>
            <dt>Traffic</dt>
            <dd>{s ? `${(s.bytesDown / 1024).toFixed(0)} KiB down, ${(s.bytesUp / 1024).toFixed(0)} KiB up` : '—'}</dd>
          </dl>
        </>
      )}
    </section>
  )
}
