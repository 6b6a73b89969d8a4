// Picks one of the jobs heard on the swarm (Contribute's target job, the dashboard's job).
import type { HeardJob } from '../../roles/job-feed.ts'

export function JobSelect(props: { label: string; jobs: HeardJob[]; value: string; onChange: (id: string) => void; disabled?: boolean; testId?: string }) {
  return (
    <p>
      <label>
        {props.label}{' '}
        <select value={props.value} onChange={(e) => props.onChange(e.target.value)} disabled={props.disabled} data-testid={props.testId}>
          {props.jobs.map((j) => (
            <option key={j.announcement.job.id} value={j.announcement.job.id}>
              {j.announcement.job.name} ({j.announcement.job.id})
            </option>
          ))}
        </select>
      </label>
    </p>
  )
}
