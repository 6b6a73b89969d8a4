// The coordinator's side of settlement: checks wallet bindings before recording them, turns the credits ledger
// into an epoch after each round (tree published on the block exchange, root posted on chain), and follows the
// job's executed governance decisions. Every chain failure is logged and retried at the next round: the
// credits are in the checkpoint, so nothing is lost while the chain is unreachable.
import { formatUnits, getAddress, type Address, type Hex, type PublicClient } from 'viem'
import { errorMessage, TesseraeError } from '../errors.ts'
import { bindingActive, verifyBinding, type SignedBinding } from '../ledger/binding.ts'
import { advanceEpoch, emptyEpochBook, epochBookFromJson, epochBookToJson, markPosted, type EpochBook } from '../ledger/epochs.ts'
import { encodeEpochDocument, epochDocument } from '../ledger/epoch-tree.ts'
import { readDecisions, readEpoch, readEscrowJob, readLatestFinal, type Decision, type Writer } from '../ledger/escrow.ts'
import { jobEscrowAbi } from '../ledger/generated/contracts.ts'
import { escrowKeyOf } from '../ledger/job-key.ts'
import { CreditsLedger } from '../training/credits.ts'
import type { EpochRecord } from '../training/job-log.ts'
import type { LogStore } from '../training/stores.ts'
import type { Coordinator } from '../training/coordinator.ts'
import type { WalletBinding } from '../training/coordinator-state.ts'
import type { DatasetState } from '../training/datasets.ts'
import type { JobSpec } from '../training/job.ts'
import { changeHyperParameter } from '../training/job-changes.ts'
import { asObject, readInteger, readString } from '../schema.ts'

export interface SettlementChain {
  chainId: number
  escrow: Address
  governor: Address
  reader: PublicClient
  /** The coordinator's own account: the escrow's `coordinator` for this job, paying gas for roots. */
  writer: Writer
}

/**
 * A job as settlement sees it: its bindings and saved settlement state, and its credits as of the latest closed
 * round. A whole-model job's Coordinator (settledCoordinator) and a staged job's PipelineCoordinator both are one.
 */
export interface SettledJob {
  readonly job: JobSpec
  readonly bindings: Readonly<Record<string, WalletBinding>>
  recordBinding(peer: string, binding: Omit<WalletBinding, 'seq'>): Promise<void>
  /** What saveSettlement last saved (undefined before the first). */
  readonly settlement: unknown
  saveSettlement(state: unknown): Promise<void>
  /**
   * The credits when the latest round closed, exactly what a replay of the job log up to `roundHead` at
   * `ledgerSeq` gives: verified credit per peer and the peers that forfeit what waits for them.
   */
  closed(): { ledger: CreditsLedger; roundsClosed: number; roundHead: string; ledgerSeq: number; forfeited: ReadonlySet<string> }
  endAfterThisRound(): Promise<void>
  /** Absent for a job whose parameters and data governance cannot change (a staged job's). */
  scheduleJobChange?(job: JobSpec): Promise<void>
  readonly datasets?: readonly DatasetState[]
}

/** A whole-model job's coordinator, settled: its credits are those snapshot when its latest round closed. */
export function settledCoordinator(coordinator: Coordinator): SettledJob {
  return {
    get job() {
      return coordinator.job
    },
    get bindings() {
      return coordinator.bindings
    },
    recordBinding: (peer, binding) => coordinator.recordBinding(peer, binding),
    get settlement() {
      return coordinator.view.settlement
    },
    saveSettlement: (state) => coordinator.saveSettlement(state),
    closed() {
      const view = coordinator.view
      // As of the round's close, like the credits: exactly what a replay of the job log up to it gives.
      return { ledger: CreditsLedger.fromJSON(view.closedLedger ?? view.ledger), roundsClosed: view.current.round, roundHead: view.logHead ?? '', ledgerSeq: view.closedSeq ?? view.seq, forfeited: new Set(view.closedForfeits ?? []) }
    },
    endAfterThisRound: () => coordinator.endAfterThisRound(),
    scheduleJobChange: (job) => coordinator.scheduleJobChange(job),
    get datasets() {
      return coordinator.datasets
    },
  }
}

export interface SettlementHostOptions {
  source: SettledJob
  chain: SettlementChain
  /** Stores the epoch document where peers can fetch it (the block exchange) and returns its CID. */
  publishTree: (bytes: Uint8Array) => Promise<string>
  /** The job log (signed, published): each epoch's record goes there and its CID goes on chain. */
  jobLog: LogStore
  /** Accepts (or rejects, with a reason) a dataset by governance decision: the host checks chunks first. */
  decideDataset?: (id: string, accept: boolean, reason: string) => Promise<void>
  nowMs?: () => number
  log?: (line: string) => void
  /** Makes this a dishonest coordinator (tests and the audit's e2e): it doctors each epoch's book before posting. */
  adversary?: SettlementAdversary
}

/** What a dishonest coordinator does to an epoch's book before it publishes the tree and posts the root. */
export interface SettlementAdversary {
  doctorBook(book: EpochBook, epoch: number, self: Address): EpochBook
}

/** A posted epoch, kept until a later one is final: if a veto rejects it, the book goes back to before it. */
interface PostedEpoch {
  epoch: number
  book: EpochBook
  record: string
}

interface SettlementState {
  book: EpochBook
  /** Governance decisions already applied (the index of the next one to read). */
  decisionsApplied: number
  posted: PostedEpoch[]
  /** The latest epoch record in the job log, or null before the first. */
  lastRecord: string | null
}

export type EpochOutcome = { posted: true; epoch: number; root: string; amount: bigint; cumulative: bigint; treeCid: string; logCid: string } | { posted: false; reason: string }

const SCALE = 10n ** 18n

export class SettlementHost {
  private readonly options: SettlementHostOptions
  private readonly now: () => number

  constructor(options: SettlementHostOptions) {
    this.options = options
    this.now = options.nowMs ?? Date.now
  }

  get account(): Address {
    return this.options.chain.writer.account.address
  }

  /** Checks a binding sent by `peer` and records it; throws a sentence the peer is shown. */
  async bind(peer: string, signed: SignedBinding): Promise<{ wallet: Address; expiry: number }> {
    const { source: coordinator, chain } = this.options
    const wallet = await verifyBinding(signed, { job: coordinator.job.id, fromPeer: peer, nowSeconds: Math.floor(this.now() / 1000), domain: { chainId: chain.chainId, escrow: chain.escrow } })
    await coordinator.recordBinding(peer, { wallet, expiry: signed.expiry, signature: signed.signature, boundAtMs: this.now() })
    this.options.log?.(`peer ${peer.slice(0, 16)}… bound its credit to ${wallet}`)
    return { wallet, expiry: signed.expiry }
  }

  private state(): SettlementState {
    const raw = this.options.source.settlement
    if (raw === undefined) return { book: emptyEpochBook(), decisionsApplied: 0, posted: [], lastRecord: null }
    const obj = asObject(raw, 'settlement state')
    const posted = Array.isArray(obj.posted) ? obj.posted.map((p: unknown) => {
      const e = asObject(p, 'settlement state')
      return { epoch: readInteger(e, 'epoch', 'settlement state'), book: epochBookFromJson(e.book), record: readString(e, 'record', 'settlement state', 128) }
    }) : []
    return { book: epochBookFromJson(obj.book), decisionsApplied: readInteger(obj, 'decisionsApplied', 'settlement state'), posted, lastRecord: typeof obj.lastRecord === 'string' ? obj.lastRecord : null }
  }

  private save(state: SettlementState): Promise<void> {
    return this.options.source.saveSettlement({ book: epochBookToJson(state.book), decisionsApplied: state.decisionsApplied, posted: state.posted.map((p) => ({ ...p, book: epochBookToJson(p.book) })), lastRecord: state.lastRecord })
  }

  /**
   * After a round: undo any epoch a veto rejected, allocate what the round released, and post a new root if
   * any wallet gained since the last one, with the epoch's record in the job log.
   */
  async closeEpoch(): Promise<EpochOutcome> {
    const { source: coordinator, chain } = this.options
    const job = coordinator.job
    const key = escrowKeyOf(job)
    if (key === null) return { posted: false, reason: 'the job names no escrow owner, so nothing is escrowed; credit waits in the ledger' }
    const escrow = await readEscrowJob(chain.reader, chain.escrow, key)
    if (!escrow) return { posted: false, reason: 'the job has no escrow on this chain yet; credit waits in the ledger' }
    if (getAddress(escrow.coordinator) !== this.account) return { posted: false, reason: `the escrow names ${escrow.coordinator} as coordinator, not this coordinator's account ${this.account}` }
    if (escrow.closed) return { posted: false, reason: 'the job\'s escrow is closed' }
    const nowSeconds = Math.floor(this.now() / 1000)
    if (escrow.pausedUntil > BigInt(nowSeconds)) return { posted: false, reason: 'the job\'s escrow is paused by its owner' }
    const stored = this.state()
    let state = await this.undoVetoed(this.forgetIfChainReset(stored, Number(escrow.epoch)), key)
    const closed = coordinator.closed()
    const bindings = new Map<string, Address>()
    for (const [peer, b] of Object.entries(coordinator.bindings)) if (bindingActive({ job: job.id, peer, wallet: b.wallet as Address, expiry: b.expiry }, nowSeconds)) bindings.set(peer, getAddress(b.wallet))
    const inputs = {
      deposited: escrow.deposited,
      roundsClosed: closed.roundsClosed,
      jobRounds: job.rounds,
      dataShareBps: job.reward?.dataShareBps ?? 0,
      volunteerFlops: new Map([...closed.ledger.allVolunteers()].map(([peer, c]) => [peer, c.flops])),
      dataSamples: new Map([...closed.ledger.allDataOwners()].map(([owner, c]) => [owner, c.samples])),
      bindings,
      forfeited: closed.forfeited,
    }
    const advanced = advanceEpoch(state.book, inputs)
    const changed = advanced.changed
    // Only a posted epoch moves the book: an auditor replays exactly one step per root, from the log alone.
    if (!changed) {
      if (state !== stored) await this.save(state)
      return { posted: false, reason: 'no bound wallet earned anything new' }
    }
    const epoch = Number(escrow.epoch) + 1
    const book = this.options.adversary?.doctorBook(advanced.book, epoch, this.account) ?? advanced.book
    const after = markPosted(book, epoch)
    const record: EpochRecord = {
      kind: 'epoch', job: job.id, epoch, chainId: chain.chainId, escrow: chain.escrow, escrowKey: key, roundHead: closed.roundHead, roundsClosed: inputs.roundsClosed,
      ledgerSeq: closed.ledgerSeq, deposited: escrow.deposited.toString(), jobRounds: inputs.jobRounds, dataShareBps: inputs.dataShareBps, nowSeconds,
      bindings: Object.entries(coordinator.bindings).map(([peer, b]) => ({ peer, ...b })), book: epochBookToJson(after), prev: state.lastRecord,
    }
    const logCid = await this.options.jobLog.put(record)
    const document = epochDocument(book, { job: job.id, chainId: chain.chainId, escrow: chain.escrow, epoch, logCid })
    const treeCid = await this.options.publishTree(encodeEpochDocument(document))
    const hash = await chain.writer.writeContract({ address: chain.escrow, abi: jobEscrowAbi, functionName: 'postRoot', args: [key, BigInt(epoch), document.root, document.amount, document.cumulative, treeCid, logCid] })
    const receipt = await chain.reader.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new TesseraeError('ROOT_REVERTED', `posting epoch ${epoch}'s root reverted (transaction ${hash})`)
    state = { ...state, book: after, posted: [...state.posted, { epoch, book: after, record: logCid }], lastRecord: logCid }
    await this.save(await this.pruneFinal(state, key))
    this.options.log?.(`epoch ${epoch}: root ${document.root.slice(0, 10)}… reserves ${formatUnits(document.amount, job.reward?.decimals ?? 18)} ${job.reward?.symbol ?? ''} for ${document.tree.values.length} wallets (log ${logCid.slice(0, 16)}…, tree ${treeCid.slice(0, 16)}…)`)
    return { posted: true, epoch, root: document.root, amount: document.amount, cumulative: document.cumulative, treeCid, logCid }
  }

  /**
   * A chain that knows fewer epochs than this coordinator posted was reset (a fresh development chain): what
   * the book says was posted never happened there, so all credit goes into the next epoch again.
   */
  private forgetIfChainReset(state: SettlementState, chainEpoch: number): SettlementState {
    const lastPosted = state.posted.at(-1)?.epoch ?? 0
    if (chainEpoch >= lastPosted) return state
    this.options.log?.(`the escrow has ${chainEpoch} epochs but this coordinator posted ${lastPosted}: the chain was reset, so every credit is posted again`)
    return { ...state, book: emptyEpochBook(), posted: [], lastRecord: null }
  }

  /** A vetoed epoch (and every one after it) is undone: the book goes back to the last epoch that stands. */
  private async undoVetoed(state: SettlementState, key: Hex): Promise<SettlementState> {
    const { chain } = this.options
    for (const [i, posted] of state.posted.entries()) {
      if (!(await readEpoch(chain.reader, chain.escrow, key, posted.epoch)).vetoed) continue
      const kept = state.posted.slice(0, i)
      const base = kept.at(-1)
      this.options.log?.(`epoch ${posted.epoch} was vetoed: its credit goes back into the next epoch's split`)
      return { ...state, book: base ? base.book : emptyEpochBook(), posted: kept, lastRecord: base ? base.record : null }
    }
    return state
  }

  /** Keeps only the posted epochs a veto could still undo, and the latest final one they would fall back to. */
  private async pruneFinal(state: SettlementState, key: Hex): Promise<SettlementState> {
    const final = await readLatestFinal(this.options.chain.reader, this.options.chain.escrow, key)
    const keepFrom = state.posted.findLastIndex((p) => p.epoch <= final)
    return keepFrom <= 0 ? state : { ...state, posted: state.posted.slice(keepFrom) }
  }

  /** Reads decisions executed since the last call and applies each once, in order. */
  async followGovernance(): Promise<Decision[]> {
    const { source: coordinator, chain } = this.options
    const state = this.state()
    const key = escrowKeyOf(coordinator.job)
    if (key === null) return []
    const decisions = await readDecisions(chain.reader, chain.governor, key, state.decisionsApplied)
    for (const decision of decisions) {
      try {
        await this.apply(decision)
      } catch (error) {
        // A decision that cannot apply (an unknown dataset, an out-of-range value) is recorded as seen so the
        // rest still apply; the log says why it was skipped.
        this.options.log?.(`governance decision ${decision.index} (proposal ${decision.proposalId}) not applied: ${errorMessage(error)}`)
      }
      await this.save({ ...this.state(), decisionsApplied: decision.index + 1 })
    }
    return decisions
  }

  private async apply(decision: Decision): Promise<void> {
    const { source: coordinator } = this.options
    const label = `governance proposal ${decision.proposalId}`
    if (decision.kind === 'veto-root') {
      // The escrow already rejected the root; the next epoch undoes it in the book (closeEpoch).
      this.options.log?.(`${label}: epoch ${decision.value} vetoed`)
      return
    }
    if (decision.kind === 'end-job') {
      await coordinator.endAfterThisRound()
      this.options.log?.(`${label}: the job ends when this round closes`)
      return
    }
    if (decision.kind === 'set-hyper-parameter') {
      if (!coordinator.scheduleJobChange) throw new TesseraeError('FIXED_JOB', `a staged job's hyper-parameters are fixed when it is made, so ${decision.subject} stays as it is`)
      const value = Number(decision.value / SCALE) + Number(decision.value % SCALE) / 1e18
      await coordinator.scheduleJobChange(changeHyperParameter(coordinator.job, decision.subject, value))
      this.options.log?.(`${label}: ${decision.subject} becomes ${value} from the next round`)
      return
    }
    if (!coordinator.datasets || !this.options.decideDataset) throw new TesseraeError('FIXED_JOB', 'a staged job trains on its owner\'s own data only, so there is no contributed dataset to include or exclude')
    const dataset = coordinator.datasets.find((d) => d.id === decision.subject)
    if (!dataset) throw new TesseraeError('UNKNOWN_DATASET', `no dataset ${decision.subject.slice(0, 16)}… was offered to this job`)
    const include = decision.kind === 'include-dataset'
    if ((dataset.status === 'accepted') === include) return
    await this.options.decideDataset(dataset.id, include, `${include ? 'included' : 'excluded'} by ${label}`)
    this.options.log?.(`${label}: dataset "${dataset.name}" ${include ? 'included' : 'excluded'}`)
  }
}
