// A tab coordinator's chain key, one per job, kept in this browser's IndexedDB: it is the escrow's
// `coordinator` and pays the gas for epoch roots, so the researcher's wallet is asked once (to fund), not
// every epoch. It holds only gas money; the pool itself sits in the escrow.
import { openDB } from 'idb'
import type { Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'

const open = () => openDB('tesserae-coordinator-keys', 1, { upgrade: (d) => d.createObjectStore('keys') })

export async function loadCoordinatorKey(jobId: string): Promise<Hex | null> {
  return ((await (await open()).get('keys', jobId)) as Hex | undefined) ?? null
}

export async function loadOrCreateCoordinatorKey(jobId: string): Promise<Hex> {
  const existing = await loadCoordinatorKey(jobId)
  if (existing) return existing
  const key = generatePrivateKey()
  await (await open()).put('keys', key, jobId)
  return key
}
