// Drop zone and pickers for image folders, IDX pairs, CSV/TSV and JSONL, with progress and cancel.
import { useState, type DragEvent } from 'react'
import { IMPORT_LIMITS, mib } from '../../../data/limits.ts'
import { describeShape } from '../../../data/samples.ts'
import { describeFormat, type SampleFormat } from '../../../data/sample-format.ts'

/** What files a job of each format takes, in a phrase. */
const FORMAT_FILES: Record<SampleFormat['kind'], string> = {
  image: 'pictures (PNG, JPEG, BMP, GIF or WebP) in folders named after the job\'s classes, fitted to its size by its rule',
  tabular: 'CSV, TSV or JSONL files with the job\'s named columns',
  text: 'plain text files',
}
import { fromDrop, fromInput } from '../../dropped-files.ts'
import { formatBytes } from '../../storage-quota.ts'
import { JobSelect } from '../JobSelect.tsx'
import type { ContributeState } from '../../hooks/useContribute.ts'

export function ImportPanel({ c }: { c: ContributeState }) {
  const [invert, setInvert] = useState(false)
  const [over, setOver] = useState(false)
  const importing = c.progress !== null
  const onDrop = async (event: DragEvent) => {
    event.preventDefault()
    setOver(false)
    if (!importing) await c.importPicked(await fromDrop(event.dataTransfer), invert)
  }
  return (
    <section className="card" data-testid="import-panel">
      <h2>Add data</h2>
      {c.jobs.length > 0 ? (
        <JobSelect label="For job" jobs={c.jobs} value={c.target?.announcement.job.id ?? ''} onChange={c.setTargetJobId} disabled={c.samples !== null || c.taskSamples !== null} testId="target-job" />
      ) : (
        <p className="hint">No job announced yet: samples are prepared in the Fashion-MNIST shape, which the demo job uses.</p>
      )}
      <p className="hint" data-testid="target-shape">
        {c.format ? `Samples are ${describeFormat(c.format)}: ${FORMAT_FILES[c.format.kind]}.` : `Samples are ${describeShape(c.shape)}: ${c.shape.classes.join(', ')}.`}
      </p>
      <div className={`dropzone${over ? ' over' : ''}`} onDragOver={(e) => (e.preventDefault(), setOver(true))} onDragLeave={() => setOver(false)} onDrop={(e) => void onDrop(e)} aria-label="Drop files or folders here">
        <p>Drop a folder with one sub-folder per class (PNG or JPEG), an IDX image and label pair, CSV/TSV or JSONL files here, or choose them:</p>
        <p>
          <label className="button-like">
            Choose a folder…
            <input type="file" hidden disabled={importing} {...{ webkitdirectory: '' }} multiple onChange={(e) => void c.importPicked(fromInput(e.target.files), invert).then(() => (e.target.value = ''))} data-testid="import-folder" />
          </label>{' '}
          <label className="button-like">
            Choose files…
            <input type="file" hidden disabled={importing} multiple accept=".png,.jpg,.jpeg,.bmp,.gif,.webp,.csv,.tsv,.jsonl,.ndjson,.txt,.text,.md,.gz,.idx,.idx1-ubyte,.idx3-ubyte,application/octet-stream" onChange={(e) => void c.importPicked(fromInput(e.target.files), invert).then(() => (e.target.value = ''))} data-testid="import-files" />
          </label>
        </p>
        <label>
          <input type="checkbox" checked={invert} onChange={(e) => setInvert(e.target.checked)} /> My images are dark objects on a light background (invert them)
        </label>
      </div>
      <p className="hint" data-testid="storage-budget">
        {c.budget ? `Browser storage: ${formatBytes(c.budget.usage)} used of ${formatBytes(c.budget.quota)}${c.budget.persisted ? ', persistent' : ', not yet persistent (requested on import)'}.` : 'This browser does not report its storage quota.'}
      </p>
      <p className="hint">
        Limits: {mib(IMPORT_LIMITS.imageFileBytes)} per image, {mib(IMPORT_LIMITS.tableFileBytes)} per table, {mib(IMPORT_LIMITS.idxFileBytes)} per IDX file, {IMPORT_LIMITS.samples.toLocaleString()} samples per dataset. {c.format ? '' : `Images are resized to ${c.shape.height}×${c.shape.width}.`}
      </p>
      {c.progress && (
        <div data-testid="import-progress">
          <progress max={c.progress.total} value={c.progress.done} aria-label="Import progress" /> {c.progress.done} / {c.progress.total} files {c.progress.file && <span className="hint">({c.progress.file})</span>}{' '}
          <button type="button" onClick={c.cancelImport} data-testid="import-cancel">
            Cancel
          </button>
        </div>
      )}
      {c.notice && (
        <p className={c.notice.kind === 'error' ? 'error' : 'ok'} role={c.notice.kind === 'error' ? 'alert' : 'status'} data-testid={c.notice.kind === 'error' ? 'import-error' : 'import-notice'}>
          {c.notice.text}
        </p>
      )}
    </section>
  )
}
