// Creating a job: model (with what it costs), datasets, DiLoCo hyper-parameters and the reward pool, each
// field checked as the user types by the same pure rules the tests exercise.
import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { erc20Abi, type Address } from 'viem'
import { readerFor } from '../../../ledger/chain.ts'
import { errorMessage } from '../../../errors.ts'
import { useStack } from '../../stack-context.ts'
import { Field } from '../Field.tsx'
import { MODEL_ZOO, type ZooModelName } from '../../../graph/zoo.ts'
import { modelFacts, roundCost, validateJobDraft, type DatasetChoice, type JobDraft, type JobField, type JobSettings } from '../../../training/job-form.ts'
import { demoJobSpec } from '../../../roles/demo-job.ts'
import type { TaskJob } from '../../../training/task-draft.ts'
import { OwnTask } from './OwnTask.tsx'
import { StagesField } from './StagesField.tsx'
import { readStageDraft, type StageDraft } from '../../../training/stage-draft.ts'
import { recipeModel } from '../../../graph/model-recipe.ts'
import type { JobStages } from '../../../training/job.ts'
import { Term } from '../../glossary/Term.tsx'
import { si } from '../../si.ts'

const defaults = demoJobSpec({ coordinator: '', train: [], test: [], now: 0 })

export const INITIAL_DRAFT: JobDraft = {
  // Not the demo job's own name: two jobs called the same would be told apart by id only.
  name: `My ${defaults.name} job`, model: defaults.model, datasets: [], batchSize: String(defaults.batchSize), innerSteps: String(defaults.innerSteps),
  innerLr: String(defaults.innerLr), outerLr: String(defaults.outerLr), outerMomentum: String(defaults.outerMomentum), unitsPerRound: String(defaults.unitsPerRound),
  roundSeconds: String(defaults.roundMs / 1000), auditRate: String(defaults.auditRate), rounds: String(defaults.rounds),
  rewardAmount: '1', rewardSymbol: 'ETH', rewardDecimals: 18, rewardToken: '', dataSharePercent: '20',
}

export function JobForm({ datasets, disabled, onStart }: { datasets: DatasetChoice[]; disabled: boolean; onStart: (settings: JobSettings, datasets: DatasetChoice[], own: TaskJob | null, stages: JobStages | null) => void }) {
  // The built-in set is listed from the first render and chosen by default.
  const [draft, setDraft] = useState<JobDraft>(() => ({ ...INITIAL_DRAFT, datasets: datasets.filter((d) => d.builtIn).map((d) => d.id) }))
  const [touched, setTouched] = useState(false)
  // The built-in Fashion-MNIST task with a zoo model, or the owner's own data with a model from a spec.
  const [source, setSource] = useState<'demo' | 'own'>('demo')
  const [own, setOwn] = useState<TaskJob | null>(null)
  const ownFacts = source === 'own' && own ? { samples: own.train.count, family: own.recipe.spec.kind } : undefined
  // Split into stages (own data only: the zoo models are small enough for any tab).
  const [split, setSplit] = useState(false)
  const [stageDraft, setStageDraft] = useState<StageDraft>({ memoryMiB: '64', cuts: '' })
  const stageResult = useMemo(() => (source === 'own' && own && split ? readStageDraft(stageDraft, recipeModel(own.recipe), Number(draft.batchSize) || 1, Number(draft.innerSteps) || 1, { fineTune: own.start !== undefined }) : null), [source, own, split, stageDraft, draft.batchSize, draft.innerSteps])
  const result = useMemo(() => validateJobDraft(draft, datasets, ownFacts), [draft, datasets, ownFacts?.samples, ownFacts?.family]) // eslint-disable-line react-hooks/exhaustive-deps
  const errors = touched && !result.ok ? result.errors : {}
  const set = (field: JobField) => (value: string) => setDraft((d) => ({ ...d, [field]: value }))
  const { config } = useStack()
  const testToken = config.chain.local ? config.chain.contracts?.testToken : undefined
  // An ERC-20 pool's symbol and decimals come from the token itself, not from the researcher's typing.
  const [tokenRead, setToken] = useState<{ address: Address | null; name: string | null; error: string | null }>({ address: null, name: null, error: null })
  const tokenAddress = /^0x[0-9a-fA-F]{40}$/.test(draft.rewardToken.trim()) ? (draft.rewardToken.trim() as Address) : null
  // What was read belongs to the address typed now, or it is stale (still loading).
  const token = tokenRead.address === tokenAddress ? tokenRead : { name: null, error: null }
  useEffect(() => {
    if (!tokenAddress) return
    let live = true
    const client = readerFor(config.chain)
    Promise.all([
      client.readContract({ address: tokenAddress, abi: erc20Abi, functionName: 'symbol' }),
      client.readContract({ address: tokenAddress, abi: erc20Abi, functionName: 'decimals' }),
      client.readContract({ address: tokenAddress, abi: erc20Abi, functionName: 'name' }),
    ]).then(
      ([symbol, decimals, name]) => {
        if (!live) return
        setToken({ address: tokenAddress, name: `${name} (${symbol}, ${decimals} decimals)`, error: null })
        setDraft((d) => ({ ...d, rewardSymbol: symbol.slice(0, 12), rewardDecimals: decimals }))
      },
      (error: unknown) => live && setToken({ address: tokenAddress, name: null, error: `no ERC-20 token answers at this address on ${config.chain.name}: ${errorMessage(error).split('\n')[0]}` }),
    )
    return () => {
      live = false
    }
  }, [tokenAddress, config.chain])
  const model = draft.model in MODEL_ZOO ? modelFacts(draft.model as ZooModelName) : null
  // The cost is only worth stating for settings that could run: "0 samples" from a typo helps nobody.
  const costFields: JobField[] = ['batchSize', 'innerSteps', 'unitsPerRound', 'auditRate']
  const costValid = result.ok || costFields.every((f) => result.errors[f] === undefined)
  const costFacts = source === 'own' ? (own ? { trainFlopsPerSample: own.cost.flopsPerSample } : null) : model
  const cost = costFacts && costValid ? roundCost(costFacts, Number(draft.batchSize) || 0, Number(draft.innerSteps) || 0, Number(draft.unitsPerRound) || 0, Number(draft.auditRate) || 0) : null

  const submit = (event: FormEvent) => {
    event.preventDefault()
    setTouched(true)
    if (token.error || (tokenAddress && !token.name)) document.getElementById('job-rewardToken')?.focus()
    else if (source === 'own' && !own) document.getElementById('own-file')?.focus()
    else if (stageResult && !stageResult.ok) document.getElementById(stageResult.field === 'cuts' ? 'stage-cuts' : stageResult.field === 'innerSteps' ? 'job-innerSteps' : 'stage-memoryMiB')?.focus()
    else if (result.ok) onStart(result.settings, result.datasets, source === 'own' ? own : null, stageResult?.ok ? stageResult.stages : null)
    else document.getElementById(`job-${Object.keys(result.errors)[0]}`)?.focus()
  }
  const number = (id: JobField, label: string, props: { hint?: string } = {}) => (
    <Field id={`job-${id}`} label={label} error={errors[id]} hint={props.hint}>
      {(a11y) => <input {...a11y} name={id} type="text" inputMode="decimal" autoComplete="off" value={String(draft[id])} onChange={(e) => set(id)(e.target.value)} />}
    </Field>
  )

  return (
    <form onSubmit={submit} className="job-form" noValidate aria-label="Create a training job">
      <Field id="job-name" label="Job name" error={errors.name}>
        {(a11y) => <input {...a11y} name="name" type="text" value={draft.name} onChange={(e) => set('name')(e.target.value)} />}
      </Field>
      <fieldset className="field">
        <legend>Train on</legend>
        <label className="check"><input type="radio" name="source" value="demo" checked={source === 'demo'} onChange={() => setSource('demo')} /> the built-in Fashion-MNIST images, with a model from the zoo</label>
        <label className="check"><input type="radio" name="source" value="own" checked={source === 'own'} onChange={() => setSource('own')} data-testid="source-own" /> your own data: a table, a text or pictures, with a model you size</label>
      </fieldset>
      {source === 'own' && <OwnTask batchSize={Number(draft.batchSize) || 1} onChange={setOwn} />}
      {source === 'own' && own && <StagesField split={split} onSplit={setSplit} draft={stageDraft} onDraft={setStageDraft} result={stageResult} showErrors={touched} />}
      {source === 'demo' && <Field id="job-model" label="Model" error={errors.model} hint={model ? `${model.parameters.toLocaleString('en')} parameters (${si(model.parameterBytes, 'B')}) · ${si(model.trainFlopsPerSample, 'FLOP')} per training sample · ${si(model.inferenceFlopsPerSample, 'FLOP')} per prediction` : undefined}>
        {(a11y) => (
          <select {...a11y} name="model" value={draft.model} onChange={(e) => set('model')(e.target.value)} data-testid="job-model">
            {(Object.keys(MODEL_ZOO) as ZooModelName[]).map((name) => {
              const f = modelFacts(name)
              return <option key={name} value={name}>{name} — {f.parameters.toLocaleString('en')} params, {si(f.trainFlopsPerSample, 'FLOP')}/sample</option>
            })}
          </select>
        )}
      </Field>}
      {source === 'demo' && <fieldset className="field" aria-describedby={errors.datasets ? 'job-datasets-error' : undefined}>
        <legend>Datasets</legend>
        {datasets.length === 0 && <p className="hint">Looking for datasets…</p>}
        {datasets.map((d) => (
          <label key={d.id} className="check">
            <input type="checkbox" name="datasets" value={d.id} checked={draft.datasets.includes(d.id)} onChange={(e) => setDraft((x) => ({ ...x, datasets: e.target.checked ? [...x.datasets, d.id] : x.datasets.filter((id) => id !== d.id) }))} />{' '}
            {d.name} <span className="hint">({d.samples.toLocaleString('en')} samples, {d.shape.join('×')}, {d.builtIn ? 'built in, with the test set' : 'saved in this browser'})</span>
          </label>
        ))}
        {errors.datasets && <small id="job-datasets-error" className="field-error" role="status">{errors.datasets}</small>}
      </fieldset>}
      <p className="hint" data-testid="job-form-terms">
        Training runs as <Term k="diloco" />: each <Term k="unit" /> is <Term k="h" /> local steps; the coordinator applies each <Term k="round" />'s deltas with <Term k="outerNesterov" /> through its <Term k="aggregator" />, and its <Term k="referee" /> checks units at the <Term k="auditRate" />; slow units may be given out again (<Term k="redundancy" />).
      </p>
      <div className="field-grid">
        {number('innerSteps', 'Inner steps per unit (H)', { hint: 'local AdamW steps before a volunteer reports' })}
        {number('batchSize', 'Batch size')}
        {number('innerLr', 'Inner learning rate')}
        {number('outerLr', 'Outer learning rate')}
        {number('outerMomentum', 'Outer Nesterov momentum')}
        {number('unitsPerRound', 'Units per round')}
        {number('auditRate', 'Audit rate (share of units re-executed)', { hint: 'share of units the coordinator re-runs to check them, drawn after each result is committed; 1 checks every unit. New volunteers\' first units and suspicious results are always checked.' })}
        {number('roundSeconds', 'Round deadline (seconds)')}
        {number('rounds', 'Rounds (0 = until stopped)')}
      </div>
      <fieldset className="field-grid">
        <legend>Reward pool</legend>
        <Field id="job-rewardToken" label="Paid in" error={errors.rewardToken ?? token.error ?? undefined} hint={draft.rewardToken ? `${token.name ?? 'reading the token…'}: the pool is approved and escrowed from your wallet in two transactions` : 'ETH, or an ERC-20 token: paste its contract address'}>
          {(a11y) => (
            <span className="toolbar">
              <input {...a11y} name="rewardToken" type="text" placeholder="ETH (or an ERC-20 address)" autoComplete="off" value={draft.rewardToken} onChange={(e) => set('rewardToken')(e.target.value)} />
              {testToken && draft.rewardToken.toLowerCase() !== testToken.toLowerCase() && <button type="button" onClick={() => set('rewardToken')(testToken)}>Use the test token</button>}
              {draft.rewardToken && <button type="button" onClick={() => setDraft((d) => ({ ...d, rewardToken: '', rewardSymbol: 'ETH', rewardDecimals: 18 }))}>Use ETH</button>}
            </span>
          )}
        </Field>
        {number('rewardAmount', `Amount (${draft.rewardSymbol})`)}
        {number('dataSharePercent', 'Share for data contributors (%)', { hint: 'the rest goes to volunteers by verified FLOPs' })}
      </fieldset>
      {!costValid && <p className="hint" data-testid="job-cost">What a unit and a round cost shows once batch size, H, units per round and audit rate are valid.</p>}
      {cost && Number.isFinite(cost.flopsPerRound) && (
        <p className="hint" data-testid="job-cost">
          Each unit trains on {cost.samplesPerUnit.toLocaleString('en')} samples ({si(cost.flopsPerUnit, 'FLOP')}); a round asks the swarm for about {si(cost.flopsPerRound, 'FLOP')}, and the coordinator re-runs about {si(cost.refereeFlopsPerRound, 'FLOP')} of it to check it.
        </p>
      )}
      {touched && !result.ok && <p className="field-error" role="alert">Fix the {Object.keys(result.errors).length === 1 ? 'field' : `${Object.keys(result.errors).length} fields`} marked above to start the job.</p>}
      <button type="submit" disabled={disabled} data-testid="start-job">Start the job</button>
    </form>
  )
}
