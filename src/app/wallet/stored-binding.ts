// The wallet this tab's peer key is bound to for a job, remembered per tab slot so the Volunteer page can show
// that wallet's earnings and the Ledger page the binding's state.
import { errorMessage } from '../../errors.ts'

export interface StoredBinding {
  wallet: string
  expiry: number
}

const bindingKey = (slot: number, jobId: string) => `tesserae.binding.${slot}.${jobId}`

export function storedBinding(slot: number, jobId: string): StoredBinding | null {
  try {
    const text = localStorage.getItem(bindingKey(slot, jobId))
    const stored = text ? (JSON.parse(text) as StoredBinding) : null
    // An expired binding no longer routes credit: show the tab as unbound so the user signs a new one.
    return stored && typeof stored.wallet === 'string' && stored.expiry * 1000 > Date.now() ? stored : null
  } catch (error) {
    console.warn(`ignoring a stored binding that does not parse: ${errorMessage(error)}`)
    return null
  }
}

export function saveBinding(slot: number, jobId: string, binding: StoredBinding): void {
  localStorage.setItem(bindingKey(slot, jobId), JSON.stringify(binding))
}
