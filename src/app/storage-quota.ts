// The browser's storage budget for this origin, checked before a dataset is saved, and persistence
// requested so the browser does not evict a contributor's data under storage pressure.
export interface StorageBudget {
  usage: number
  quota: number
  persisted: boolean
}

export async function storageBudget(): Promise<StorageBudget | null> {
  if (!navigator.storage?.estimate) return null
  const { usage = 0, quota = 0 } = await navigator.storage.estimate()
  const persisted = (await navigator.storage.persisted?.()) ?? false
  return { usage, quota, persisted }
}

export async function requestPersistence(): Promise<boolean> {
  return (await navigator.storage?.persist?.()) ?? false
}

export const formatBytes = (n: number) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`)
