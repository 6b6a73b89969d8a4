// A wide table's horizontal scroller: focusable and named, so keyboard users can scroll it (axe rule
// scrollable-region-focusable) and the page itself never scrolls sideways on a phone.
import type { ReactNode } from 'react'

export function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  )
}
