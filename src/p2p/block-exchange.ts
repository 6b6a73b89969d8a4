// Content-addressed blocks over Bitswap (/ipfs/bitswap/1.2.0, @helia/bitswap): parameters, deltas and data
// shards are stored once under their sha2-256 CID and fetched from whichever connected peer has them. Bitswap
// verifies every block against its CID on arrival, so a tampered block never reaches us; we check again
// before handing bytes out, because the local store is only as good as the disk under it.
import { withBitswap } from '@helia/bitswap'
import { defaultLogger } from '@libp2p/logger'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { TesseraeError } from '../errors.ts'
import { cidOf } from '../data/cid.ts'
import { concatBytes } from '../bytes.ts'

export const MAX_BLOCK_BYTES = 1 << 20
/** The largest Bitswap message either way: blocks a peer sends together arrive together. */
export const MAX_MESSAGE_BYTES = 2 * MAX_BLOCK_BYTES + 65_536
const DEFAULT_TIMEOUT_MS = 60_000

interface Broker {
  start(): Promise<void>
  stop(): Promise<void>
  announce(cid: CID): Promise<void>
  retrieve(cid: CID, options: { signal?: AbortSignal; providers?: PeerId[] }): Promise<Uint8Array>
}

export interface ExchangeStats {
  blocksFetched: number
  bytesFetched: number
  blocksStored: number
  bytesStored: number
}

async function readAll(chunks: Generator<Uint8Array> | AsyncGenerator<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const chunk of chunks) parts.push(chunk)
  return concatBytes(parts)
}

export class BlockExchange {
  readonly blockstore: Blockstore
  readonly stats: ExchangeStats = { blocksFetched: 0, bytesFetched: 0, blocksStored: 0, bytesStored: 0 }
  private readonly broker: Broker

  private constructor(blockstore: Blockstore, broker: Broker) {
    this.blockstore = blockstore
    this.broker = broker
  }

  /** Starts Bitswap on `libp2p`, serving blocks from `blockstore` to any peer that asks. */
  static async start(libp2p: Libp2p, blockstore: Blockstore): Promise<BlockExchange> {
    let broker: Broker | undefined
    // @helia/bitswap is packaged as a Helia mixin; this is the part of Helia it uses. Providers are found
    // by asking connected peers (Bitswap broadcasts wants) plus the peers named per request.
    const host = {
      status: 'starting',
      libp2p,
      blockstore,
      logger: defaultLogger(),
      routing: { async *findProviders() {} },
      getHasher: async (code: number) => {
        if (code === sha256.code) return sha256
        throw new TesseraeError('BAD_CID', `hash function 0x${code.toString(16)} is not accepted; blocks use sha2-256`)
      },
      hasBlockBroker: () => false,
      addBlockBroker: (b: Broker) => (broker = b),
      addMixin: (mixin: { start: (h: unknown) => Promise<void> }) => mixin.start(host),
    }
    await withBitswap(host as unknown as Parameters<typeof withBitswap>[0], {
      maxIncomingMessageSize: MAX_MESSAGE_BYTES,
      maxOutgoingMessageSize: MAX_MESSAGE_BYTES,
      sendBlocksTimeout: 30_000,
      messageReceiveTimeout: 30_000,
    } as Parameters<typeof withBitswap>[1])
    // addMixin's start runs asynchronously inside withBitswap; wait for the broker to exist.
    for (let i = 0; broker === undefined && i < 100; i++) await new Promise((r) => setTimeout(r, 10))
    if (broker === undefined) throw new TesseraeError('BITSWAP_FAILED', 'Bitswap did not start')
    return new BlockExchange(blockstore, broker)
  }

  async put(bytes: Uint8Array): Promise<CID> {
    if (bytes.length > MAX_BLOCK_BYTES) throw new TesseraeError('BLOCK_TOO_LARGE', `a block of ${bytes.length} bytes is over the ${MAX_BLOCK_BYTES}-byte limit`)
    const cid = await cidOf(bytes)
    if (!(await this.blockstore.has(cid))) {
      await this.blockstore.put(cid, bytes)
      this.stats.blocksStored++
      this.stats.bytesStored += bytes.length
    }
    await this.broker.announce(cid)
    return cid
  }

  async has(cid: CID): Promise<boolean> {
    return this.blockstore.has(cid)
  }

  /**
   * From the local store, else from the swarm (preferring `providers`), verified and then stored. `timeoutMs:
   * null`: no deadline of its own (the caller's `signal` decides, as a transfer's watchdog does).
   */
  async get(cid: CID, options: { providers?: PeerId[]; timeoutMs?: number | null; signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const id = cid.toString()
    if (await this.blockstore.has(cid)) {
      const bytes = await readAll(this.blockstore.get(cid))
      if (!(await cidOf(bytes)).equals(cid)) throw new TesseraeError('BLOCK_CORRUPT', `the local copy of ${id} does not match its CID; delete the site's data and reload`)
      return bytes
    }
    const timeoutMs = options.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : options.timeoutMs
    const timeout = timeoutMs === null ? null : AbortSignal.timeout(timeoutMs)
    const signals = [options.signal, timeout].filter((s) => s != null)
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0]
    let bytes: Uint8Array
    try {
      bytes = await this.broker.retrieve(cid, { signal, providers: options.providers })
    } catch (error) {
      if (timeout?.aborted) throw new TesseraeError('BLOCK_TIMEOUT', `no peer delivered block ${cid.toString()} within ${timeoutMs! / 1000} s`, { cause: error })
      throw error
    }
    if (bytes.length > MAX_BLOCK_BYTES) throw new TesseraeError('BLOCK_TOO_LARGE', `block ${cid.toString()} is ${bytes.length} bytes, over the limit`)
    this.stats.blocksFetched++
    this.stats.bytesFetched += bytes.length
    await this.blockstore.put(cid, bytes)
    return bytes
  }

  stop(): Promise<void> {
    return this.broker.stop()
  }
}
