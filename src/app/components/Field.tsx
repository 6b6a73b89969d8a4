// One labelled form field with its hint and its error, wired for screen readers: the input gets the id, its
// invalid state, and the ids of the hint and error that describe it.
import type { ReactNode } from 'react'

export interface FieldA11y {
  id: string
  'aria-invalid': boolean
  'aria-describedby'?: string
}

export function Field(props: { id: string; label: string; error?: string; hint?: string; children: (a11y: FieldA11y) => ReactNode }) {
  const { id } = props
  const described = [props.error ? `${id}-error` : '', props.hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined
  return (
    <div className={`field${props.error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.children({ id, 'aria-invalid': Boolean(props.error), 'aria-describedby': described })}
      {props.hint && <small id={`${id}-hint`} className="hint">{props.hint}</small>}
      {props.error && <small id={`${id}-error`} className="field-error" role="status">{props.error}</small>}
    </div>
  )
}
