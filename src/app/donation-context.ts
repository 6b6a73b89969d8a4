// This tab's donation, held by the app shell rather than the Volunteer page: a volunteer who opens the Ledger or
// Governance page keeps working (and keeps earning) until they press Stop, pause, or close the tab.
import { createContext, useContext } from 'react'
import type { VolunteerControls } from './hooks/useVolunteer.ts'

export const DonationContext = createContext<VolunteerControls | null>(null)

export function useDonation(): VolunteerControls {
  const value = useContext(DonationContext)
  if (value === null) throw new Error('useDonation must be used inside <DonationHost>')
  return value
}
