// The job owner's view of contributed datasets: who offered what, under which licence, and the decision.
// Accepting first fetches and checks every chunk from the swarm, which takes a moment for large datasets.
import { useState } from 'react'
import type { DatasetState } from '../../training/datasets.ts'

export function DatasetOffersPanel({ datasets, decide }: { datasets: readonly DatasetState[]; decide: (id: string, accept: boolean, reason: string) => Promise<string | null> }) {
  const [busy, setBusy] = useState<string | null>(null)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [reasons, setReasons] = useState<Record<string, string>>({})
  const act = async (id: string, accept: boolean) => {
    setBusy(id)
    const error = await decide(id, accept, reasons[id] ?? '')
    setErrors((e) => ({ ...e, [id]: error ?? '' }))
    setBusy(null)
  }
  return (
    <div data-testid="dataset-offers">
      <h3>Contributed datasets</h3>
      {datasets.length === 0 && <p className="hint">No dataset offered yet. Contributors offer theirs from the Contribute page.</p>}
      <ul>
        {datasets.map((d) => (
          <li key={d.id} data-testid="dataset-offer" data-dataset-id={d.id} data-status={d.status}>
            <strong>{d.name}</strong> · {d.samples.toLocaleString()} samples in {d.chunks.length} chunks · {d.licence} · from <code>{d.owner.slice(0, 8)}…{d.owner.slice(-6)}</code> · <strong>{d.status}</strong> ({d.reason}){d.status === 'accepted' && <> · {Math.round(d.samplesUsed).toLocaleString()} samples used</>}
            {d.fits && (
              <p>
                {d.status !== 'accepted' && (
                  <button type="button" disabled={busy !== null} onClick={() => void act(d.id, true)}>
                    {busy === d.id ? 'Checking chunks…' : 'Accept'}
                  </button>
                )}{' '}
                {d.status !== 'rejected' && (
                  <>
                    <input aria-label={`Reason for rejecting ${d.name}`} placeholder="Reason (shown to the contributor)" value={reasons[d.id] ?? ''} onChange={(e) => setReasons((r) => ({ ...r, [d.id]: e.target.value }))} />{' '}
                    <button type="button" className="secondary" disabled={busy !== null} onClick={() => void act(d.id, false)}>
                      {d.status === 'accepted' ? 'Withdraw' : 'Reject'}
                    </button>
                  </>
                )}
              </p>
            )}
            {errors[d.id] && <p className="error" role="alert">Not accepted: {errors[d.id]}</p>}
          </li>
        ))}
      </ul>
    </div>
  )
}
