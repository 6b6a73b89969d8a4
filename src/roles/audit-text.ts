// An audit report in sentences: the verdict, each epoch's standing and every finding, for the CLI and the page.
import type { AuditReport, EpochStatus } from './job-audit.ts'

const STATUS: Record<EpochStatus, string> = { ok: 'recomputed from the job log: matches the chain', failed: 'does NOT match the job log', vetoed: 'vetoed (pays nothing)', unchecked: 'not checked (an earlier link is missing)' }

export function auditVerdict(report: AuditReport): string {
  if (report.epochs.length === 0) return 'Nothing to audit yet: no root has been posted for this job.'
  if (report.ok) return `Sound: all ${report.epochs.length} epoch root${report.epochs.length === 1 ? '' : 's'} recompute from the signed job log, and every signature checks out.`
  return `Discrepancy: ${report.findings[0]!.message}`
}

export function auditLines(report: AuditReport): string[] {
  const c = report.checked
  return [
    `job ${report.job ?? '(unknown)'} · escrow key ${report.key} · coordinator ${report.coordinator ?? '(unknown)'}`,
    `checked ${c.rounds} rounds, ${c.units} units, ${c.resultSignatures} result signatures, ${c.bindings} wallet bindings, ${c.datasets} dataset manifests`,
    ...report.epochs.map((e) => `epoch ${e.epoch}: ${STATUS[e.status]} (root ${e.root.slice(0, 12)}…)`),
    ...report.findings.map((f, i) => `${i === 0 ? 'FIRST ' : ''}[${f.code}] ${f.message}`),
    auditVerdict(report),
  ]
}
