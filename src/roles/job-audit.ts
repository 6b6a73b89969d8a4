// Auditing a job: fetch every epoch the escrow holds, each epoch's record in the job log and every round record
// it builds on, check every signature in them (the coordinator's on each record, each volunteer's on its result,
// each contributor's on its dataset manifest, each wallet's EIP-712 binding), recheck the audit draws, recompute
// each epoch's leaves and root from the log (src/ledger/audit.ts) and compare them with the chain and the
// published tree. The verdict names the first discrepancy. A staged job's rounds (stage-log.ts) are checked for
// what they pay: each stage's FLOPs per call recounted from the spec's shard graphs, no more calls than the round
// had micro-batches, nobody excluded paid. Used by `npm run audit` in Node and the Audit page.
import { peerIdFromString } from '@libp2p/peer-id'
import type { Address, Hex } from 'viem'
import { getAddress } from 'viem'
import { decodeSignedManifest } from '../data/manifest.ts'
import { DecodeError, errorMessage } from '../errors.ts'
import { fromHex } from '../hex.ts'
import { compareEpoch, recomputeEpoch, type ChainEpoch, type Finding } from '../ledger/audit.ts'
import { verifyBinding } from '../ledger/binding.ts'
import type { EpochDocument } from '../ledger/epoch-tree.ts'
import { emptyEpochBook, type EpochBook } from '../ledger/epochs.ts'
import { readEpoch, readEscrowJob, type EscrowJob, type Reader } from '../ledger/escrow.ts'
import { LedgerError } from '../ledger/errors.ts'
import { verifySignedManifest } from '../p2p/manifest-signature.ts'
import { decodeRecord, type EpochRecord, type LogRecord, type RoundRecord, type SignedLogRecord } from '../training/job-log.ts'
import { checkRounds } from '../training/log-checks.ts'
import { checkDeployment } from '../training/deployment.ts'
import type { Deployed } from '../training/job.ts'
import { resultSigningBytes } from '../training/unit.ts'
import { sameSpecText, stageWorkProblem, type StageRoundRecord } from '../training/stage-log.ts'
import { stageFlopsOf } from '../training/job-stages.ts'

/** Where an audit reads from: the chain, and the swarm (or any store) for content by id. */
export interface AuditSource {
  reader: Reader
  chainId: number
  escrow: Address
  /** The signed envelope of a job-log record, by content id (its signature is checked here, not by the source). */
  fetchLog(cid: string): Promise<SignedLogRecord>
  fetchTree(cid: string): Promise<EpochDocument>
}

export type EpochStatus = 'ok' | 'failed' | 'vetoed' | 'unchecked'

export interface EpochAudit {
  epoch: number
  status: EpochStatus
  root: Hex
  recomputedRoot: Hex | null
  findings: Finding[]
}

export interface AuditReport {
  key: Hex
  job: string | null
  coordinator: string | null
  escrow: EscrowJob
  epochs: EpochAudit[]
  /** Every discrepancy in the order found; the first is the verdict's headline. */
  findings: Finding[]
  ok: boolean
  checked: { rounds: number; units: number; resultSignatures: number; bindings: number; datasets: number; deployment?: boolean }
}

/** Seconds a coordinator's clock may run ahead of the block that took its root. */
const CLOCK_SLACK_SECONDS = 300
const encoder = new TextEncoder()

/** Whether `signatureHex` is `peer`'s Ed25519 signature over `bytes` (false for anything malformed). */
async function verifyPeerSignature(peer: string, bytes: Uint8Array, signatureHex: string): Promise<boolean> {
  try {
    const key = peerIdFromString(peer).publicKey
    return key !== undefined && (await key.verify(bytes, fromHex(signatureHex)))
  } catch {
    return false
  }
}

async function verifiedBy(signed: SignedLogRecord, cid: string): Promise<LogRecord> {
  if (!(await verifyPeerSignature(signed.coordinator, encoder.encode(signed.record), signed.signature))) throw new LedgerError('BAD_LOG', `log record ${cid.slice(0, 16)}… does not carry the signature of ${signed.coordinator.slice(0, 16)}…`)
  return decodeRecord(signed)
}

/**
 * The deployed model a job announces (`deployed`), checked against the job log: its deployment record is the
 * coordinator's, says the same version and parameters, and names a round record of the chain the audit walked
 * (`chain`, by content id) whose result those parameters are. A round record the coordinator signed but never
 * chained (to deploy parameters no round produced) is not in `chain`.
 */
export async function auditDeployment(fetchLog: AuditSource['fetchLog'], coordinator: string, deployed: Deployed, chain: ReadonlyMap<string, RoundRecord>): Promise<Finding[]> {
  const bad = (message: string): Finding[] => [{ code: 'BAD_DEPLOYMENT', message: `the deployed version ${deployed.version}: ${message}` }]
  let record: LogRecord
  try {
    const signed = await fetchLog(deployed.record)
    if (signed.coordinator !== coordinator) return bad(`its record ${deployed.record.slice(0, 24)}… is signed by ${signed.coordinator.slice(0, 16)}…, not the job's coordinator`)
    record = await verifiedBy(signed, deployed.record)
  } catch (error) {
    return bad(`its record ${deployed.record.slice(0, 24)}… could not be fetched or verified (${errorMessage(error)})`)
  }
  if (record.kind !== 'deployment') return bad(`${deployed.record.slice(0, 24)}… is a ${record.kind} record, not a deployment`)
  if (record.version !== deployed.version || record.paramsCid !== deployed.paramsCid) return bad(`the job announces parameters ${deployed.paramsCid.slice(0, 16)}… but its record says version ${record.version}, parameters ${record.paramsCid.slice(0, 16)}…`)
  const round = chain.get(record.round)
  if (!round) return bad(`its record names round record ${record.round.slice(0, 24)}…, which is not in the job's chain of rounds`)
  const problem = checkDeployment(record, round)
  return problem ? bad(problem.message) : []
}

export async function auditJob(source: AuditSource, key: Hex, progress: (line: string) => void = () => {}): Promise<AuditReport> {
  const escrow = await readEscrowJob(source.reader, source.escrow, key)
  if (!escrow) throw new LedgerError('NOT_FUNDED', `no job with key ${key} is escrowed at ${source.escrow} on chain ${source.chainId}`)
  const findings: Finding[] = []
  const epochs: EpochAudit[] = []
  const rounds = new Map<string, RoundRecord | StageRoundRecord>()
  const stageFlops = new Map<string, string>()
  let stagedSpec: string | undefined
  const checked: AuditReport['checked'] = { rounds: 0, units: 0, resultSignatures: 0, bindings: 0, datasets: 0 }
  const bindingsSeen = new Set<string>()
  const datasetsSeen = new Set<string>()
  let coordinator: string | null = null
  let job: string | null = null
  let book: EpochBook = emptyEpochBook()
  let previousLog: string | null = null
  let broken = false

  const note = (finding: Finding, into?: Finding[]) => {
    findings.push(finding)
    into?.push(finding)
  }

  /** A record by content id, signed by the job's coordinator (the first record's signer). */
  const record = async (cid: string, where: Finding[], epoch: number): Promise<LogRecord | null> => {
    let signed: SignedLogRecord
    try {
      signed = await source.fetchLog(cid)
    } catch (error) {
      note({ code: 'LOG_UNAVAILABLE', epoch, message: `epoch ${epoch}: job-log record ${cid.slice(0, 24)}… could not be fetched (${errorMessage(error)}); pin the log, or ask the coordinator to publish it` }, where)
      return null
    }
    try {
      const decoded = await verifiedBy(signed, cid)
      coordinator ??= signed.coordinator
      if (signed.coordinator !== coordinator) note({ code: 'WRONG_COORDINATOR', epoch, message: `epoch ${epoch}: record ${cid.slice(0, 24)}… is signed by ${signed.coordinator}, not the job's coordinator ${coordinator}` }, where)
      return decoded
    } catch (error) {
      // A record that is signed but malformed says so apart from one whose signature does not check out.
      note({ code: error instanceof DecodeError ? 'BAD_RECORD' : 'BAD_LOG_SIGNATURE', epoch, message: `epoch ${epoch}: ${error instanceof DecodeError ? `record ${cid.slice(0, 24)}… does not decode: ` : ''}${errorMessage(error)}` }, where)
      return null
    }
  }

  /** The round records from `head` back to the first one not fetched yet, oldest first. */
  const roundsUpTo = async (head: string, where: Finding[], epoch: number): Promise<Array<RoundRecord | StageRoundRecord> | null> => {
    const fresh: Array<[string, RoundRecord | StageRoundRecord]> = []
    for (let cid: string | null = head; cid !== null && !rounds.has(cid); ) {
      const r = await record(cid, where, epoch)
      if (!r) return null
      const kind = fresh[0]?.[1].kind ?? rounds.values().next().value?.kind ?? r.kind
      if ((r.kind !== 'round' && r.kind !== 'stage-round') || r.kind !== kind) {
        note({ code: 'BROKEN_CHAIN', epoch, message: `epoch ${epoch}: ${cid.slice(0, 24)}… should be a ${kind === 'stage-round' ? 'staged round' : 'round'} record but is a ${r.kind} record (a job's rounds are all of one kind)` }, where)
        return null
      }
      fresh.unshift([cid, r])
      cid = r.prev
    }
    for (const [cid, r] of fresh) {
      // Rounds only count up: a repeated or lower number would make two records claim one round (which one a
      // deployment or a payout refers to would then be the coordinator's choice).
      const before = r.prev === null ? undefined : rounds.get(r.prev)
      if (before && r.round <= before.round) note({ code: 'ROUND_ORDER', epoch, round: r.round, message: `epoch ${epoch}: round record ${cid.slice(0, 24)}… is round ${r.round} but follows round ${before.round}; round numbers only count up` }, where)
      rounds.set(cid, r)
      await checkRound(r, where, epoch)
    }
    const chain: Array<RoundRecord | StageRoundRecord> = []
    for (let cid: string | null = head; cid !== null; cid = rounds.get(cid)!.prev) chain.unshift(rounds.get(cid)!)
    return chain
  }

  const checkRound = async (r: RoundRecord | StageRoundRecord, where: Finding[], epoch: number) => {
    checked.rounds++
    if (r.spec.coordinator !== coordinator) note({ code: 'WRONG_COORDINATOR', epoch, round: r.round, message: `round ${r.round}: the job spec names coordinator ${r.spec.coordinator}, but ${coordinator} signed the log` }, where)
    if (r.kind === 'stage-round') {
      // One spec for every round (a later one with more steps or a larger batch would pay more calls).
      const spec = sameSpecText(r.spec)
      stagedSpec ??= spec
      if (spec !== stagedSpec || r.spec.id !== r.job) note({ code: 'BAD_STAGE_WORK', epoch, round: r.round, message: `round ${r.round}: the record runs another job spec than the job's first staged round` }, where)
      // Each stage's price per call is the spec's own graphs' count, not the coordinator's say.
      let want = stageFlops.get(spec)
      if (want === undefined) {
        try {
          want = JSON.stringify(stageFlopsOf(r.spec))
        } catch (error) {
          want = `no count (${errorMessage(error)})`
        }
        stageFlops.set(spec, want)
      }
      if (JSON.stringify(r.stageFlops.map((f) => ({ forward: f.forward, backward: f.backward }))) !== want) note({ code: 'BAD_STAGE_WORK', epoch, round: r.round, message: `round ${r.round}: the record prices its stages' calls at ${JSON.stringify(r.stageFlops)} FLOPs, but the spec's stage graphs count ${want}` }, where)
      return
    }
    for (const unit of r.units) {
      checked.units++
      for (const h of unit.holders) {
        if (!h.result) continue
        const valid = h.signature !== undefined && (await verifyPeerSignature(h.peer, resultSigningBytes(h.result), h.signature))
        checked.resultSignatures++
        if (!valid) note({ code: 'BAD_RESULT_SIGNATURE', epoch, round: r.round, message: `round ${r.round}, unit ${unit.id}: the result recorded for ${h.peer.slice(0, 16)}… does not carry its signature` }, where)
      }
    }
    for (const d of r.datasets ?? []) {
      if (datasetsSeen.has(d.id)) continue
      datasetsSeen.add(d.id)
      checked.datasets++
      try {
        const id = await verifySignedManifest(decodeSignedManifest(d.signed))
        if (id !== d.id || decodeSignedManifest(d.signed).manifest.owner !== d.owner) throw new Error(`its manifest is dataset ${id.slice(0, 16)}… of ${decodeSignedManifest(d.signed).manifest.owner.slice(0, 16)}…`)
      } catch (error) {
        note({ code: 'BAD_MANIFEST', epoch, round: r.round, message: `round ${r.round}: dataset ${d.id.slice(0, 16)}… in use has no valid signed manifest from its owner (${errorMessage(error)})` }, where)
      }
    }
  }

  const checkBindings = async (rec: EpochRecord, where: Finding[]) => {
    for (const b of rec.bindings) {
      // Every field that is checked is in the key: keyed by signature alone, a later epoch could carry the same
      // signature with another wallet (or expiry) and route a volunteer's credit unchecked.
      const id = JSON.stringify([b.peer, b.wallet, b.expiry, b.boundAtMs, b.signature])
      if (bindingsSeen.has(id)) continue
      bindingsSeen.add(id)
      checked.bindings++
      try {
        const signed = { job: rec.job, peer: b.peer, wallet: getAddress(b.wallet), expiry: b.expiry, signature: b.signature as Hex }
        await verifyBinding(signed, { job: rec.job, fromPeer: b.peer, nowSeconds: Math.floor(b.boundAtMs / 1000), domain: { chainId: source.chainId, escrow: source.escrow } })
      } catch (error) {
        note({ code: 'BAD_BINDING', epoch: rec.epoch, message: `epoch ${rec.epoch}: the binding of ${b.peer.slice(0, 16)}… to ${b.wallet} is not that wallet's signature (${errorMessage(error)})` }, where)
      }
    }
  }

  for (let n = 1; n <= Number(escrow.epoch); n++) {
    const posted = await readEpoch(source.reader, source.escrow, key, n)
    const chain: ChainEpoch = { epoch: n, root: posted.root, amount: posted.amount, cumulative: posted.cumulative, postedAt: posted.postedAt, vetoed: posted.vetoed, treeCid: posted.treeCid, logCid: posted.logCid }
    const own: Finding[] = []
    const entry: EpochAudit = { epoch: n, status: 'unchecked', root: chain.root, recomputedRoot: null, findings: own }
    epochs.push(entry)
    // A vetoed root pays nothing and later roots do not build on it; an audit after a missing link is moot.
    if (chain.vetoed) {
      entry.status = 'vetoed'
      continue
    }
    if (broken) continue
    progress(`epoch ${n}: fetching its job-log record ${chain.logCid.slice(0, 24)}…`)
    const rec = await record(chain.logCid, own, n)
    if (!rec || rec.kind !== 'epoch') {
      if (rec) note({ code: 'BROKEN_CHAIN', epoch: n, message: `epoch ${n}: the chain's log id names a ${rec.kind} record, not an epoch record` }, own)
      entry.status = 'failed'
      broken = true
      continue
    }
    job ??= rec.job
    const mismatches: string[] = []
    if (rec.epoch !== n) mismatches.push(`it is epoch ${rec.epoch}'s record`)
    if (rec.escrowKey !== key || rec.chainId !== source.chainId || getAddress(rec.escrow) !== getAddress(source.escrow)) mismatches.push('it names another escrow')
    if (rec.job !== job) mismatches.push(`it is job "${rec.job}"'s record`)
    if (rec.prev !== previousLog) mismatches.push(`it follows ${rec.prev ?? 'nothing'}, not the previous standing epoch's record ${previousLog ?? '(none)'}`)
    if (BigInt(rec.deposited) > escrow.deposited) mismatches.push(`it counts a deposit of ${rec.deposited}, more than the escrow ever held`)
    if (rec.nowSeconds > Number(chain.postedAt) + CLOCK_SLACK_SECONDS) mismatches.push('its clock is ahead of the block that took its root')
    for (const m of mismatches) note({ code: 'RECORD_MISMATCH', epoch: n, message: `epoch ${n}: the job-log record does not fit the chain: ${m}` }, own)
    const chainOfRounds = rec.roundHead ? await roundsUpTo(rec.roundHead, own, n) : []
    if (!chainOfRounds) {
      entry.status = 'failed'
      broken = true
      continue
    }
    await checkBindings(rec, own)
    // A staged job's epoch pays the credit of every round closed before it and releases the pool over the rounds
    // that merged (a round with a failed audit merges nothing): both must be what its chain of rounds holds.
    const head = chainOfRounds.at(-1)
    if (head?.kind === 'stage-round') {
      const merged = chainOfRounds.filter((r) => r.kind === 'stage-round' && !r.audits.some((a) => !a.passed)).length
      if (rec.ledgerSeq !== head.round + 1 || rec.roundsClosed !== merged || rec.jobRounds !== head.spec.rounds || rec.job !== head.job) {
        note({ code: 'RECORD_MISMATCH', epoch: n, message: `epoch ${n}: it counts ${rec.roundsClosed} rounds merged and credit up to round ${rec.ledgerSeq - 1}, of ${rec.jobRounds}, but its chain holds ${merged} merged rounds up to round ${head.round}, of ${head.spec.rounds}` }, own)
      }
    }
    progress(`epoch ${n}: recomputing ${chainOfRounds.length} rounds of credit`)
    const recomputed = recomputeEpoch(book, rec, chainOfRounds)
    entry.recomputedRoot = recomputed.root
    let tree: EpochDocument | null = null
    try {
      tree = await source.fetchTree(chain.treeCid)
      if (tree.root !== chain.root) {
        note({ code: 'TREE_MISMATCH', epoch: n, message: `epoch ${n}: the published tree ${chain.treeCid.slice(0, 24)}… has root ${tree.root}, not the chain's ${chain.root}` }, own)
        tree = null
      }
    } catch (error) {
      note({ code: 'TREE_UNAVAILABLE', epoch: n, message: `epoch ${n}: its tree ${chain.treeCid.slice(0, 24)}… could not be fetched (${errorMessage(error)}); the root is still compared` }, own)
    }
    for (const f of compareEpoch(recomputed, chain, tree)) note(f, own)
    // The next epoch builds on what the log says, not on what was posted: one doctored epoch is reported once.
    book = recomputed.book
    previousLog = chain.logCid
    entry.status = own.length === 0 ? 'ok' : 'failed'
  }
  // Draws, commitments and probation need every round at once (a peer's earlier audits count).
  const wholeRounds = new Map([...rounds].filter((e): e is [string, RoundRecord] => e[1].kind === 'round'))
  const roundFindings = await checkRounds([...wholeRounds.values()].sort((a, b) => a.round - b.round))
  for (const f of roundFindings) note({ code: f.code, round: f.round, message: f.message })
  // A staged round pays nobody excluded by an earlier round's failed audit, and no more calls than it had.
  const excluded = new Set<string>()
  for (const r of [...rounds.values()].filter((r): r is StageRoundRecord => r.kind === 'stage-round').sort((a, b) => a.round - b.round)) {
    const problem = stageWorkProblem(r, excluded)
    if (problem) note({ code: 'BAD_STAGE_WORK', round: r.round, message: problem })
    for (const a of r.audits) if (!a.passed) excluded.add(a.peer)
  }
  // The deployed model the latest round announces: its record must name a round of the chain walked above.
  const latest = [...wholeRounds.values()].reduce<RoundRecord | null>((a, r) => (a === null || r.round > a.round ? r : a), null)
  if (latest?.spec.deployed && coordinator) {
    for (const f of await auditDeployment(source.fetchLog, coordinator, latest.spec.deployed, wholeRounds)) note(f)
    checked.deployment = true
  }
  // Epochs after a missing link stay unchecked, but that link is itself a finding: ok means everything checked out.
  return { key, job, coordinator, escrow, epochs, findings, ok: findings.length === 0, checked }
}
