// The "export the model" part of the dashboard: one button, progress while it works, then the ONNX file and
// what that version predicts on held-out samples (the predictions the file reproduces anywhere): pictures with
// their predicted class, table rows with their predicted and true class, or bits per character for text.
import type { JobAnnouncement } from '../../../p2p/job-topics.ts'
import { useModelExport } from '../../hooks/useModelExport.ts'
import type { TabPeer } from '../../hooks/useSwarm.ts'
import { SampleThumb } from '../contribute/SampleThumb.tsx'
import { jobTask } from '../../../training/job.ts'
import { EXPORT_INPUTS } from '../../../graph/export-model.ts'
import type { TaskSpec } from '../../../data/task.ts'
import type { TaskBlock } from '../../../data/task-block.ts'
import type { Evaluation } from '../../../compute/evaluate.ts'
import { modelUseLink } from '../../use-link.ts'

/** What goes into the file and what comes out, in a sentence. */
function fileHint(task: TaskSpec): string {
  if (task.kind === 'image') return `Inference graph with the weights baked in: "${EXPORT_INPUTS.image}" (${task.channels === 3 ? 'RGB' : 'grayscale'}, ${task.height}×${task.width}, values in [0, 1]) goes in, logits and probabilities come out.`
  if (task.kind === 'text') return `Inference graph with the weights baked in: "${EXPORT_INPUTS.text}" (one-hot characters of a window) goes in, the next character's logits and probabilities at every position come out.`
  return `Inference graph with the weights baked in: "${EXPORT_INPUTS.tabular}" (numbers as read, categories one-hot, in the order the file's metadata lists) goes in, ${task.target ? `the predicted "${task.schema.label}"` : 'logits and probabilities'} come${task.target ? 's' : ''} out; the job's feature statistics are part of the graph.`
}

function Scores({ task, block, evaluation, version }: { task: TaskSpec; block: TaskBlock; evaluation: Evaluation; version: number }) {
  const predictions = Array.from(evaluation.predictions)
  const common = { 'data-testid': 'export-predictions', 'data-version': version, 'data-predictions': predictions.join(','), 'data-accuracy': evaluation.accuracy, 'data-loss': evaluation.loss }
  if (task.kind === 'text') return <p {...common}>Version {version} needs {(evaluation.loss / Math.LN2).toFixed(3)} bits per {task.schema.tokens === 'bytes' ? 'byte' : 'character'} on {block.count} held-out windows.</p>
  if (task.kind === 'tabular' && task.target) return <p {...common}>Version {version} predicts {(evaluation.accuracy * 100).toFixed(1)}% of {block.count} held-out rows within half a standard deviation of "{task.schema.label}".</p>
  const names = task.kind === 'image' ? task.classes : task.schema.target.kind === 'classification' ? task.schema.target.classes : []
  const truth = block.y!
  return (
    <>
      <p {...common}>
        Version {version} predicts {predictions.length} held-out {task.kind === 'image' ? 'images' : 'rows'} with accuracy {(evaluation.accuracy * 100).toFixed(1)}%:
      </p>
      {task.kind === 'image' ? (
        <ul className="samples predictions" aria-label="Predictions on held-out images">
          {predictions.slice(0, 24).map((p, i) => (
            <li key={i} className={`sample${p === truth[i] ? '' : ' duplicate'}`}>
              <SampleThumb pixels={block.x.subarray(i * block.perSample, (i + 1) * block.perSample) as Uint8Array} height={task.height} width={task.width} channels={task.channels} />
              <span className="label">{names[p]}</span>
              {p !== truth[i] && <span className="label warn">was {names[truth[i]!]}</span>}
            </li>
          ))}
        </ul>
      ) : (
        <ol className="hint" aria-label="Predictions on held-out rows">
          {predictions.slice(0, 12).map((p, i) => (
            <li key={i}>
              {names[p]}
              {p !== truth[i] ? ` (was ${names[truth[i]!]})` : ' ✓'}
            </li>
          ))}
        </ol>
      )}
    </>
  )
}

export function ModelExportPanel({ peer, announcement }: { peer: TabPeer | null; announcement: JobAnnouncement }) {
  const { state, run } = useModelExport(peer)
  const { job, head } = announcement
  const task = jobTask(job)
  const working = state.status === 'working'
  return (
    <div className="model-export" data-testid="model-export">
      <h3>Trained model</h3>
      <p>
        <button type="button" onClick={() => void run(announcement)} disabled={!peer || working} data-testid="export-onnx">
          Export version {head.version} as ONNX
        </button>{' '}
        <span className="hint">{fileHint(task)}</span>
      </p>
      {working && (
        <p aria-live="polite">
          <progress max={state.of} value={state.done} aria-label="Exporting the model" /> {state.step}…
        </p>
      )}
      {state.status === 'failed' && <p className="error" role="alert">{state.error}</p>}
      {state.status === 'ready' && state.jobId === job.id && (
        <>
          {state.version !== head.version && (
            <p className="hint" data-testid="export-stale">
              The model has moved on to version {head.version} since you exported version {state.version}; the file below is still version {state.version}. Export again for the newest.
            </p>
          )}
          <p>
            <a href={state.url} download={state.fileName} data-testid="onnx-download" data-version={state.version} className="button-like">
              Download version {state.version} ({state.fileName}, {(state.bytes / 1024).toFixed(0)} KiB)
            </a>{' '}
            <a href={modelUseLink(job.id, state.paramsCid, state.version)} data-testid="export-use-link">
              Use version {state.version} in any browser
            </a>
          </p>
          <Scores task={task} block={state.block} evaluation={state.evaluation} version={state.version} />
        </>
      )}
    </div>
  )
}
