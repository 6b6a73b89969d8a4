// Name, licence and description, then chunk, content-address, sign with the peer key and store.
import { useState } from 'react'
import { LICENCES } from '../../../data/manifest.ts'
import { formatBytes } from '../../storage-quota.ts'
import type { ContributeState } from '../../hooks/useContribute.ts'

export function SavePanel({ c }: { c: ContributeState }) {
  const [name, setName] = useState('')
  const [licence, setLicence] = useState<string>('CC-BY-4.0')
  const [description, setDescription] = useState('')
  if (!c.samples && !c.taskSamples) return null
  const need = c.taskSamples ? c.taskSamples.block.x.byteLength + (c.taskSamples.block.y?.byteLength ?? 0) : c.samples!.count * (c.samples!.shape.height * c.samples!.shape.width + 1)
  return (
    <section className="card" data-testid="save-panel">
      <h2>Save and sign</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          void c.save({ name, licence, description })
        }}
      >
        <p>
          <label>
            Dataset name <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={120} />
          </label>
        </p>
        <p>
          <label>
            Licence{' '}
            <select value={licence} onChange={(e) => setLicence(e.target.value)}>
              {LICENCES.map((l) => (
                <option key={l}>{l}</option>
              ))}
            </select>
          </label>
        </p>
        <p>
          <label>
            Description <textarea value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} rows={3} />
          </label>
        </p>
        <p className="hint" data-testid="quota">
          Needs about {formatBytes(need)}.{' '}
          {c.budget ? `This site uses ${formatBytes(c.budget.usage)} of ${formatBytes(c.budget.quota)} the browser allows${c.budget.persisted ? ', stored persistently' : ''}.` : 'This browser does not report its storage quota.'}
        </p>
        <button type="submit" disabled={c.busy !== null || name.trim() === ''}>
          Save and sign
        </button>
      </form>
    </section>
  )
}
