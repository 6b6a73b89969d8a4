// One button to donate, then what the donation is doing: job, phase, live speed, units, verified credit and
// earnings as the chain states them, with a usage slider, pause and "pause while hidden". A share link pins the job.
import { Link, useSearchParams } from 'react-router'
import { formatAmount } from '../../training/rewards.ts'
import { useStack } from '../stack-context.ts'
import { useDonation } from '../donation-context.ts'
import { useJobFeed } from '../hooks/useJobFeed.ts'
import { useJobRewards } from '../hooks/useJobRewards.ts'
import { storedBinding } from '../wallet/stored-binding.ts'
import { EarningsFacts, EscrowStatus, NextEpoch } from './ledger/EarningsFacts.tsx'
import { verdictMessage } from '../verdict-messages.ts'
import { Term } from '../glossary/Term.tsx'

const gflop = (flops: number) => (flops / 1e9).toFixed(2)

const PHASE_HELP: Partial<Record<string, string>> = {
  'looking for a job': 'Waiting to hear a job announcement on the swarm. Keep the tab open; a researcher has to start a job first.',
  error: 'The last unit failed; the tab retries by itself. If it keeps failing, reload the page.',
}

export function VolunteerPanel() {
  const { swarm, device, config } = useStack()
  const peer = swarm.status === 'running' ? swarm.peer : null
  const choice = device.status === 'ready' ? device.choice : null
  const unable = device.status === 'failed' ? `This device cannot donate: ${device.error}` : swarm.status === 'failed' ? `Cannot donate: ${swarm.error}` : null
  const [search] = useSearchParams()
  const invited = search.get('job')
  const v = useDonation()
  const jobs = useJobFeed(peer)
  const pauseWhenHidden = v.prefs.pauseWhenHidden

  const s = v.status
  const selfId = peer?.swarm.node.peerId.toString() ?? ''
  // A tab that stopped (or came back to this page) still shows the job it last worked for, and its earnings.
  const heard = jobs.find((j) => j.announcement.job.id === (s?.job?.id ?? invited ?? v.prefs.lastJob)) ?? null
  const invitedJob = invited ? jobs.find((j) => j.announcement.job.id === invited) ?? null : null
  const mine = heard?.metrics?.peers.find((p) => p.peer === selfId) ?? null
  // Earnings are what the chain says for the wallet this tab is bound to (the same figures as the Ledger page),
  // never an estimate from the announced pool.
  const jobId = heard?.announcement.job.id
  const bound = peer && jobId ? storedBinding(peer.slot, jobId) : null
  const rewards = useJobRewards(config.chain, peer, heard, bound ? (bound.wallet as `0x${string}`) : undefined)
  const innerSteps = heard?.announcement.job.innerSteps ?? null

  return (
    <section className="card wide" data-testid="volunteer-panel">
      <h2>Your contribution</h2>
      {invited && (
        <p data-testid="invited-job">
          You were invited to {invitedJob ? <strong>{invitedJob.announcement.job.name}</strong> : <>job <code>{invited}</code></>}
          {invitedJob ? '.' : ' — not heard on the swarm yet; it appears once its coordinator is online.'}
        </p>
      )}
      {!v.running ? (
        <>
          <p>Join the {invited ? 'invited' : 'current'} training job: your tab runs work units and is credited for every one the coordinator verifies.</p>
          {/* Pressing before the device check and the swarm are ready is fine: the donation starts when they are. */}
          <button type="button" onClick={v.start} disabled={unable !== null} data-testid="donate">
            Donate compute
          </button>
          {unable !== null ? <p className="hint" role="alert">{unable}</p> : (!peer || !choice) && <p className="hint">The device check and the swarm are starting; donating begins as soon as they are ready.</p>}
        </>
      ) : (
        <>
          {v.resumed && <p className="hint" data-testid="donation-resumed">Donating again after the reload, as you left it.</p>}
          {unable !== null && <p className="hint" role="alert">{unable}</p>}
          <p className="hint">Donation goes on while you look at other pages; stop it here or close the tab.</p>
          <div className="toolbar">
            <button type="button" onClick={() => v.setPaused(!v.paused)} data-testid="pause" aria-pressed={v.paused}>{v.paused ? 'Resume' : 'Pause'}</button>
            <button type="button" className="secondary" onClick={v.stop} data-testid="stop">Stop donating</button>
            <label>
              <input type="checkbox" checked={pauseWhenHidden} onChange={(e) => v.setPauseWhenHidden(e.target.checked)} /> Pause while this tab is hidden
            </label>
          </div>
        </>
      )}
      <div className="form-row">
        <label htmlFor="usage">Device usage</label>
        <input id="usage" type="range" min={10} max={100} step={10} value={Math.round(v.prefs.usage * 100)} onChange={(e) => v.setUsage(Number(e.target.value) / 100)} aria-valuetext={`${Math.round(v.prefs.usage * 100)} percent`} data-testid="usage" />
        <output htmlFor="usage">{Math.round(v.prefs.usage * 100)}%</output>
        <span className="hint">The worker rests between steps so it is busy at most this share of the time.</span>
      </div>
      {v.running && (
        <dl className="facts">
          <dt>Job</dt>
          <dd data-testid="volunteer-job">{s?.job ? `${s.job.name} (${s.job.model})` : 'looking for a job…'}</dd>
          {v.stages.length > 0 && (
            <>
              <dt>Stage</dt>
              <dd data-testid="stage-held" data-stage={v.stages[0]!.stage} data-version={v.stages[0]!.version} data-credit={v.stageCredit ?? ''}>
                {v.stages.map((h) => `stage ${h.stage} of job "${h.jobId}", training from version ${h.version}`).join('; ')}
                {v.stageCredit !== null && `; verified work so far: ${gflop(v.stageCredit)} GFLOP`}
                <span className="hint"> This tab holds only its stage's layers; the job's coordinator sends it micro-batches, and its replica is averaged with its stage group's at the end of every round.</span>
              </dd>
            </>
          )}
          <dt>Now</dt>
          <dd data-testid="volunteer-phase" data-phase={s?.phase ?? ''}>
            {s ? `${s.phase}${s.detail ? `: ${s.detail}` : ''}${s.lastVerdict ? ` — ${verdictMessage(s.lastVerdict)}` : ''}` : !peer ? 'starting: joining the swarm…' : !choice ? 'starting: checking this device…' : 'starting…'}
            {s && PHASE_HELP[s.phase] && <span className="hint"> {PHASE_HELP[s.phase]}</span>}
            {s?.phase === 'downloading' && s.download && (
              <>
                {' '}<progress max={s.download.of} value={s.download.done} aria-label="Downloading the unit's parameters and data" /> {(s.download.done / 2 ** 20).toFixed(1)} of ~{(s.download.of / 2 ** 20).toFixed(1)} MiB
              </>
            )}
            {s?.phase === 'training' && v.live && innerSteps && (
              <>
                {' '}<progress max={innerSteps} value={Math.min(v.live.step, innerSteps)} aria-label="Steps of the current unit" />
              </>
            )}
          </dd>
          <dt>Backend</dt>
          <dd>{s?.backend ?? choice?.backend ?? '—'}</dd>
          <dt>Speed</dt>
          <dd data-testid="live-speed">{v.live && s?.phase === 'training' ? `${v.live.samplesPerSecond.toFixed(0)} samples/s now, loss ${v.live.loss.toFixed(3)}` : s && s.lastSamplesPerSecond > 0 ? `${s.lastSamplesPerSecond.toFixed(0)} samples/s in the last unit` : '—'}</dd>
          <dt><Term k="unit">Units</Term> delivered</dt>
          <dd data-testid="units-submitted">{s?.unitsSubmitted ?? 0}{s && s.unitsRefused > 0 ? ` (${s.unitsRefused} refused)` : ''}</dd>
          <dt><Term k="verified">Verified</Term></dt>
          <dd data-testid="units-verified" data-accepted={s?.verdict?.accepted ?? 0} data-rejected={s?.verdict?.rejected ?? 0}>
            {s?.verdict ? <>{s.verdict.accepted} accepted, {s.verdict.rejected} rejected · <Term k="reputation" /> {s.verdict.reputation.toFixed(2)}</> : 'no verdicts yet'}
          </dd>
          <dt>Contributed data</dt>
          <dd data-testid="contributed-chunks" data-count={s?.contributedChunks ?? 0}>{s?.contributedChunks ? `${s.contributedChunks} chunks from contributors' tabs trained on` : 'none yet'}</dd>
          <dt>Traffic</dt>
          <dd>{s ? `${(s.bytesDown / 1024).toFixed(0)} KiB down, ${(s.bytesUp / 1024).toFixed(0)} KiB up` : '—'}</dd>
        </dl>
      )}
      <dl className="facts">
        <dt>Credit</dt>
        <dd data-testid="credit" data-flops={mine?.flops ?? 0}>
          {mine ? `${gflop(mine.flops)} GFLOP verified by the coordinator's audits, ${gflop(mine.pendingFlops)} GFLOP waiting for the next audit (${mine.accepted} units accepted)` : 'none yet in this job'}
        </dd>
        {heard && config.chain.contracts && (
          <>
            <dt>Pool</dt>
            <EscrowStatus r={rewards} chainName={config.chain.name} />
            <NextEpoch heard={heard} />
            {bound ? (
              <>
                <dt>Paid to</dt>
                <dd className="mono" data-testid="earnings-wallet">{bound.wallet}</dd>
                <EarningsFacts r={rewards} />
              </>
            ) : (
              <>
                <dt>Earnings</dt>
                <dd data-testid="earnings">
                  {rewards.peerEarned && rewards.peerEarned.waiting > 0n ? `${formatAmount(rewards.peerEarned.waiting, rewards.token.decimals)} ${rewards.token.symbol} in posted roots waits for a wallet: ` : 'Not bound to a wallet: '}
                  bind this tab on the <Link to="/ledger">Ledger</Link> page to be paid.
                </dd>
              </>
            )}
          </>
        )}
      </dl>
      <p className="hint">Credit is kept by the job's coordinator under this browser's peer key, so closing or reloading the tab loses nothing.</p>
    </section>
  )
}
