// Reads one job's governance as a wallet sees it: the governor's rules, every proposal on the job with its
// live tally, the wallet's voting weight in each proposal's snapshot (its leaf in that epoch's tree, fetched
// from the swarm and checked against the root on chain) and whether it voted, the credit it would propose
// with now, and the roots still open to a veto. What cannot change any more (executed proposals, trees,
// votes cast) is read once.
import { getAddress, type Address, type Hex, type PublicClient } from 'viem'
import { findClaim, type Claim, type EpochDocument } from '../ledger/epoch-tree.ts'
import { readEpoch, readEscrowJob, readLatestFinal, type EscrowJob } from '../ledger/escrow.ts'
import type { PostedEpoch } from '../ledger/governance.ts'
import { readGovernanceRules, readHasVoted, readProposal, readProposalIds, type GovernanceRules, type Proposal } from '../ledger/governor.ts'
import { errorMessage } from '../errors.ts'
import { EarningsReader } from './earnings-reader.ts'

/** Most blocks one event query spans: public RPC endpoints refuse wider log ranges. */
const LOG_RANGE_BLOCKS = 10_000n

/** A wallet's weight in an epoch: its leaf (null: the tree has none for it), or why it could not be read. */
export type Weight = { leaf: Claim | null; error: null } | { leaf: null; error: string }

export interface ProposalStanding extends Proposal {
  /** Whether the wallet voted on it (false without a wallet). */
  voted: boolean
  /** The wallet's leaf in the proposal's snapshot: its cumulative credit there is its vote's weight. */
  weight: Weight | null
}

export interface GovernanceStanding {
  /** null: the job has no escrow on this chain, so nobody holds credit to vote with. */
  escrow: EscrowJob | null
  rules: GovernanceRules | null
  /** The latest final epoch (0: none yet): a proposal made now takes it as its snapshot. */
  latestFinal: number
  /** The wallet's leaf in that epoch: what it proposes with (null without a wallet or a final epoch). */
  credit: Weight | null
  /** Posted roots still in their challenge period (vetoed ones marked), oldest first. */
  openEpochs: PostedEpoch[]
  /** Oldest first. */
  proposals: ProposalStanding[]
}

export interface GovernanceReaderOptions {
  client: Pick<PublicClient, 'readContract' | 'getContractEvents' | 'getBlockNumber'>
  contracts: { escrow: Address; governor: Address }
  /** Where to start looking for proposals: the block the contracts were deployed in. */
  fromBlock: bigint
  key: Hex
  jobId: string
  fetchDocument: (treeCid: string) => Promise<EpochDocument>
}

export class GovernanceReader {
  private readonly options: GovernanceReaderOptions
  private readonly trees: EarningsReader
  private rules: GovernanceRules | null = null
  private nextBlock: bigint
  private readonly ids: bigint[] = []
  private scanning: Promise<void> | null = null
  private readonly executed = new Map<bigint, Proposal>()
  private readonly leaves = new Map<string, Claim | null>()
  private readonly votes = new Set<string>()

  constructor(options: GovernanceReaderOptions) {
    this.options = options
    this.nextBlock = options.fromBlock
    this.trees = new EarningsReader(options.client, options.contracts.escrow, options.fetchDocument)
  }

  async read(wallet: Address | undefined, nowSeconds: number): Promise<GovernanceStanding> {
    const { client, contracts, key } = this.options
    const escrow = await readEscrowJob(client, contracts.escrow, key)
    if (!escrow) return { escrow: null, rules: null, latestFinal: 0, credit: null, openEpochs: [], proposals: [] }
    this.rules ??= await readGovernanceRules(client, contracts.governor)
    await this.scanProposals()
    const latestFinal = await readLatestFinal(client, contracts.escrow, key)
    const proposals: ProposalStanding[] = []
    for (const id of this.ids) {
      const p = await this.proposal(id)
      proposals.push({ ...p, voted: wallet ? await this.voted(id, wallet) : false, weight: wallet ? await this.weight(p.snapshotEpoch, wallet) : null })
    }
    return {
      escrow,
      rules: this.rules,
      latestFinal,
      credit: wallet && latestFinal > 0 ? await this.weight(latestFinal, wallet) : null,
      openEpochs: await this.openEpochs(escrow, nowSeconds),
      proposals,
    }
  }

  /** The wallet's leaf in the latest final root as the chain has it now: what a proposal sent now is checked against. */
  async creditNow(wallet: Address): Promise<{ epoch: number; weight: Weight }> {
    const epoch = await readLatestFinal(this.options.client, this.options.contracts.escrow, this.options.key)
    return { epoch, weight: epoch > 0 ? await this.weight(epoch, wallet) : { leaf: null, error: null } }
  }

  /**
   * Adds the ids of proposals created since the last scan, a bounded block range at a time. Reads overlap (a
   * page polls every few seconds and again after each transaction, and a read can take longer than that):
   * two scans from the same block listed every proposal twice, so a scan joins the one in flight.
   */
  private scanProposals(): Promise<void> {
    this.scanning ??= this.scanFromNextBlock().finally(() => {
      this.scanning = null
    })
    return this.scanning
  }

  private async scanFromNextBlock(): Promise<void> {
    const { client, contracts, key } = this.options
    const latest = await client.getBlockNumber({ cacheTime: 0 })
    while (this.nextBlock <= latest) {
      const to = this.nextBlock + LOG_RANGE_BLOCKS - 1n < latest ? this.nextBlock + LOG_RANGE_BLOCKS - 1n : latest
      for (const id of await readProposalIds(client, contracts.governor, key, this.nextBlock, to)) if (!this.ids.includes(id)) this.ids.push(id)
      this.nextBlock = to + 1n
    }
  }

  private async proposal(id: bigint): Promise<Proposal> {
    const done = this.executed.get(id)
    if (done) return done
    const p = await readProposal(this.options.client, this.options.contracts.governor, id)
    if (p.executed) this.executed.set(id, p)
    return p
  }

  private async voted(id: bigint, wallet: Address): Promise<boolean> {
    const entry = `${id}:${getAddress(wallet)}`
    if (this.votes.has(entry)) return true
    const voted = await readHasVoted(this.options.client, this.options.contracts.governor, id, wallet)
    if (voted) this.votes.add(entry)
    return voted
  }

  /** The wallet's leaf in `epoch`'s tree: the tree must be the one whose root is on chain. */
  private async weight(epoch: number, wallet: Address): Promise<Weight> {
    const entry = `${epoch}:${getAddress(wallet)}`
    const known = this.leaves.get(entry)
    if (known !== undefined) return { leaf: known, error: null }
    try {
      const posted = await readEpoch(this.options.client, this.options.contracts.escrow, this.options.key, epoch)
      const doc = await this.trees.document(posted.treeCid, { jobId: this.options.jobId, epoch, root: posted.root })
      const leaf = findClaim(doc, wallet)
      this.leaves.set(entry, leaf)
      return { leaf, error: null }
    } catch (error) {
      return { leaf: null, error: `epoch ${epoch}'s tree could not be read: ${errorMessage(error).split('\n')[0]}` }
    }
  }

  /** Roots posted recently enough to be in their challenge period; older ones are final (or were vetoed). */
  private async openEpochs(escrow: EscrowJob, nowSeconds: number): Promise<PostedEpoch[]> {
    const out: PostedEpoch[] = []
    for (let n = Number(escrow.epoch); n > 0; n--) {
      const e = await readEpoch(this.options.client, this.options.contracts.escrow, this.options.key, n)
      const finalAt = Number(e.postedAt + escrow.challengePeriod)
      // Roots are posted in order, so every earlier one's challenge period ended too.
      if (nowSeconds >= finalAt) break
      out.unshift({ epoch: n, finalAt, vetoed: e.vetoed })
    }
    return out
  }
}
