// The tab's blockstore as Bitswap sees it: its own block database first, then a read-only source (the
// contributor's dataset chunks, stored once in their own IndexedDB store), so datasets are served to the
// swarm without a second copy. Writes and deletes touch only the primary store.
import type { AbortOptions } from '@libp2p/interface'
import type { Blockstore, InputPair, Pair } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import { TesseraeError } from '../errors.ts'

export interface BlockSource {
  has(cid: string): Promise<boolean>
  get(cid: string): Promise<Uint8Array | undefined>
}

export class LayeredBlockstore implements Blockstore {
  private readonly primary: Blockstore
  private readonly source: BlockSource
  /** Blocks handed out from the source (to Bitswap, i.e. to other peers). */
  served = 0

  constructor(primary: Blockstore, source: BlockSource) {
    this.primary = primary
    this.source = source
  }

  async has(cid: CID, options?: AbortOptions): Promise<boolean> {
    return (await this.primary.has(cid, options)) || this.source.has(cid.toString())
  }

  async *get(cid: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    if (await this.primary.has(cid, options)) {
      yield* this.primary.get(cid, options)
      return
    }
    const bytes = await this.source.get(cid.toString())
    if (bytes === undefined) throw new TesseraeError('NOT_FOUND', `block ${cid.toString()} is not stored here`)
    this.served++
    yield bytes
  }

  put(cid: CID, bytes: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options?: AbortOptions) {
    return this.primary.put(cid, bytes, options)
  }

  putMany(source: Iterable<InputPair> | AsyncIterable<InputPair>, options?: AbortOptions) {
    return this.primary.putMany(source, options)
  }

  async *getMany(source: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions): AsyncGenerator<Pair> {
    for await (const cid of source) yield { cid, bytes: this.get(cid, options) }
  }

  getAll(options?: AbortOptions) {
    return this.primary.getAll(options)
  }

  delete(cid: CID, options?: AbortOptions) {
    return this.primary.delete(cid, options)
  }

  deleteMany(source: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions) {
    return this.primary.deleteMany(source, options)
  }
}
