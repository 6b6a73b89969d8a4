// Chain keys this browser holds, in IndexedDB: the local chain's burner wallet, and each tab coordinator's
// per-job key (the escrow's `coordinator`, paying gas for epoch roots so the researcher's wallet is asked once,
// to fund, not every epoch; it holds only gas money, the pool sits in the escrow).
import { openDB } from 'idb'
import type { Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'

const open = () => openDB('tesserae-wallet', 1, { upgrade: (d) => d.createObjectStore('keys') })

export const burnerKeyName = (chainId: number) => `burner-${chainId}`
export const coordinatorKeyName = (jobId: string) => `coordinator-${jobId}`

export async function loadKey(name: string): Promise<Hex | null> {
  return ((await (await open()).get('keys', name)) as Hex | undefined) ?? null
}

export async function loadOrCreateKey(name: string): Promise<Hex> {
  const existing = await loadKey(name)
  if (existing) return existing
  const key = generatePrivateKey()
  await (await open()).put('keys', key, name)
  return key
}
