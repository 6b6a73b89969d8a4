// A text job's model in words: one button writes a continuation of held-out text with the current version.
import type { JobAnnouncement } from '../../../p2p/job-topics.ts'
import { SAMPLE_TEMPERATURE, SAMPLE_TOKENS, useTextSample } from '../../hooks/useTextSample.ts'
import type { TabPeer } from '../../hooks/useSwarm.ts'

export function TextSamplePanel({ peer, announcement }: { peer: TabPeer | null; announcement: JobAnnouncement }) {
  const { state, run } = useTextSample(peer)
  const { job, head } = announcement
  return (
    <div className="model-export" data-testid="text-sample">
      <h3>What the model writes</h3>
      <p>
        <button type="button" onClick={() => void run(announcement)} disabled={!peer || state.status === 'working'} data-testid="write-sample">
          Write a sample with version {head.version}
        </button>{' '}
        <span className="hint">It continues a held-out passage for {SAMPLE_TOKENS} tokens, at temperature {SAMPLE_TEMPERATURE}.</span>
      </p>
      {state.status === 'working' && <p aria-live="polite">{state.step}…</p>}
      {state.status === 'failed' && <p className="error" role="alert">{state.error}</p>}
      {state.status === 'ready' && state.jobId === job.id && (
        <blockquote className="text-sample" data-testid="sample-text" data-version={state.version}>
          <span className="hint">{state.prompt}</span>
          <strong>{state.text}</strong>
        </blockquote>
      )}
    </div>
  )
}
