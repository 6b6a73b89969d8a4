// The contributor's datasets in IndexedDB (idb): chunk bytes keyed by CID, and per dataset its signed
// manifest plus what each job made of it. A dataset is written in one transaction, chunks and manifest
// together, so a failed save (quota, a closed tab) leaves nothing behind.
import { openDB, type IDBPDatabase } from 'idb'
import type { Chunk } from './chunks.ts'
import type { SignedManifest } from './manifest.ts'
import { TesseraeError } from '../errors.ts'

export interface JobOffer {
  jobId: string
  jobName: string
  status: 'pending' | 'accepted' | 'rejected' | 'failed'
  reason: string
  atMs: number
}

export interface StoredDataset {
  id: string
  signed: SignedManifest
  savedAtMs: number
  offers: JobOffer[]
}

const DB = 'tesserae-data'
let db: Promise<IDBPDatabase> | null = null

function database(): Promise<IDBPDatabase> {
  db ??= openDB(DB, 1, {
    upgrade(d) {
      d.createObjectStore('chunks')
      d.createObjectStore('datasets', { keyPath: 'id' })
    },
  })
  return db
}

export async function saveDataset(id: string, signed: SignedManifest, chunks: Chunk[], now: number): Promise<StoredDataset> {
  const record: StoredDataset = { id, signed, savedAtMs: now, offers: [] }
  const tx = (await database()).transaction(['chunks', 'datasets'], 'readwrite')
  try {
    await Promise.all([...chunks.map((c) => tx.objectStore('chunks').put(c.bytes, c.cid)), tx.objectStore('datasets').put(record), tx.done])
  } catch (error) {
    // The transaction aborted as a whole; name the likely cause.
    const quota = error instanceof DOMException && error.name === 'QuotaExceededError'
    throw new TesseraeError(quota ? 'STORAGE_FULL' : 'STORAGE_FAILED', quota ? 'the browser refused the space for this dataset (storage quota exceeded); nothing was saved. Free space or remove another dataset.' : `saving the dataset failed and nothing was kept: ${error instanceof Error ? error.message : String(error)}`)
  }
  return record
}

export async function listDatasets(): Promise<StoredDataset[]> {
  return ((await (await database()).getAll('datasets')) as StoredDataset[]).sort((a, b) => b.savedAtMs - a.savedAtMs)
}

export async function recordOffer(id: string, offer: JobOffer): Promise<void> {
  const d = await database()
  const tx = d.transaction('datasets', 'readwrite')
  const record = (await tx.store.get(id)) as StoredDataset | undefined
  if (record) {
    record.offers = [...record.offers.filter((o) => o.jobId !== offer.jobId), offer]
    await tx.store.put(record)
  }
  await tx.done
}

/** The chunk bytes of a saved dataset, in manifest order; a missing chunk is an error naming it. */
export async function loadChunks(record: StoredDataset): Promise<Uint8Array[]> {
  const d = await database()
  return Promise.all(
    record.signed.manifest.chunks.map(async (c, i) => {
      const bytes = (await d.get('chunks', c.cid)) as Uint8Array | undefined
      if (!bytes) throw new TesseraeError('CHUNK_MISSING', `chunk ${i + 1} of "${record.signed.manifest.name}" is missing from this browser's storage`)
      return bytes
    }),
  )
}

/** Removes a dataset and every chunk no other dataset uses. */
export async function deleteDataset(id: string): Promise<void> {
  const d = await database()
  const tx = d.transaction(['chunks', 'datasets'], 'readwrite')
  const all = (await tx.objectStore('datasets').getAll()) as StoredDataset[]
  const target = all.find((x) => x.id === id)
  if (target) {
    const used = new Set(all.filter((x) => x.id !== id).flatMap((x) => x.signed.manifest.chunks.map((c) => c.cid)))
    for (const c of target.signed.manifest.chunks) if (!used.has(c.cid)) await tx.objectStore('chunks').delete(c.cid)
    await tx.objectStore('datasets').delete(id)
  }
  await tx.done
}

/** Read access by CID, as the tab's blockstore falls back to it when serving the swarm. */
export const datasetChunks = {
  async has(cid: string): Promise<boolean> {
    return (await (await database()).count('chunks', cid)) > 0
  },
  async get(cid: string): Promise<Uint8Array | undefined> {
    return ((await (await database()).get('chunks', cid)) as Uint8Array | undefined) ?? undefined
  },
}
