// What an audit of a job costs anyone who runs it: a job settled on anvil by the real SettlementHost (the
// coordinator harness's quadratic model, volunteers signing with Ed25519, a signed job log), then auditJob over
// it with the log and trees in memory, so this is the audit's own CPU (signatures, draws, replays, trees), not
// the swarm's latency. Reported per epoch and per unit for a small and a larger swarm.
import { startTestChain } from '../contracts/testing.ts'
import { auditJob } from '../src/roles/job-audit.ts'
import { settledJob } from '../src/roles/testing/settled-job.ts'

export interface LogAuditRow {
  volunteers: number
  epochs: number
  units: number
  resultSignatures: number
  auditMs: number
  msPerEpoch: number
  msPerUnit: number
}

export async function benchLogAudit(shapes: Array<{ volunteers: number; epochs: number }>): Promise<LogAuditRow[]> {
  const t = await startTestChain()
  try {
    const rows: LogAuditRow[] = []
    for (const shape of shapes) {
      const job = await settledJob(t, shape)
      const started = performance.now()
      const report = await auditJob(job.source, job.key)
      const auditMs = performance.now() - started
      if (!report.ok) throw new Error(`the benchmark's honest job failed its audit: ${report.findings[0]?.message}`)
      rows.push({ ...shape, units: report.checked.units, resultSignatures: report.checked.resultSignatures, auditMs, msPerEpoch: auditMs / shape.epochs, msPerUnit: auditMs / report.checked.units })
      console.log(`  log audit: ${shape.volunteers} volunteers × ${shape.epochs} epochs, ${report.checked.units} units: ${(auditMs / 1000).toFixed(2)} s`)
    }
    return rows
  } finally {
    await t.chain.stop()
  }
}
