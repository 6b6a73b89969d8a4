// The review's selection of samples and what it does to them: relabel them all as one class, or delete them.
import { useState } from 'react'
import type { ContributeState } from './useContribute.ts'

export function useSampleSelection(c: Pick<ContributeState, 'relabel' | 'remove'>) {
  const [selected, setSelected] = useState<Set<number>>(new Set())
  const [newLabel, setNewLabel] = useState(0)
  const toggle = (i: number) =>
    setSelected((old) => {
      const next = new Set(old)
      if (next.has(i)) next.delete(i)
      else next.add(i)
      return next
    })
  const apply = (action: 'relabel' | 'delete') => {
    const indices = [...selected]
    if (action === 'relabel') c.relabel(indices, newLabel)
    else c.remove(indices)
    setSelected(new Set())
  }
  return { selected, toggle, apply, newLabel, setNewLabel }
}
