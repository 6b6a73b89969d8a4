// Reads a job's standing for one wallet: the escrow, every posted epoch (root, veto, challenge deadline), each
// epoch's tree fetched from the swarm and checked against its on-chain root, and which leaves the wallet already
// claimed. Trees are immutable once posted, so each is fetched once per reader.
import { getAddress, type Address, type Hex } from 'viem'
import { findClaim, type EpochDocument } from '../ledger/epoch-tree.ts'
import { readEpoch, readEscrowJob, type EscrowJob, type Reader } from '../ledger/escrow.ts'
import type { EpochStanding } from '../ledger/earnings.ts'
import { LedgerError } from '../ledger/errors.ts'
import { jobEscrowAbi } from '../ledger/generated/contracts.ts'

export interface JobStanding {
  escrow: EscrowJob | null
  epochs: EpochStanding[]
  /** The latest standing epoch's tree (per-peer earnings for a tab not bound yet), or null before the first. */
  latest: EpochDocument | null
}

export class EarningsReader {
  private readonly reader: Reader
  private readonly escrow: Address
  private readonly fetchDocument: (treeCid: string) => Promise<EpochDocument>
  private readonly documents = new Map<string, EpochDocument>()

  constructor(reader: Reader, escrow: Address, fetchDocument: (treeCid: string) => Promise<EpochDocument>) {
    this.reader = reader
    this.escrow = escrow
    this.fetchDocument = fetchDocument
  }

  async read(key: Hex, jobId: string, wallet: Address | undefined): Promise<JobStanding> {
    const escrow = await readEscrowJob(this.reader, this.escrow, key)
    if (!escrow) return { escrow: null, epochs: [], latest: null }
    const epochs: EpochStanding[] = []
    let latest: EpochDocument | null = null
    for (let n = 1; n <= Number(escrow.epoch); n++) {
      const posted = await readEpoch(this.reader, this.escrow, key, n)
      const finalAt = Number(posted.postedAt + escrow.challengePeriod)
      if (posted.vetoed) {
        epochs.push({ epoch: n, vetoed: true, finalAt, leaf: null, claimed: false })
        continue
      }
      const doc = await this.document(posted.treeCid, { jobId, epoch: n, root: posted.root })
      latest = doc
      const leaf = wallet ? findClaim(doc, wallet) : null
      const claimed = wallet && leaf && leaf.amount > 0n ? await this.reader.readContract({ address: this.escrow, abi: jobEscrowAbi, functionName: 'claimedIn', args: [key, BigInt(n), getAddress(wallet)] }) : false
      epochs.push({ epoch: n, vetoed: false, finalAt, leaf, claimed })
    }
    return { escrow, epochs, latest }
  }

  /** The epoch's tree, which must be the one the chain committed to: a coordinator cannot show one tree and post another. */
  async document(treeCid: string, expected: { jobId: string; epoch: number; root: Hex }): Promise<EpochDocument> {
    const cached = this.documents.get(treeCid)
    if (cached) return cached
    const doc = await this.fetchDocument(treeCid)
    if (doc.root !== expected.root || doc.epoch !== expected.epoch || doc.job !== expected.jobId || getAddress(doc.escrow) !== getAddress(this.escrow)) {
      throw new LedgerError('BAD_TREE', `the tree published for epoch ${expected.epoch} (root ${doc.root.slice(0, 10)}…, epoch ${doc.epoch}) is not the one on chain (root ${expected.root.slice(0, 10)}…); not claiming from it`)
    }
    this.documents.set(treeCid, doc)
    return doc
  }
}
