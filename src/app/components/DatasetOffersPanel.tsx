// The job owner's review of contributed datasets: who offered what under which licence, a grid of its samples,
// its class balance and what the automatic checks found, then the decision. Accepting first fetches and checks
// every chunk from the swarm (already done by the review, so it is quick). Auto-accept takes offers the review
// raised no flag for; it is off until the owner turns it on.
import { useState } from 'react'
import type { DatasetState } from '../../training/datasets.ts'
import { datasetCopies, type ProviderBook } from '../../training/availability.ts'
import { flagText, type OfferReview } from '../../training/data-review.ts'
import type { OfferPreview } from '../../roles/review-samples.ts'
import type { DatasetPolicy } from '../../roles/coordinator-host.ts'
import { SampleThumb } from './contribute/SampleThumb.tsx'

interface Props {
  datasets: readonly DatasetState[]
  classes: readonly string[]
  /** Who serves each accepted chunk now, and how many copies the job aims for. */
  providers: Readonly<ProviderBook>
  replication: number
  decide: (id: string, accept: boolean, reason: string) => Promise<string | null>
  policy: DatasetPolicy
  setPolicy: (policy: DatasetPolicy) => void
  sampleGrid: (id: string) => OfferPreview | null
}

function ReviewDetails({ review, classes, grid }: { review: OfferReview; classes: readonly string[]; grid: OfferPreview | null }) {
  const most = Math.max(1, ...review.classCounts)
  return (
    <div className="offer-review" data-testid="offer-review" data-flags={review.flags.map((f) => f.code).join(' ')}>
      {review.flags.length === 0 ? (
        <p className="hint" data-testid="review-clean">The automatic checks found nothing unusual.</p>
      ) : (
        <ul className="error" data-testid="review-flags">
          {review.flags.map((f) => (
            <li key={f.code} data-testid="review-flag" data-code={f.code}>{flagText(f, classes)}</li>
          ))}
        </ul>
      )}
      <p className="hint">
        {review.labelAgreement === null ? 'No label check yet: the model has not been scored.' : `The current model agrees with ${Math.round(100 * review.labelAgreement)}% of the labels (it gets ${Math.round(100 * (review.modelAccuracy ?? 0))}% of the job's test data right).`}{' '}
        Near-copies inside the offer: {review.nearDuplicates}; of the job's own data: {review.copiesOfJobData}; unlike the job's data: {review.outOfDistribution} of {review.samples}.
      </p>
      <table className="class-balance" data-testid="class-balance">
        <caption>Samples per class</caption>
        <tbody>
          {review.classCounts.map((n, c) => (
            <tr key={c} data-class={classes[c] ?? c} data-count={n}>
              <th scope="row">{classes[c] ?? c}</th>
              <td><meter min={0} max={most} value={n} aria-label={`${classes[c] ?? c}: ${n} samples`} /> {n}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {grid?.kind === 'images' && (
        <div className="sample-grid" data-testid="sample-grid" data-count={grid.count}>
          {Array.from({ length: grid.count }, (_, i) => {
            const size = grid.channels * grid.height * grid.width
            return (
              <figure key={i} title={grid.labels[i]}>
                <SampleThumb pixels={grid.pixels.subarray(i * size, (i + 1) * size)} height={grid.height} width={grid.width} channels={grid.channels} />
                <figcaption>{grid.labels[i]}</figcaption>
              </figure>
            )
          })}
        </div>
      )}
      {grid?.kind === 'lines' && (
        <ol className="sample-lines" data-testid="sample-grid" data-count={grid.lines.length}>
          {grid.lines.map((line, i) => (
            <li key={i}>
              <code>{line.text}</code>
              {line.label !== null && <> → <strong>{line.label}</strong></>}
            </li>
          ))}
        </ol>
      )}
    </div>
  )
}

export function DatasetOffersPanel({ datasets, classes, providers, replication, decide, policy, setPolicy, sampleGrid }: Props) {
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
      <label>
        <input type="checkbox" data-testid="auto-accept" checked={policy === 'auto'} onChange={(e) => setPolicy(e.target.checked ? 'auto' : 'owner')} /> Accept offers automatically when the checks raise no flag
      </label>
      {datasets.length === 0 && <p className="hint">No dataset offered yet. Contributors offer theirs from the Contribute page.</p>}
      <ul>
        {datasets.map((d) => (
          <li key={d.id} data-testid="dataset-offer" data-dataset-id={d.id} data-status={d.status} data-used={d.samplesUsed}>
            <strong>{d.name}</strong> · {d.samples.toLocaleString()} samples in {d.chunks.length} chunks · {d.licence} · from <code>{d.owner.slice(0, 8)}…{d.owner.slice(-6)}</code> · <strong>{d.status}</strong> ({d.reason}){d.status === 'accepted' && <> · {Math.round(d.samplesUsed).toLocaleString()} samples used · <span data-testid="dataset-copies" data-count={datasetCopies(providers, d.chunks)}>{datasetCopies(providers, d.chunks)} of {replication} copies live in the swarm</span></>}
            {d.status === 'pending' && !d.review && d.fits && <p className="hint" data-testid="review-pending">Fetching its chunks for review…</p>}
            {d.review && d.status !== 'rejected' && <ReviewDetails review={d.review} classes={classes} grid={sampleGrid(d.id)} />}
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
