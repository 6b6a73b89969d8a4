// `npm run audit -- <job id>`: audits a job from the chain and the swarm, as anyone could. Reads the stack's
// config.json (the chain, the contracts and the relays), finds the job's escrow, joins the swarm as a plain peer
// to fetch the job log and the epoch trees, recomputes every root and prints the verdict with the first
// discrepancy. Exit code 0: sound; 1: a discrepancy; 2: the audit could not run.
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { getAddress, type Address, type Hex } from 'viem'
import { readerFor } from '../src/ledger/chain.ts'
import { findJobKeys } from '../src/ledger/escrow.ts'
import { escrowKeyOf, jobKey } from '../src/ledger/job-key.ts'
import { BlockExchange } from '../src/p2p/block-exchange.ts'
import { createNodePeer } from '../src/p2p/node-peer.ts'
import { Swarm } from '../src/p2p/swarm.ts'
import type { JobAnnouncement } from '../src/p2p/job-topics.ts'
import { JobFeed } from '../src/roles/job-feed.ts'
import { swarmAuditSource } from '../src/roles/audit-source.ts'
import { auditLines, auditVerdict } from '../src/roles/audit-text.ts'
import { auditJob } from '../src/roles/job-audit.ts'
import { decodeStackConfig, type StackConfig } from '../src/stack/stack-config.ts'
import { errorMessage } from '../src/errors.ts'

const USAGE = `usage: npm run audit -- <job id> [--owner 0x…] [--config URL|file] [--listen-seconds N] [--json]
  --config          the stack's config.json (default http://127.0.0.1:8080/config.json, what \`npm start\` serves)
  --owner           the escrow's owner, when several owners funded a job with this id
  --listen-seconds  how long to listen on the swarm for the job's coordinator (default 45)
  --json            print the report as JSON`

async function loadConfig(where: string): Promise<StackConfig> {
  const text = /^https?:\/\//.test(where) ? await (await fetch(where)).text() : await readFile(where, 'utf8')
  return decodeStackConfig(text)
}

/** The coordinator's announcement of `jobId` with escrow key `key`, heard on gossip within `seconds`. */
async function hearJob(feed: JobFeed, jobId: string, key: Hex, seconds: number): Promise<JobAnnouncement | null> {
  const find = () => feed.current.find((j) => j.announcement.job.id === jobId && escrowKeyOf(j.announcement.job) === key)?.announcement ?? null
  const deadline = Date.now() + seconds * 1000
  while (!find() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500))
  return find()
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { owner: { type: 'string' }, config: { type: 'string' }, 'listen-seconds': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } } })
  const jobId = positionals[0]
  if (values.help || !jobId) {
    console.error(USAGE)
    return 2
  }
  const config = await loadConfig(values.config ?? 'http://127.0.0.1:8080/config.json')
  const contracts = config.chain.contracts
  if (!contracts) throw new Error(`${config.chain.name} has no Tesserae contracts in this config: nothing to audit`)
  const reader = readerFor(config.chain)
  let key: Hex
  if (values.owner) key = jobKey(getAddress(values.owner) as Address, jobId)
  else {
    const found = await findJobKeys(reader, contracts.escrow, jobId, BigInt(config.chain.deployBlock ?? 0))
    if (found.length === 0) throw new Error(`no job "${jobId}" is escrowed at ${contracts.escrow} on ${config.chain.name}`)
    if (found.length > 1) throw new Error(`${found.length} owners funded a job "${jobId}": ${found.map((f) => f.owner).join(', ')}; pick one with --owner`)
    key = found[0]!.key
  }
  const progress = (line: string) => console.error(`  ${line}`)
  const node = await createNodePeer({ webrtc: { iceServers: config.iceServers } })
  const swarm = await Swarm.start({ node, relayAddrs: config.relayAddrs, iceServers: config.iceServers })
  const exchange = await BlockExchange.start(node, new MemoryBlockstore())
  const feed = new JobFeed(node)
  try {
    progress(`listening for job "${jobId}" on the swarm…`)
    const announcement = await hearJob(feed, jobId, key, Number(values['listen-seconds'] ?? 45))
    if (!announcement) progress('its coordinator was not heard: records come only from peers that pinned them')
    const report = await auditJob(swarmAuditSource({ node, exchange, reader, chainId: config.chain.chainId, escrow: contracts.escrow, announcement, log: progress }), key, progress)
    if (values.json) {
      console.log(JSON.stringify(report, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2))
      console.error(auditVerdict(report))
    } else for (const line of auditLines(report)) console.log(line)
    return report.ok ? 0 : 1
  } finally {
    feed.stop()
    await exchange.stop()
    await swarm.stop()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`audit failed: ${errorMessage(error)}`)
    process.exit(2)
  },
)
