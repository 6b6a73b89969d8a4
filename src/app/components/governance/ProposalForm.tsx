// Proposing a change to a job: a hyper-parameter (checked against the job's own bounds), including or excluding
// one of its offered datasets, ending it, or vetoing a root still in its challenge period. Each field is
// checked by the same pure rules the tests exercise (ledger/proposal-draft.ts) before anything is signed.
import { useMemo, useState, type FormEvent } from 'react'
import { errorMessage } from '../../../errors.ts'
import { DECISION_KINDS, type DecisionKind } from '../../../ledger/escrow.ts'
import { durationInWords, vetoableEpochs, type PostedEpoch } from '../../../ledger/governance.ts'
import { EMPTY_DRAFT, validateProposalDraft, type ProposalDraft, type ProposalField } from '../../../ledger/proposal-draft.ts'
import type { DatasetMetrics } from '../../../p2p/job-topics.ts'
import { changeHyperParameter, GOVERNED_PARAMETERS, type GovernedParameter } from '../../../training/job-changes.ts'
import type { JobSpec } from '../../../training/job.ts'
import { Field } from '../Field.tsx'

const KIND_WORDS: Record<DecisionKind, string> = {
  'set-hyper-parameter': 'Change a hyper-parameter',
  'include-dataset': 'Include a contributed dataset',
  'exclude-dataset': 'Exclude a dataset from training',
  'end-job': 'End the job',
  'veto-root': 'Veto a root still open to challenge',
}

const PARAMETER_WORDS: Record<GovernedParameter, string> = {
  innerLr: 'inner learning rate (each volunteer\'s AdamW steps)',
  outerLr: 'outer learning rate (the Nesterov step on the averaged delta)',
  outerMomentum: 'outer momentum',
  innerSteps: 'inner steps per unit (H)',
  unitsPerRound: 'units per round',
  auditRate: 'audit rate (share of units re-executed)',
  roundMs: 'round deadline (milliseconds)',
}

export interface ProposalFormProps {
  job: JobSpec
  datasets: readonly DatasetMetrics[]
  openEpochs: readonly PostedEpoch[]
  nowSeconds: number
  /** Why this wallet cannot propose now (no wallet, no credit in the latest final root), or null. */
  blocked: string | null
  busy: boolean
  onPropose: (proposal: { kind: number; subject: string; value: bigint }) => void
}

export function ProposalForm(props: ProposalFormProps) {
  const { job } = props
  const idBase = `proposal-${job.id.replace(/[^A-Za-z0-9_-]/g, '_')}`
  const [draft, setDraft] = useState<ProposalDraft>({ ...EMPTY_DRAFT, parameter: GOVERNED_PARAMETERS[0] })
  const [touched, setTouched] = useState(false)
  const vetoable = useMemo(() => vetoableEpochs(props.openEpochs, props.nowSeconds), [props.openEpochs, props.nowSeconds])
  const include = draft.kind === 'include-dataset'
  const datasets = props.datasets.filter((d) => (include ? d.status !== 'accepted' : d.status === 'accepted'))
  const result = useMemo(
    () => validateProposalDraft(draft, {
      parameters: GOVERNED_PARAMETERS,
      checkParameter: (name, value) => {
        try {
          changeHyperParameter(job, name, value)
          return null
        } catch (error) {
          return errorMessage(error)
        }
      },
      datasets: props.datasets,
      vetoable: vetoable.map((v) => v.epoch),
    }),
    [draft, job, props.datasets, vetoable],
  )
  const errors = touched && !result.ok ? result.errors : {}
  const set = (field: ProposalField) => (value: string) => setDraft((d) => ({ ...d, [field]: value }))
  const id = (field: ProposalField) => `${idBase}-${field}`

  const submit = (event: FormEvent) => {
    event.preventDefault()
    setTouched(true)
    // The fields are checked first, whatever else stops a proposal now (the reason is shown above the form).
    if (!result.ok) document.getElementById(id(Object.keys(result.errors)[0] as ProposalField))?.focus()
    else if (props.blocked === null) props.onPropose(result)
  }

  const parameter = GOVERNED_PARAMETERS.find((p) => p === draft.parameter)
  return (
    <form onSubmit={submit} noValidate aria-label={`Propose a change to ${job.name}`} data-testid="proposal-form">
      <h4>Propose</h4>
      {props.blocked && <p className="hint" data-testid="propose-blocked">{props.blocked}</p>}
      <Field id={id('kind')} label="Proposal" error={errors.kind}>
        {(a11y) => (
          <select {...a11y} value={draft.kind} onChange={(e) => set('kind')(e.target.value)}>
            {DECISION_KINDS.map((k) => <option key={k} value={k}>{KIND_WORDS[k]}</option>)}
          </select>
        )}
      </Field>
      {draft.kind === 'set-hyper-parameter' && (
        <>
          <Field id={id('parameter')} label="Hyper-parameter" error={errors.parameter}>
            {(a11y) => (
              <select {...a11y} value={draft.parameter} onChange={(e) => set('parameter')(e.target.value)}>
                {GOVERNED_PARAMETERS.map((p) => <option key={p} value={p}>{p}: {PARAMETER_WORDS[p]}</option>)}
              </select>
            )}
          </Field>
          <Field id={id('value')} label="New value" error={errors.value} hint={`now ${parameter ? job[parameter] : '—'}; applied from the coordinator's next round once the proposal passes`}>
            {(a11y) => <input {...a11y} type="text" inputMode="decimal" autoComplete="off" value={draft.value} onChange={(e) => set('value')(e.target.value)} />}
          </Field>
        </>
      )}
      {(draft.kind === 'include-dataset' || draft.kind === 'exclude-dataset') && (
        <Field id={id('dataset')} label="Dataset" error={errors.dataset} hint={datasets.length === 0 ? (include ? 'every dataset offered to this job is trained on already' : 'no contributed dataset is trained on now') : include ? 'datasets offered to this job and not trained on now' : 'datasets this job trains on now'}>
          {(a11y) => (
            <select {...a11y} value={draft.dataset} onChange={(e) => set('dataset')(e.target.value)}>
              <option value="">Choose a dataset…</option>
              {datasets.map((d) => <option key={d.id} value={d.id}>{d.name} ({d.samples.toLocaleString()} samples, {d.licence}, {d.status})</option>)}
            </select>
          )}
        </Field>
      )}
      {draft.kind === 'veto-root' && (
        <Field id={id('epoch')} label="Epoch" error={errors.epoch} hint="a veto must pass and be executed before the root goes final">
          {(a11y) => (
            <select {...a11y} value={draft.epoch} onChange={(e) => set('epoch')(e.target.value)}>
              <option value="">Choose an epoch…</option>
              {vetoable.map((v) => <option key={v.epoch} value={String(v.epoch)}>epoch {v.epoch} (final in {durationInWords(v.secondsLeft)})</option>)}
            </select>
          )}
        </Field>
      )}
      {(draft.kind === 'end-job' || draft.kind === 'veto-root') && (
        <Field id={id('subject')} label={draft.kind === 'end-job' ? 'Reason' : 'Evidence (a content id, or a short description)'} error={errors.subject} hint="at most 128 bytes, stored on chain with the proposal">
          {(a11y) => <input {...a11y} type="text" autoComplete="off" value={draft.subject} onChange={(e) => set('subject')(e.target.value)} />}
        </Field>
      )}
      <p>
        <button type="submit" disabled={props.busy}>Propose</button>
      </p>
    </form>
  )
}
