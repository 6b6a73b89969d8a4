// The job form's choice to split the model across tabs (issue 19): the memory one tab may use, and optionally
// the owner's own cuts; the stage map it makes is shown as it is typed. The rules are stage-draft.ts's.
import type { StageDraft, StageDraftResult } from '../../../training/stage-draft.ts'
import { Field } from '../Field.tsx'

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`

export function StagesField({ split, onSplit, draft, onDraft, result, showErrors }: { split: boolean; onSplit: (split: boolean) => void; draft: StageDraft; onDraft: (draft: StageDraft) => void; result: StageDraftResult | null; showErrors: boolean }) {
  const error = (field: string) => (result && !result.ok && result.field === field && (showErrors || draft.memoryMiB !== '') ? result.error : undefined)
  return (
    <fieldset className="field" data-testid="stages-field">
      <legend>Model shards</legend>
      <label className="check">
        <input type="checkbox" checked={split} onChange={(e) => onSplit(e.target.checked)} data-testid="split-stages" /> split the model into pipeline stages across tabs, for a model one tab cannot train
      </label>
      {split && (
        <>
          <div className="field-grid">
            <Field id="stage-memoryMiB" label="Memory per tab (MiB)" error={error('memoryMiB')} hint="each stage fits this: parameters, gradients, AdamW's moments and the micro-batches in flight">
              {(a11y) => <input {...a11y} type="text" inputMode="decimal" value={draft.memoryMiB} onChange={(e) => onDraft({ ...draft, memoryMiB: e.target.value })} data-testid="stage-memory" />}
            </Field>
            <Field id="stage-cuts" label="Cuts (optional)" error={error('cuts')} hint="the layer each stage after the first starts at, e.g. 2, 4; empty: the fewest stages that fit">
              {(a11y) => <input {...a11y} type="text" value={draft.cuts} onChange={(e) => onDraft({ ...draft, cuts: e.target.value })} data-testid="stage-cuts" />}
            </Field>
          </div>
          {result && !result.ok && (result.field === 'model' || result.field === 'innerSteps') && <p className="field-error" role="status" data-testid="stage-problem">{result.error}</p>}
          {result?.ok && (
            <p className="hint" data-testid="stage-plan" data-stages={result.plan.stages.length} data-cuts={result.stages.cuts.join(',')}>
              {result.plan.stages.length} stages of {result.stages.microBatch} samples at a time:{' '}
              {result.plan.stages.map((s) => `layers ${s.from}–${s.to - 1} (${s.parameters.toLocaleString('en')} parameters, ${mib(s.bytes)})`).join('; ')}. Each stage is held by its own group of volunteers; this tab drives every step through them and merges each group's replicas after every round. Volunteers are paid from the reward pool for their verified work on their stage (FLOPs of the calls they answered, once an audit vouches for it), in the same epochs as any job; all of the pool goes to volunteers, since the job trains on your own data.
            </p>
          )}
        </>
      )}
    </fieldset>
  )
}
