// Review before saving: class balance, duplicates, a paged grid of samples with their labels, filters, and
// relabel or delete for the selected samples.
import { useMemo, useState } from 'react'
import { classCounts, pixelsPerSample } from '../../../data/samples.ts'
import type { ContributeState } from '../../hooks/useContribute.ts'
import { SampleThumb } from './SampleThumb.tsx'
import { Pager } from './Pager.tsx'
import { useSampleSelection } from '../../hooks/useSampleSelection.ts'

const PAGE = 96

function ClassOptions({ classes }: { classes: readonly string[] }) {
  return classes.map((name, k) => (
    <option key={name} value={k}>
      {name}
    </option>
  ))
}

export function ReviewPanel({ c }: { c: ContributeState }) {
  const [filter, setFilter] = useState<'all' | 'duplicates' | number>('all')
  const [page, setPage] = useState(0)
  const { selected, toggle, apply, newLabel, setNewLabel } = useSampleSelection(c)
  const s = c.samples
  const counts = useMemo(() => (s ? classCounts(s) : []), [s])
  const visible = useMemo(() => {
    if (!s) return []
    const all = Array.from({ length: s.count }, (_, i) => i)
    if (filter === 'duplicates') return all.filter((i) => c.duplicates!.firstCopy[i] !== -1)
    return filter === 'all' ? all : all.filter((i) => s.labels[i] === filter)
  }, [s, filter, c.duplicates])
  if (!s) return null
  const size = pixelsPerSample(s.shape)
  const max = Math.max(1, ...counts)
  const pages = Math.max(1, Math.ceil(visible.length / PAGE))
  const shown = visible.slice(page * PAGE, (page + 1) * PAGE)
  return (
    <section className="card wide" data-testid="review-panel">
      <h2>
        Review <span data-testid="sample-count" data-count={s.count}>{s.count.toLocaleString()} samples</span>
      </h2>
      <table className="balance" data-testid="class-balance" aria-label="Samples per class">
        <tbody>
          {s.shape.classes.map((name, k) => (
            <tr key={name} data-testid="class-count" data-class={name} data-count={counts[k]}>
              <th scope="row">{name}</th>
              <td>
                <span className="bar" style={{ width: `${(100 * counts[k]!) / max}%` }} />
              </td>
              <td className={counts[k] === 0 ? 'warn' : ''}>{counts[k]}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {counts.some((n) => n === 0) && <p className="warn">Some classes have no samples. That is fine for a contribution, but the job trains better on balanced data.</p>}
      <p data-testid="duplicate-count" data-count={c.duplicates?.count ?? 0}>
        {c.duplicates?.count ? `${c.duplicates.count} samples repeat an earlier one exactly${c.duplicates.conflicts.length ? `, ${c.duplicates.conflicts.length} of them with a different label` : ''}.` : 'No exact duplicates.'}{' '}
        {c.duplicates?.count ? (
          <button type="button" onClick={() => c.remove([...c.duplicates!.firstCopy.keys()].filter((i) => c.duplicates!.firstCopy[i] !== -1))}>
            Remove duplicates
          </button>
        ) : null}
      </p>
      <p className="toolbar">
        <label>
          Show{' '}
          <select value={String(filter)} onChange={(e) => (setFilter(e.target.value === 'all' || e.target.value === 'duplicates' ? e.target.value : Number(e.target.value)), setPage(0))} data-testid="class-filter">
            <option value="all">all classes</option>
            <option value="duplicates">duplicates only</option>
            <ClassOptions classes={s.shape.classes} />
          </select>
        </label>{' '}
        <span>{selected.size} selected</span>{' '}
        <label>
          Label as{' '}
          <select value={newLabel} onChange={(e) => setNewLabel(Number(e.target.value))} data-testid="relabel-select">
            <ClassOptions classes={s.shape.classes} />
          </select>
        </label>{' '}
        <button type="button" disabled={selected.size === 0} onClick={() => apply('relabel')} data-testid="relabel-apply">
          Relabel
        </button>{' '}
        <button type="button" disabled={selected.size === 0} onClick={() => apply('delete')} data-testid="delete-selected">
          Delete
        </button>{' '}
        <button type="button" className="secondary" onClick={c.discard}>
          Discard all
        </button>
      </p>
      <ul className="samples" aria-label="Samples">
        {shown.map((i) => (
          <li key={i}>
            <button
              type="button"
              className={`sample${selected.has(i) ? ' selected' : ''}${c.duplicates!.firstCopy[i] !== -1 ? ' duplicate' : ''}`}
              aria-pressed={selected.has(i)}
              title={`${s.sources[i]!.file}${s.sources[i]!.row ? ` row ${s.sources[i]!.row}` : ''}${c.duplicates!.firstCopy[i] !== -1 ? ` — duplicate of #${c.duplicates!.firstCopy[i]! + 1}` : ''}`}
              onClick={() => toggle(i)}
              data-testid="sample"
              data-index={i}
              data-label={s.shape.classes[s.labels[i]!]}
            >
              <SampleThumb pixels={s.pixels.subarray(i * size, (i + 1) * size)} height={s.shape.height} width={s.shape.width} />
              <span className="label">{s.shape.classes[s.labels[i]!]}</span>
            </button>
          </li>
        ))}
      </ul>
      <Pager page={page} pages={pages} setPage={setPage} />
    </section>
  )
}
