// How much memory this tab may give a model it runs (the use page's limit): the visitor's own choice, kept
// across reloads, or a share of what the device reports. A model that needs more runs on the job's stage peers
// (issue 19) instead of in this tab.
const KEY = 'tesserae.tabMemoryMiB.v1'
export const TAB_MEMORY_MIB = { min: 1, max: 65_536 }

/** A quarter of the device's memory (Chrome reports at most 8 GiB, rounded), or 1 GiB where it says nothing. */
export function defaultTabMemoryMiB(deviceMemoryGiB: number | undefined): number {
  return deviceMemoryGiB !== undefined && deviceMemoryGiB > 0 ? Math.max(64, Math.round((deviceMemoryGiB * 1024) / 4)) : 1024
}

/** A stored or typed limit in MiB, or null when it is not a whole number in range. */
export function parseTabMemoryMiB(text: string | null): number | null {
  if (text === null || !/^\d+$/.test(text.trim())) return null
  const value = Number(text.trim())
  return value >= TAB_MEMORY_MIB.min && value <= TAB_MEMORY_MIB.max ? value : null
}

export function loadTabMemoryMiB(): number {
  const device = (navigator as Navigator & { deviceMemory?: number }).deviceMemory
  return parseTabMemoryMiB(localStorage.getItem(KEY)) ?? defaultTabMemoryMiB(device)
}

export function saveTabMemoryMiB(value: number): void {
  localStorage.setItem(KEY, String(value))
}
