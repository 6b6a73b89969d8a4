// The "export the model" part of the dashboard: one button, progress while it works, then the ONNX file and
// what that version predicts on 100 held-out images (the predictions the file reproduces anywhere).
import type { JobAnnouncement } from '../../../p2p/job-topics.ts'
import { useModelExport } from '../../hooks/useModelExport.ts'
import type { TabPeer } from '../../hooks/useSwarm.ts'
import { SampleThumb } from '../contribute/SampleThumb.tsx'

export function ModelExportPanel({ peer, announcement }: { peer: TabPeer | null; announcement: JobAnnouncement }) {
  const { state, run } = useModelExport(peer)
  const { job, head } = announcement
  const working = state.status === 'working'
  return (
    <div className="model-export" data-testid="model-export">
      <h3>Trained model</h3>
      <p>
        <button type="button" onClick={() => void run(announcement)} disabled={!peer || working} data-testid="export-onnx">
          Export version {head.version} as ONNX
        </button>{' '}
        <span className="hint">Inference graph with the weights baked in: pixels in [0, 1] go in, logits and probabilities come out.</span>
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
            </a>
          </p>
          <p data-testid="export-predictions" data-version={state.version} data-predictions={Array.from(state.predictions).join(',')}>
            Version {state.version} predicts {state.images.count} held-out images with accuracy {(state.accuracy * 100).toFixed(1)}%:
          </p>
          <ul className="samples predictions" aria-label="Predictions on held-out images">
            {Array.from(state.predictions.slice(0, 24), (p, i) => (
              <li key={i} className={`sample${p === state.images.labels[i] ? '' : ' duplicate'}`}>
                <SampleThumb pixels={state.images.pixels.subarray(i * state.images.height * state.images.width, (i + 1) * state.images.height * state.images.width)} height={state.images.height} width={state.images.width} />
                <span className="label">{job.classes[p]}</span>
                {p !== state.images.labels[i] && <span className="label warn">was {job.classes[state.images.labels[i]!]}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  )
}
