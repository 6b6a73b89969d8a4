// Running an audit of one job from this tab: the same auditJob the CLI runs, over this tab's swarm peer and
// the chain's RPC, with its progress lines as it goes.
import { useCallback, useRef, useState } from 'react'
import type { HeardJob } from '../../roles/job-feed.ts'
import { swarmAuditSource } from '../../roles/audit-source.ts'
import { auditJob, type AuditReport } from '../../roles/job-audit.ts'
import { readerFor } from '../../ledger/chain.ts'
import { escrowKeyOf } from '../../ledger/job-key.ts'
import { errorMessage } from '../../errors.ts'
import type { ChainConfig } from '../../stack/stack-config.ts'
import type { TabPeer } from './useSwarm.ts'

export type AuditState = { status: 'idle' } | { status: 'running'; progress: string[] } | { status: 'done'; report: AuditReport } | { status: 'failed'; error: string }

export function useAudit(config: ChainConfig, peer: TabPeer | null) {
  const [state, setState] = useState<AuditState>({ status: 'idle' })
  const run = useRef(0)
  const start = useCallback(
    async (heard: HeardJob) => {
      const escrow = config.contracts?.escrow
      const key = escrowKeyOf(heard.announcement.job)
      if (!peer || !escrow) return
      const id = ++run.current
      if (key === null) {
        setState({ status: 'failed', error: 'This job names no escrow owner: it was never escrowed, so there is no root to audit.' })
        return
      }
      const progress: string[] = []
      setState({ status: 'running', progress })
      try {
        const source = swarmAuditSource({ node: peer.swarm.node, exchange: peer.exchange, reader: readerFor(config), chainId: config.chainId, escrow, announcement: heard.announcement })
        const report = await auditJob(source, key, (line) => {
          progress.push(line)
          if (run.current === id) setState({ status: 'running', progress: [...progress] })
        })
        if (run.current === id) setState({ status: 'done', report })
      } catch (error) {
        if (run.current === id) setState({ status: 'failed', error: errorMessage(error) })
      }
    },
    [config, peer],
  )
  return { state, start }
}
