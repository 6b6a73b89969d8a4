// What a tab hears about jobs on gossip: each job's latest announcement and metrics, from its coordinator
// only (job-topics checks the sender). The Contribute page reads dataset decisions and credit from here.
import type { Libp2p } from '@libp2p/interface'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import { errorMessage } from '../errors.ts'
import { decodeAnnouncement, decodeMetrics, TOPIC_JOBS, TOPIC_METRICS, type JobAnnouncement, type JobMetrics } from '../p2p/job-topics.ts'

export interface HeardJob {
  announcement: JobAnnouncement
  metrics: JobMetrics | null
}

export class JobFeed {
  private readonly node: Libp2p<{ pubsub: GossipSub }>
  private readonly jobs = new Map<string, HeardJob>()
  private readonly listeners = new Set<(jobs: HeardJob[]) => void>()
  private readonly onMessage = (event: CustomEvent<Message>) => this.hear(event.detail)
  private readonly log?: (line: string) => void

  constructor(node: Libp2p<{ pubsub: GossipSub }>, log?: (line: string) => void) {
    this.node = node
    this.log = log
    node.services.pubsub.subscribe(TOPIC_JOBS)
    node.services.pubsub.subscribe(TOPIC_METRICS)
    node.services.pubsub.addEventListener('message', this.onMessage)
  }

  stop(): void {
    this.node.services.pubsub.removeEventListener('message', this.onMessage)
  }

  get current(): HeardJob[] {
    return [...this.jobs.values()].sort((a, b) => b.announcement.job.createdAtMs - a.announcement.job.createdAtMs)
  }

  /** One job as last heard (null if never): a lookup, not the sorted list `current` builds. */
  get(jobId: string): HeardJob | null {
    return this.jobs.get(jobId) ?? null
  }

  subscribe(listener: (jobs: HeardJob[]) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private hear(message: Message): void {
    if (message.type !== 'signed') return
    try {
      if (message.topic === TOPIC_JOBS) {
        const a = decodeAnnouncement(message.data, message.from.toString())
        this.jobs.set(a.job.id, { announcement: a, metrics: this.jobs.get(a.job.id)?.metrics ?? null })
      } else if (message.topic === TOPIC_METRICS) {
        const m = decodeMetrics(message.data, message.from.toString())
        const known = this.jobs.get(m.jobId)
        if (!known) return
        this.jobs.set(m.jobId, { ...known, metrics: m })
      } else return
      for (const l of this.listeners) l(this.current)
    } catch (error) {
      this.log?.(`ignored gossip from ${message.from.toString()}: ${errorMessage(error)}`)
    }
  }
}
