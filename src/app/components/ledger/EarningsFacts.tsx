// The earnings lines both the Volunteer and the Ledger page show for one job and wallet, from useJobRewards:
// the pool's escrow status, claimable, pending (with when it becomes final) and claimed. Each figure carries its
// exact base-unit value in data-units, so tests compare the pages to the wei.
import type { JobRewards } from '../../hooks/useJobRewards.ts'
import { formatAmount } from '../../../training/rewards.ts'
import type { HeardJob } from '../../../roles/job-feed.ts'
import { Term } from '../../glossary/Term.tsx'

function inAbout(seconds: number): string {
  if (seconds <= 0) return 'any moment'
  if (seconds < 90) return `about ${Math.ceil(seconds)} s`
  if (seconds < 5400) return `about ${Math.round(seconds / 60)} min`
  return `about ${Math.round(seconds / 3600)} h`
}

export function EscrowStatus({ r, chainName }: { r: JobRewards; chainName: string }) {
  const fmt = (units: bigint) => `${formatAmount(units, r.token.decimals)} ${r.token.symbol}`
  const e = r.escrow
  const text =
    e === undefined ? 'reading the escrow…'
    : e === null ? `not escrowed on ${chainName}: work is recorded, but there is nothing to claim until the owner funds the pool`
    : `${fmt(e.deposited)} escrowed, ${fmt(e.reserved)} granted in ${e.epoch} epoch${e.epoch === 1n ? '' : 's'}, ${fmt(e.claimed)} claimed${e.pausedUntil > BigInt(r.checkedAt) ? ' · paused by the owner' : ''}${e.closed ? ' · closed' : ''}`
  return <dd data-testid="escrow-status" data-escrowed={e ? 'yes' : e === null ? 'no' : 'loading'}>{text}</dd>
}

/**
 * When the next epoch root comes: the coordinator posts one each time a round closes, so it is the current
 * round's deadline at the latest (earlier if every unit is done first), as the coordinator's metrics say.
 */
export function NextEpoch({ heard }: { heard: HeardJob }) {
  const m = heard.metrics
  const text =
    heard.announcement.head.finished ? 'none: the job has finished'
    : !m ? 'posted when the current round closes'
    : `posted when round ${m.round} closes, by ${new Date(m.deadlineMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} (${inAbout((m.deadlineMs - m.sentAtMs) / 1000)} from the coordinator's last report) or sooner if its units finish first`
  return (
    <>
      <dt>Next <Term k="epoch" /></dt>
      <dd data-testid="next-epoch" data-deadline={m?.deadlineMs ?? ''}>{text}</dd>
    </>
  )
}

export function EarningsFacts({ r }: { r: JobRewards }) {
  const fmt = (units: bigint) => `${formatAmount(units, r.token.decimals)} ${r.token.symbol}`
  const e = r.earnings
  if (!e) return null
  const wait = e.nextFinalAt === null ? 0 : e.nextFinalAt - r.checkedAt
  return (
    <>
      <dt>Claimable</dt>
      <dd><strong data-testid="claimable" data-units={e.claimable.toString()}>{fmt(e.claimable)}</strong> in final roots</dd>
      <dt>Pending</dt>
      <dd data-testid="pending" data-units={e.pending.toString()}>{e.pending > 0n ? `${fmt(e.pending)} in roots still open to challenge, claimable in ${inAbout(wait)} unless vetoed` : 'nothing waiting for a root to become final'}</dd>
      <dt>Claimed</dt>
      <dd data-testid="claimed" data-units={e.claimed.toString()}>{fmt(e.claimed)}</dd>
    </>
  )
}
