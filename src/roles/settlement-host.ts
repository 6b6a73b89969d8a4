// The coordinator's side of settlement: checks wallet bindings before recording them, turns the credits ledger
// into an epoch after each round (tree published on the block exchange, root posted on chain), and follows the
// job's executed governance decisions. Every chain failure is logged and retried at the next round: the
// credits are in the checkpoint, so nothing is lost while the chain is unreachable.
import { formatUnits, getAddress, type Address, type PublicClient } from 'viem'
import { errorMessage, TesseraeError } from '../errors.ts'
import { bindingActive, verifyBinding, type SignedBinding } from '../ledger/binding.ts'
import { advanceEpoch, emptyEpochBook, epochBookFromJson, epochBookToJson, type EpochBook } from '../ledger/epochs.ts'
import { encodeEpochDocument, epochDocument } from '../ledger/epoch-tree.ts'
import { readDecisions, readEscrowJob, type Decision, type Writer } from '../ledger/escrow.ts'
import { jobEscrowAbi } from '../ledger/generated/contracts.ts'
import { jobKey } from '../ledger/job-key.ts'
import type { Coordinator } from '../training/coordinator.ts'
import { changeHyperParameter } from '../training/job-changes.ts'
import { asObject, readInteger } from '../schema.ts'

export interface SettlementChain {
  chainId: number
  escrow: Address
  governor: Address
  reader: PublicClient
  /** The coordinator's own account: the escrow's `coordinator` for this job, paying gas for roots. */
  writer: Writer
}

export interface SettlementHostOptions {
  coordinator: Coordinator
  chain: SettlementChain
  /** Stores the epoch document where peers can fetch it (the block exchange) and returns its CID. */
  publishTree: (bytes: Uint8Array) => Promise<string>
  /** Accepts (or rejects, with a reason) a dataset by governance decision: the host checks chunks first. */
  decideDataset: (id: string, accept: boolean, reason: string) => Promise<void>
  nowMs?: () => number
  log?: (line: string) => void
}

interface SettlementState {
  book: EpochBook
  /** Governance decisions already applied (the index of the next one to read). */
  decisionsApplied: number
}

export type EpochOutcome = { posted: true; epoch: number; root: string; total: bigint; treeCid: string } | { posted: false; reason: string }

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
    const { coordinator, chain } = this.options
    const wallet = await verifyBinding(signed, { job: coordinator.job.id, fromPeer: peer, nowSeconds: Math.floor(this.now() / 1000), domain: { chainId: chain.chainId, escrow: chain.escrow } })
    await coordinator.recordBinding(peer, { wallet, expiry: signed.expiry, signature: signed.signature, boundAtMs: this.now() })
    this.options.log?.(`peer ${peer.slice(0, 16)}… bound its credit to ${wallet}`)
    return { wallet, expiry: signed.expiry }
  }

  private state(): SettlementState {
    const raw = this.options.coordinator.view.settlement
    if (raw === undefined) return { book: emptyEpochBook(), decisionsApplied: 0 }
    const obj = asObject(raw, 'settlement state')
    return { book: epochBookFromJson(obj.book), decisionsApplied: readInteger(obj, 'decisionsApplied', 'settlement state') }
  }

  private save(state: SettlementState): Promise<void> {
    return this.options.coordinator.saveSettlement({ book: epochBookToJson(state.book), decisionsApplied: state.decisionsApplied })
  }

  /** After a round: allocate what it released, and post a new root if any wallet's total moved. */
  async closeEpoch(): Promise<EpochOutcome> {
    const { coordinator, chain } = this.options
    const job = coordinator.job
    const escrow = await readEscrowJob(chain.reader, chain.escrow, job.id)
    if (!escrow) return { posted: false, reason: 'the job has no escrow on this chain yet; credit waits in the ledger' }
    if (getAddress(escrow.coordinator) !== this.account) return { posted: false, reason: `the escrow names ${escrow.coordinator} as coordinator, not this coordinator's account ${this.account}` }
    if (escrow.closed) return { posted: false, reason: 'the job\'s escrow is closed' }
    const state = this.state()
    const nowSeconds = Math.floor(this.now() / 1000)
    const bindings = new Map<string, Address>()
    for (const [peer, b] of Object.entries(coordinator.bindings)) if (bindingActive({ job: job.id, peer, wallet: b.wallet as Address, expiry: b.expiry }, nowSeconds)) bindings.set(peer, getAddress(b.wallet))
    const { book, changed } = advanceEpoch(state.book, {
      deposited: escrow.deposited,
      roundsClosed: coordinator.view.current.round,
      jobRounds: job.rounds,
      dataShareBps: job.reward?.dataShareBps ?? 0,
      volunteerFlops: new Map([...coordinator.credits.allVolunteers()].map(([peer, c]) => [peer, c.flops])),
      dataSamples: new Map([...coordinator.credits.allDataOwners()].map(([owner, c]) => [owner, c.samples])),
      bindings,
    })
    if (!changed) {
      await this.save({ ...state, book })
      return { posted: false, reason: 'no bound wallet earned anything new' }
    }
    // After a crash between posting and saving, the chain may be an epoch ahead of the checkpoint.
    const epoch = Math.max(book.epoch, Number(escrow.epoch)) + 1
    const document = epochDocument(book, { job: job.id, chainId: chain.chainId, escrow: chain.escrow, epoch })
    const treeCid = await this.options.publishTree(encodeEpochDocument(document))
    const hash = await chain.writer.writeContract({ address: chain.escrow, abi: jobEscrowAbi, functionName: 'postRoot', args: [jobKey(job.id), BigInt(epoch), document.root, document.total, treeCid] })
    const receipt = await chain.reader.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new TesseraeError('ROOT_REVERTED', `posting epoch ${epoch}'s root reverted (transaction ${hash})`)
    await this.save({ ...state, book: { ...book, epoch } })
    this.options.log?.(`epoch ${epoch}: root ${document.root.slice(0, 10)}… over ${document.tree.values.length} wallets, ${formatUnits(document.total, job.reward?.decimals ?? 18)} ${job.reward?.symbol ?? ''} in all (tree ${treeCid.slice(0, 16)}…)`)
    return { posted: true, epoch, root: document.root, total: document.total, treeCid }
  }

  /** Reads decisions executed since the last call and applies each once, in order. */
  async followGovernance(): Promise<Decision[]> {
    const { coordinator, chain } = this.options
    const state = this.state()
    const decisions = await readDecisions(chain.reader, chain.governor, coordinator.job.id, state.decisionsApplied)
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
    const { coordinator } = this.options
    const label = `governance proposal ${decision.proposalId}`
    if (decision.kind === 'set-hyper-parameter') {
      const value = Number(decision.value / SCALE) + Number(decision.value % SCALE) / 1e18
      await coordinator.scheduleJobChange(changeHyperParameter(coordinator.job, decision.subject, value))
      this.options.log?.(`${label}: ${decision.subject} becomes ${value} from the next round`)
      return
    }
    const dataset = coordinator.datasets.find((d) => d.id === decision.subject)
    if (!dataset) throw new TesseraeError('UNKNOWN_DATASET', `no dataset ${decision.subject.slice(0, 16)}… was offered to this job`)
    const include = decision.kind === 'include-dataset'
    if ((dataset.status === 'accepted') === include) return
    await this.options.decideDataset(dataset.id, include, `${include ? 'included' : 'excluded'} by ${label}`)
    this.options.log?.(`${label}: dataset "${dataset.name}" ${include ? 'included' : 'excluded'}`)
  }
}
