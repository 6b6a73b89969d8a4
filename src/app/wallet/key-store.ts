// Chain keys this browser holds, in IndexedDB: the local chain's burner wallet, and each tab coordinator's
// per-job key (the escrow's `coordinator`, so the researcher's wallet is asked once, to fund, not every epoch).
// That key is not just gas money: it posts the roots that grant credit out of the job's pool, so whoever holds
// it can grant the whole unreserved pool to anyone. The escrow limits the damage (a root only reserves what no
// earlier root did, waits out a challenge period in which the owner or a governance vote can veto it, and
// final credit can never be taken back) and the owner can replace a lost key after a timelock; but a stolen
// key is a real loss of the unreserved pool if nobody audits and vetoes in time.
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
