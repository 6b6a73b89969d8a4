// The Governance page's proposal form, checked as the user types: each kind's fields turned into JobGovernor's
// (kind, subject, value) arguments, or a sentence per field saying what is wrong. A proposal the coordinator
// could not apply (an unknown parameter, a value the job cannot take, a dataset not offered to the job, an
// epoch past its challenge period) is refused here, before anyone pays gas to vote on it.
import { DECISION_KINDS, type DecisionKind } from './escrow.ts'
import { fixed18ToNumber, parseFixed18 } from './governance.ts'
import type { DatasetStatus } from '../training/datasets.ts'

/** JobGovernor.propose refuses subjects outside 1–128 bytes (EmptySubject). */
export const MAX_SUBJECT_BYTES = 128

/** The form's raw text, exactly as typed; each kind reads only its own fields. */
export interface ProposalDraft {
  kind: DecisionKind
  parameter: string
  value: string
  dataset: string
  epoch: string
  /** End the job: the reason. Veto a root: the evidence (a content id or a short text). */
  subject: string
}

export type ProposalField = keyof ProposalDraft

export interface DraftContext {
  /** Hyper-parameters a vote may change, and the check a new value must pass (null: fine). */
  parameters: readonly string[]
  checkParameter: (name: string, value: number) => string | null
  /** The job's offered datasets as its coordinator reports them. */
  datasets: ReadonlyArray<{ id: string; name: string; status: DatasetStatus }>
  /** Epochs whose roots are still in their challenge period. */
  vetoable: readonly number[]
}

export type DraftResult = { ok: true; kind: number; subject: string; value: bigint } | { ok: false; errors: Partial<Record<ProposalField, string>> }

export const EMPTY_DRAFT: ProposalDraft = { kind: 'set-hyper-parameter', parameter: '', value: '', dataset: '', epoch: '', subject: '' }

const bytes = (text: string) => new TextEncoder().encode(text).length

function freeText(text: string, what: string): string | { error: string } {
  const t = text.trim()
  if (t === '') return { error: `say ${what}` }
  if (bytes(t) > MAX_SUBJECT_BYTES) return { error: `at most ${MAX_SUBJECT_BYTES} bytes (this is ${bytes(t)}); link longer evidence by its content id` }
  return t
}

export function validateProposalDraft(draft: ProposalDraft, context: DraftContext): DraftResult {
  const kind = DECISION_KINDS.indexOf(draft.kind)
  if (kind < 0) return { ok: false, errors: { kind: `unknown proposal kind "${String(draft.kind).slice(0, 30)}"` } }
  const fail = (field: ProposalField, error: string): DraftResult => ({ ok: false, errors: { [field]: error } })
  switch (draft.kind) {
    case 'set-hyper-parameter': {
      if (!context.parameters.includes(draft.parameter)) return fail('parameter', `choose one of ${context.parameters.join(', ')}`)
      const parsed = parseFixed18(draft.value)
      if ('error' in parsed) return fail('value', parsed.error)
      const problem = context.checkParameter(draft.parameter, fixed18ToNumber(parsed.value))
      if (problem) return fail('value', problem)
      return { ok: true, kind, subject: draft.parameter, value: parsed.value }
    }
    case 'include-dataset':
    case 'exclude-dataset': {
      const include = draft.kind === 'include-dataset'
      const dataset = context.datasets.find((d) => d.id === draft.dataset)
      if (!dataset) return fail('dataset', context.datasets.length === 0 ? 'nobody has offered this job a dataset yet' : 'choose one of the datasets offered to this job')
      if (include && dataset.status === 'accepted') return fail('dataset', `"${dataset.name}" is already trained on`)
      if (!include && dataset.status !== 'accepted') return fail('dataset', `"${dataset.name}" is not trained on now (it is ${dataset.status})`)
      if (bytes(dataset.id) > MAX_SUBJECT_BYTES) return fail('dataset', `its id is longer than the ${MAX_SUBJECT_BYTES} bytes a proposal may name`)
      return { ok: true, kind, subject: dataset.id, value: 0n }
    }
    case 'end-job': {
      const reason = freeText(draft.subject, 'why the job should end')
      return typeof reason === 'string' ? { ok: true, kind, subject: reason, value: 0n } : fail('subject', reason.error)
    }
    case 'veto-root': {
      const epoch = Number(draft.epoch)
      const errors: Partial<Record<ProposalField, string>> = {}
      if (context.vetoable.length === 0) errors.epoch = 'no root is in its challenge period now, so there is none to veto'
      else if (!Number.isInteger(epoch) || !context.vetoable.includes(epoch)) errors.epoch = `choose an epoch still open to challenge (${context.vetoable.join(', ')})`
      const evidence = freeText(draft.subject, 'where the evidence is (a content id, or a short description)')
      if (typeof evidence !== 'string') errors.subject = evidence.error
      if (Object.keys(errors).length > 0 || typeof evidence !== 'string') return { ok: false, errors }
      return { ok: true, kind, subject: evidence, value: BigInt(epoch) }
    }
  }
}
