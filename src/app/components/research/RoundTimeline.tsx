// One bar per round, as long as the round lasted, split into accepted, rejected and dropped units: where the
// time went and how much of it was wasted, at a glance. The same numbers are in the CSV and rounds table.
import type { RoundReport } from '../../../training/coordinator-state.ts'

export function RoundTimeline({ reports }: { reports: readonly RoundReport[] }) {
  const shown = reports.slice(-20)
  if (shown.length === 0) return null
  const longest = Math.max(...shown.map((r) => r.closedAtMs - r.startedAtMs), 1)
  return (
    <figure className="timeline" data-testid="round-timeline">
      <figcaption>Round timeline (bar length = duration; green accepted, red rejected, grey dropped units)</figcaption>
      <ol>
        {shown.map((r) => {
          const seconds = (r.closedAtMs - r.startedAtMs) / 1000
          const units = Math.max(r.accepted + r.rejected + r.dropped, 1)
          const width = `${Math.max(4, ((r.closedAtMs - r.startedAtMs) / longest) * 100)}%`
          return (
            <li key={r.round} aria-label={`Round ${r.round}: ${seconds.toFixed(0)} s, ${r.accepted} accepted, ${r.rejected} rejected, ${r.dropped} dropped`}>
              <span className="round-no">{r.round}</span>
              <span className="bar-track">
                <span className="bar-fill" style={{ width }}>
                  <span className="seg ok" style={{ flexGrow: r.accepted / units }} />
                  <span className="seg bad" style={{ flexGrow: r.rejected / units }} />
                  <span className="seg dropped" style={{ flexGrow: r.dropped / units }} />
                </span>
              </span>
              <span className="round-time">{seconds.toFixed(0)} s</span>
            </li>
          )
        })}
      </ol>
    </figure>
  )
}
