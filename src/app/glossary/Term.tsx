// A protocol word with its explanation: the word carries a hover title, and a small "?" button beside it
// shows the explanation in place (touch screens and keyboards have no hover).
import { useId, useState, type ReactNode } from 'react'
import { GLOSSARY, type GlossaryKey } from './terms.ts'

export function Term({ k, children }: { k: GlossaryKey; children?: ReactNode }) {
  const [open, setOpen] = useState(false)
  const id = useId()
  const { word, text } = GLOSSARY[k]
  return (
    <span className="term" data-term={k}>
      <span className="term-word" title={text}>{children ?? word}</span>
      <button type="button" className="term-help" aria-expanded={open} aria-controls={id} aria-label={`What is ${word}?`} onClick={() => setOpen(!open)}>?</button>
      {open && <span id={id} className="term-text" role="note">{text}</span>}
    </span>
  )
}

/** Every word in one list: the footer of each page. */
export function Glossary() {
  return (
    <details className="glossary" data-testid="glossary">
      <summary>Glossary: what the words on these pages mean</summary>
      <dl>
        {Object.entries(GLOSSARY).map(([key, { word, text }]) => (
          <div key={key} id={`glossary-${key}`}>
            <dt>{word}</dt>
            <dd>{text}</dd>
          </div>
        ))}
      </dl>
    </details>
  )
}
