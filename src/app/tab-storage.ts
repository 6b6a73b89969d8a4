// What a tab keeps in IndexedDB: its peer key (one per concurrently open tab, claimed with a Web Lock so
// two tabs never share an identity, and the same slot comes back after a reload), the coordinator's job
// and checkpoint, and content-addressed blocks (params, deltas, shards) in their own database.
import { openDB, type IDBPDatabase } from 'idb'
import { IDBBlockstore } from 'blockstore-idb'
import type { KeyStore } from '../p2p/peer-key.ts'
import type { CheckpointStore } from '../training/coordinator.ts'

const DB = 'tesserae'
let db: Promise<IDBPDatabase> | null = null

function database(): Promise<IDBPDatabase> {
  db ??= openDB(DB, 1, {
    upgrade(d) {
      d.createObjectStore('keys')
      d.createObjectStore('checkpoints')
      d.createObjectStore('jobs')
    },
  })
  return db
}

/**
 * Claims the lowest free identity slot for this tab's lifetime. Slot 0 is waited for briefly, because on a
 * reload the old document may still hold it for a moment.
 */
export async function claimPeerSlot(): Promise<number> {
  if (!('locks' in navigator)) return 0
  for (let slot = 0; slot < 64; slot++) {
    const got = await new Promise<boolean>((resolve) => {
      const options: LockOptions = slot === 0 ? { signal: AbortSignal.timeout(2000) } : { ifAvailable: true }
      navigator.locks
        .request(`tesserae-peer-slot-${slot}`, options, (lock) => {
          if (lock === null) return resolve(false)
          resolve(true)
          // Held until the tab goes away.
          return new Promise<never>(() => undefined)
        })
        .catch(() => resolve(false))
    })
    if (got) return slot
  }
  throw new Error('more than 64 Tesserae tabs are open in this browser')
}

export class IdbKeyStore implements KeyStore {
  private readonly slot: number
  constructor(slot: number) {
    this.slot = slot
  }
  async load(): Promise<Uint8Array | null> {
    return ((await (await database()).get('keys', `peer-${this.slot}`)) as Uint8Array | undefined) ?? null
  }
  async save(bytes: Uint8Array): Promise<void> {
    await (await database()).put('keys', bytes, `peer-${this.slot}`)
  }
}

export class IdbCheckpointStore implements CheckpointStore {
  private readonly jobId: string
  constructor(jobId: string) {
    this.jobId = jobId
  }
  async load(): Promise<string | null> {
    return ((await (await database()).get('checkpoints', this.jobId)) as string | undefined) ?? null
  }
  async save(text: string): Promise<void> {
    await (await database()).put('checkpoints', text, this.jobId)
  }
}

/** The job this tab coordinates, per identity slot, so a reload resumes it. */
export async function loadCoordinatedJob(slot: number): Promise<unknown> {
  return (await (await database()).get('jobs', `coordinated-${slot}`)) ?? null
}

export async function saveCoordinatedJob(slot: number, job: unknown): Promise<void> {
  await (await database()).put('jobs', job, `coordinated-${slot}`)
}

export async function openBlockstore(): Promise<IDBBlockstore> {
  const store = new IDBBlockstore('tesserae-blocks')
  await store.open()
  return store
}
