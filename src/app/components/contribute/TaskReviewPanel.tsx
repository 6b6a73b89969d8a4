// Review before saving, for a job with its own task: how many samples per class, then the samples as the model
// will see them (pictures fitted to the job's size in their colours, table rows by the job's columns, text
// windows), each with its file and row; select to relabel (tasks with classes) or delete.
import { useMemo, useState } from 'react'
import { formatClasses, sampleText } from '../../../data/sample-format.ts'
import { taskClassCounts } from '../../../data/task-sample-set.ts'
import type { ContributeState } from '../../hooks/useContribute.ts'
import { SampleThumb } from './SampleThumb.tsx'
import { Pager } from './Pager.tsx'
import { useSampleSelection } from '../../hooks/useSampleSelection.ts'

const PAGE = 60

export function TaskReviewPanel({ c }: { c: ContributeState }) {
  const [page, setPage] = useState(0)
  const { selected, toggle, apply, newLabel, setNewLabel } = useSampleSelection(c)
  const s = c.taskSamples
  const classes = s ? formatClasses(s.format) : null
  const counts = useMemo(() => (s && classes ? taskClassCounts(s) : []), [s, classes])
  if (!s) return null
  const { format, block } = s
  const pages = Math.max(1, Math.ceil(block.count / PAGE))
  const shown = Array.from({ length: Math.max(0, Math.min(PAGE, block.count - page * PAGE)) }, (_, k) => page * PAGE + k)
  const labelOf = (i: number) => (classes && block.y ? classes[block.y[i]!] : format.kind === 'tabular' && block.y ? String(block.y[i]) : null)
  const values = (i: number) => block.x.subarray(i * block.perSample, (i + 1) * block.perSample)
  return (
    <section className="card wide" data-testid="review-panel">
      <h2>
        Review <span data-testid="sample-count" data-count={block.count}>{block.count.toLocaleString()} samples</span>
      </h2>
      {classes && (
        <table className="balance" data-testid="class-balance" aria-label="Samples per class">
          <tbody>
            {classes.map((name, k) => (
              <tr key={name} data-testid="class-count" data-class={name} data-count={counts[k]}>
                <th scope="row">{name}</th>
                <td>
                  <span className="bar" style={{ width: `${(100 * counts[k]!) / Math.max(1, ...counts)}%` }} />
                </td>
                <td className={counts[k] === 0 ? 'warn' : ''}>{counts[k]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="toolbar">
        <span>{selected.size} selected</span>{' '}
        {classes && (
          <>
            <label>
              Label as{' '}
              <select value={newLabel} onChange={(e) => setNewLabel(Number(e.target.value))} data-testid="relabel-select">
                {classes.map((name, k) => <option key={name} value={k}>{name}</option>)}
              </select>
            </label>{' '}
            <button type="button" disabled={selected.size === 0} onClick={() => apply('relabel')} data-testid="relabel-apply">
              Relabel
            </button>{' '}
          </>
        )}
        <button type="button" disabled={selected.size === 0} onClick={() => apply('delete')} data-testid="delete-selected">
          Delete
        </button>{' '}
        <button type="button" className="secondary" onClick={c.discard}>
          Discard all
        </button>
      </p>
      <ul className={format.kind === 'image' ? 'samples' : 'sample-lines'} aria-label="Samples">
        {shown.map((i) => (
          <li key={i}>
            <button
              type="button"
              className={`sample${selected.has(i) ? ' selected' : ''}`}
              aria-pressed={selected.has(i)}
              title={`${s.sources[i]!.file}${s.sources[i]!.row ? ` row ${s.sources[i]!.row}` : ''}`}
              onClick={() => toggle(i)}
              data-testid="sample"
              data-index={i}
              data-label={labelOf(i) ?? ''}
            >
              {format.kind === 'image' ? <SampleThumb pixels={values(i) as Uint8Array} height={format.height} width={format.width} channels={format.channels} /> : <code>{sampleText(format, values(i), '—')}</code>}
              {labelOf(i) !== null && <span className="label">{labelOf(i)}</span>}
            </button>
          </li>
        ))}
      </ul>
      <Pager page={page} pages={pages} setPage={setPage} />
    </section>
  )
}
