// Try a model in this tab before launching a job: live loss and throughput, a GPU-usage limit, pause/resume.
import { useId, useState } from 'react'
import { useStack } from '../stack-context.ts'
import { useLocalTraining, type LocalTrainingRequest } from '../hooks/useLocalTraining.ts'

export function LocalTrainingPanel() {
  const { device } = useStack()
  const [request, setRequest] = useState<LocalTrainingRequest>({ model: 'cnn', steps: 200, batchSize: 32, lr: 0.002 })
  const [usage, setUsage] = useState(100)
  const [paused, setPaused] = useState(false)
  const [pauseWhenHidden, setPauseWhenHidden] = useState(true)
  const { state, start, stop, hiddenPause } = useLocalTraining(device.status === 'ready' ? device.choice : null, usage / 100, paused, pauseWhenHidden)
  const ids = { model: useId(), steps: useId(), usage: useId(), hidden: useId() }
  const busy = state.status === 'preparing' || state.status === 'running'
  const status = paused ? 'paused' : hiddenPause ? 'paused (tab hidden)' : state.status
  const recent = state.losses.slice(-10)
  const recentLoss = recent.length > 0 ? recent.reduce((a, b) => a + b, 0) / recent.length : null
  return (
    <section className="card" data-testid="local-training">
      <h2>Try a model in this tab</h2>
      <p>Trains on the Fashion-MNIST sample shipped with the app, with the same compiled training graph volunteers run.</p>
      <div className="form-row">
        <label htmlFor={ids.model}>Model</label>
        <select id={ids.model} value={request.model} disabled={busy} onChange={(e) => setRequest({ ...request, model: e.target.value as 'mlp' | 'cnn' })}>
          <option value="cnn">CNN (2 conv + 2 dense, 207k parameters)</option>
          <option value="mlp">MLP (256-128, 235k parameters)</option>
        </select>
        <label htmlFor={ids.steps}>Steps</label>
        <input id={ids.steps} type="number" min={10} max={5000} step={10} value={request.steps} disabled={busy} onChange={(e) => setRequest({ ...request, steps: Math.max(10, Math.min(5000, Number(e.target.value) || 10)) })} />
      </div>
      <div className="form-row">
        <label htmlFor={ids.usage}>Compute usage: {usage}%</label>
        <input id={ids.usage} type="range" min={10} max={100} step={5} value={usage} onChange={(e) => setUsage(Number(e.target.value))} />
        <input id={ids.hidden} type="checkbox" checked={pauseWhenHidden} onChange={(e) => setPauseWhenHidden(e.target.checked)} />
        <label htmlFor={ids.hidden}>Pause when this tab is hidden</label>
      </div>
      <div className="form-row">
        <button type="button" onClick={() => start(request)} disabled={busy || device.status !== 'ready'}>Start training</button>
        <button type="button" onClick={() => setPaused(!paused)} disabled={!busy}>{paused ? 'Resume' : 'Pause'}</button>
        <button type="button" onClick={stop} disabled={!busy}>Stop</button>
      </div>
      <dl className="facts" aria-live="polite">
        <dt>Status</dt>
        <dd data-testid="training-status" data-status={state.status} data-paused={String(paused || hiddenPause)}>{status}{state.notice !== null && ` — ${state.notice}`}</dd>
        <dt>Step</dt>
        <dd data-testid="training-step" data-step={state.step}>{state.step} / {state.totalSteps}</dd>
        <dt>Loss (last 10 steps)</dt>
        <dd data-testid="training-loss" data-first-loss={state.losses[0] ?? ''} data-recent-loss={recentLoss ?? ''}>{recentLoss?.toFixed(4) ?? '—'}</dd>
        <dt>Batch accuracy</dt>
        <dd>{state.accuracy === null ? '—' : `${(state.accuracy * 100).toFixed(0)}%`}</dd>
        <dt>Engine setting</dt>
        <dd data-testid="training-engine" data-threads={state.engine?.wasmThreads ?? ''} data-micro-batch={state.engine?.microBatch ?? ''} data-remembered={state.engine === null ? '' : String(state.engine.remembered)}>
          {state.engine === null ? '—' : `${state.engine.wasmThreads} wasm thread${state.engine.wasmThreads === 1 ? '' : 's'}, ${state.engine.microBatch} rows per run (${state.engine.remembered ? 'remembered from an earlier measurement on this device' : 'measured on this device just now'})`}
        </dd>
        <dt>Throughput</dt>
        <dd data-testid="training-throughput">{state.samplesPerSecond === null ? '—' : `${state.samplesPerSecond.toFixed(0)} samples/s · ${state.gflopsPerSecond!.toFixed(2)} GFLOP/s on ${state.backend}`}</dd>
      </dl>
      {state.error !== null && <p className="error" role="alert">Training failed: {state.error}</p>}
    </section>
  )
}
