// Anyone's page for a trained model: opened by a link naming the job and the version's parameter CID, it
// runs that version in this browser on this person's own input (a picture, a table row, a prompt) and shows
// the class probabilities, the value, or the text it writes.
import { useState, type FormEvent } from 'react'
import { useSearchParams } from 'react-router'
import { useStack } from '../stack-context.ts'
import { useModelUse } from '../hooks/useModelUse.ts'
import { jobTask } from '../../training/job.ts'
import { describeTask, type TaskSpec } from '../../data/task.ts'
import { pictureBlock, rowBlock, type Prediction } from '../../data/task-input.ts'
import { errorMessage } from '../../errors.ts'
import { Field } from '../components/Field.tsx'
import { decodePicture } from '../decode-picture.ts'
import { loadTabMemoryMiB, parseTabMemoryMiB, saveTabMemoryMiB, TAB_MEMORY_MIB } from '../tab-memory.ts'
import type { StagedModel } from '../../roles/staged-model.ts'
import type { Route } from '../hooks/useModelUse.ts'

function PredictionView({ prediction }: { prediction: Prediction }) {
  if (prediction.kind === 'value') return <p data-testid="use-result" data-value={prediction.value}>Predicted {prediction.label}: <strong>{prediction.value.toPrecision(4)}</strong></p>
  return (
    <ol data-testid="use-result" data-top={prediction.classes[0]!.name} data-probabilities={JSON.stringify(Object.fromEntries(prediction.classes.map((c) => [c.name, c.probability])))}>
      {prediction.classes.slice(0, 5).map((c) => <li key={c.name}>{c.name}: {(100 * c.probability).toFixed(1)} %</li>)}
    </ol>
  )
}

function Inputs({ task, predict, write }: { task: TaskSpec; predict: ReturnType<typeof useModelUse>['predict']; write: ReturnType<typeof useModelUse>['write'] }) {
  const [typed, setTyped] = useState<Record<string, string>>({})
  const [prompt, setPrompt] = useState('')
  const [temperature, setTemperature] = useState('0.8')
  const [result, setResult] = useState<Prediction | null>(null)
  const [text, setText] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const run = async (work: () => Promise<void>) => {
    setBusy(true)
    setError(null)
    try {
      await work()
    } catch (e) {
      setError(errorMessage(e))
    } finally {
      setBusy(false)
    }
  }
  if (task.kind === 'image') {
    return (
      <>
        <Field id="use-picture" label="Your picture" hint={`fitted to ${task.height}×${task.width} (${task.fit})`}>
          {(a11y) => <input {...a11y} type="file" accept="image/*" disabled={busy} data-testid="use-picture" onChange={(e) => { const file = e.target.files?.[0]; if (file) void run(async () => setResult(await predict(pictureBlock(task, await decodePicture(file))))) }} />}
        </Field>
        {error && <p className="error" role="alert">{error}</p>}
        {result && <PredictionView prediction={result} />}
      </>
    )
  }
  if (task.kind === 'tabular') {
    const submit = (e: FormEvent) => {
      e.preventDefault()
      void run(async () => setResult(await predict(rowBlock(task, typed))))
    }
    return (
      <form onSubmit={submit} aria-label="Your row">
        <div className="field-grid">
          {task.schema.features.map((f, i) => (
            <Field key={f.name} id={`use-feature-${i}`} label={f.name} hint={f.kind === 'categorical' ? f.categories.slice(0, 6).join(', ') : 'a number; empty if unknown'}>
              {(a11y) => f.kind === 'categorical'
                ? <select {...a11y} value={typed[f.name] ?? ''} onChange={(e) => setTyped({ ...typed, [f.name]: e.target.value })}><option value="">(unknown)</option>{f.categories.map((c) => <option key={c} value={c}>{c}</option>)}</select>
                : <input {...a11y} type="text" inputMode="decimal" value={typed[f.name] ?? ''} onChange={(e) => setTyped({ ...typed, [f.name]: e.target.value })} />}
            </Field>
          ))}
        </div>
        <button type="submit" disabled={busy} data-testid="use-predict">Predict {task.schema.label}</button>
        {error && <p className="error" role="alert">{error}</p>}
        {result && <PredictionView prediction={result} />}
      </form>
    )
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const t = Number(temperature)
    if (!(temperature.trim() !== '' && t >= 0 && t <= 2)) return setError('The temperature is a number from 0 (always the most likely character) to 2.')
    void run(async () => setText(await write(prompt, 200, t)))
  }
  return (
    <form onSubmit={submit} aria-label="Your prompt">
      <Field id="use-prompt" label="Your prompt" hint={`the model reads the last ${task.schema.context} ${task.schema.tokens === 'bytes' ? 'bytes' : 'characters'}`}>
        {(a11y) => <textarea {...a11y} rows={3} value={prompt} onChange={(e) => setPrompt(e.target.value)} data-testid="use-prompt" />}
      </Field>
      <Field id="use-temperature" label="Temperature" hint="0 always takes the most likely character; higher is more surprising (up to 2)">
        {(a11y) => <input {...a11y} type="text" inputMode="decimal" value={temperature} onChange={(e) => setTemperature(e.target.value)} data-testid="use-temperature" />}
      </Field>
      <button type="submit" disabled={busy} data-testid="use-write">Write</button>
      {error && <p className="error" role="alert">{error}</p>}
      {text !== null && <blockquote className="text-sample" data-testid="use-result"><span className="hint">{prompt}</span><strong>{text}</strong></blockquote>}
    </form>
  )
}

const mib = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)} MiB`

/** The tab's memory limit, as the visitor sets it (kept across reloads). */
function MemoryLimit({ value, onChange }: { value: number; onChange: (mib: number) => void }) {
  const [text, setText] = useState(String(value))
  const parsed = parseTabMemoryMiB(text)
  return (
    <Field id="use-memory" label="Memory this tab may use (MiB)" hint={parsed === null ? `a whole number from ${TAB_MEMORY_MIB.min} to ${TAB_MEMORY_MIB.max}` : 'a model that needs more runs on the job\'s stage peers'}>
      {(a11y) => <input {...a11y} type="text" inputMode="numeric" value={text} data-testid="use-memory" aria-invalid={parsed === null} onChange={(e) => setText(e.target.value)} onBlur={() => parsed !== null && parsed !== value && onChange(parsed)} onKeyDown={(e) => e.key === 'Enter' && parsed !== null && parsed !== value && onChange(parsed)} />}
    </Field>
  )
}

/** Where a staged model runs: its stages, the peers this tab hears for each, and who answered last. */
function StagedNote({ staged, needBytes, memoryBytes, route }: { staged: StagedModel; needBytes: number; memoryBytes: number; route: Route }) {
  const { swarm } = useStack()
  // Re-read on every swarm snapshot: peers come and go.
  void (swarm.status === 'running' && swarm.snapshot)
  const coverage = staged.coverage()
  return (
    <div data-testid="use-staged" data-vouched={staged.vouched()} data-coverage={coverage.join(',')} data-route={route?.route.join(',') ?? ''} data-checked={route?.checkedStages.join(',') ?? ''}>
      <p>This model needs about {mib(needBytes)} to run, more than the {mib(memoryBytes)} this tab may use, so it runs on the job's <strong>stage peers</strong>: {staged.stages} peers in turn, each holding a part of the model. <strong>What you enter is sent to them</strong>; its parameters never come here.</p>
      <p className="hint">Peers serving each stage now: {coverage.map((n, s) => `stage ${s}: ${n}`).join(' · ')}{coverage.some((n) => n === 0) ? ' (waiting for a peer of every stage)' : ''}.{staged.vouched() ? ' Only the volunteers the job\'s coordinator asked to serve this version (and has not caught cheating) are used.' : ''}</p>
      <p className="hint">Where a stage has two peers, answers are also run through the other one and must agree (every prediction; the first character written and about one in four after it), so one peer answering wrongly is caught.</p>
      {route && <p className="hint">Last answer from {route.route.map((p) => p.slice(-8)).join(' → ')}{route.checkedStages.length > 0 ? `; stage${route.checkedStages.length > 1 ? 's' : ''} ${route.checkedStages.join(', ')} checked against a second peer` : '; unchecked (one peer a stage)'}.</p>}
    </div>
  )
}

export function UsePage() {
  const [search] = useSearchParams()
  const { swarm } = useStack()
  const jobId = search.get('job') ?? ''
  const cid = search.get('params') ?? ''
  const [memoryMiB, setMemoryMiB] = useState(loadTabMemoryMiB)
  const memoryBytes = memoryMiB * 2 ** 20
  const version = search.get('version')
  const versionNumber = version !== null && /^\d{1,9}$/.test(version) ? Number(version) : undefined
  const { state, predict, write, route, needBytes } = useModelUse(swarm.status === 'running' ? swarm.peer : null, jobId, cid, memoryBytes, versionNumber)
  if (!jobId || !cid) return <section className="card"><h1>Use a model</h1><p className="error" role="alert">This link names no job or no model version: ask for the link from the job's dashboard (*Use this version*).</p></section>
  return (
    <>
      <h1>Use a model</h1>
      <section className="card" data-testid="use-page" data-status={state.status}>
        {state.status === 'looking' && <p aria-live="polite">Looking for job "{jobId}" on the swarm…</p>}
        {state.status !== 'looking' && state.job && (
          <p>
            <strong>{state.job.name}</strong> · {describeTask(jobTask(state.job))}{version ? ` · version ${version}` : ''} · parameters <code>{cid.slice(0, 16)}…</code>.{state.status === 'staged' ? '' : ' It runs in this browser; nothing you enter leaves it.'}
          </p>
        )}
        <MemoryLimit value={memoryMiB} onChange={(value) => { saveTabMemoryMiB(value); setMemoryMiB(value) }} />
        {state.status === 'loading' && <p aria-live="polite">Fetching the model from the swarm…</p>}
        {state.status === 'failed' && <p className="error" role="alert">{state.error}</p>}
        {state.status === 'staged' && <StagedNote staged={state.staged} needBytes={needBytes} memoryBytes={memoryBytes} route={route} />}
        {(state.status === 'ready' || state.status === 'staged') && <Inputs task={jobTask(state.job)} predict={predict} write={write} />}
      </section>
    </>
  )
}
