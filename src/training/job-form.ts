// The researcher's job form: what each model costs, and every field checked with a sentence that says what
// to change. Pure, so the same rules run in the form as the user types and in tests.
import { MODEL_ZOO, type ZooModelName } from '../graph/zoo.ts'
import { parameterCount } from '../graph/model.ts'
import { buildInference, buildTrainStep } from '../graph/train-step.ts'
import { countFlops } from '../graph/flops.ts'
import { DEFAULT_ADAMW } from '../graph/optimizer.ts'
import type { JobSpec } from './job.ts'
import { parseAmount, type RewardPool } from './rewards.ts'

export interface ModelFacts {
  name: ZooModelName
  inputShape: readonly number[]
  classes: number
  parameters: number
  /** fp32 parameter bytes: what a volunteer downloads per unit (before its data). */
  parameterBytes: number
  /** Forward + backward + AdamW, per training sample. */
  trainFlopsPerSample: number
  inferenceFlopsPerSample: number
}

const factsCache = new Map<ZooModelName, ModelFacts>()

export function modelFacts(name: ZooModelName): ModelFacts {
  let facts = factsCache.get(name)
  if (!facts) {
    const model = MODEL_ZOO[name]()
    const batch = 8
    const parameters = parameterCount(model)
    facts = {
      name,
      inputShape: model.inputShape,
      classes: model.classes,
      parameters,
      parameterBytes: parameters * 4,
      trainFlopsPerSample: buildTrainStep(model, batch, DEFAULT_ADAMW).flopsPerStep / batch,
      inferenceFlopsPerSample: countFlops(buildInference(model, batch)) / batch,
    }
    factsCache.set(name, facts)
  }
  return facts
}

/** A dataset the form can train on: the built-in demo set or one saved in this browser. */
export interface DatasetChoice {
  id: string
  name: string
  samples: number
  /** Per-sample shape [channels, height, width]. */
  shape: readonly number[]
  classes: readonly string[]
  builtIn: boolean
}

/** The form's raw text, exactly as typed. */
export interface JobDraft {
  name: string
  model: string
  datasets: string[]
  batchSize: string
  innerSteps: string
  innerLr: string
  outerLr: string
  outerMomentum: string
  unitsPerRound: string
  roundSeconds: string
  auditRate: string
  rounds: string
  rewardAmount: string
  rewardSymbol: string
  rewardDecimals: number
  /** The pool's ERC-20 contract, or '' for the chain's native currency. */
  rewardToken: string
  dataSharePercent: string
}

export type JobField = keyof JobDraft
export type JobSettings = Pick<JobSpec, 'name' | 'model' | 'batchSize' | 'innerSteps' | 'innerLr' | 'outerLr' | 'outerMomentum' | 'unitsPerRound' | 'roundMs' | 'auditRate' | 'rounds'> & { reward: RewardPool }

export type JobFormResult = { ok: true; settings: JobSettings; datasets: DatasetChoice[] } | { ok: false; errors: Partial<Record<JobField, string>> }

function numberField(text: string, min: number, max: number, integer: boolean, unit = ''): number | string {
  const t = text.trim()
  if (t === '') return 'required'
  const n = Number(t)
  if (!Number.isFinite(n)) return `"${t.slice(0, 20)}" is not a number`
  if (integer && !Number.isInteger(n)) return 'must be a whole number'
  if (n < min || n > max) return `must be between ${min} and ${max}${unit}`
  return n
}

/**
 * `own`: the job trains on the owner's own data (task-draft.ts) with a model of `family`: the zoo model and
 * the datasets are not asked for, and a batch may not exceed the owner's training samples.
 */
export function validateJobDraft(draft: JobDraft, available: readonly DatasetChoice[], own?: { samples: number; family: ZooModelName }): JobFormResult {
  const errors: Partial<Record<JobField, string>> = {}
  const read = (field: JobField, min: number, max: number, integer: boolean, unit = ''): number => {
    const v = numberField(String(draft[field]), min, max, integer, unit)
    if (typeof v === 'string') errors[field] = v
    return typeof v === 'number' ? v : NaN
  }
  const name = draft.name.trim()
  if (name.length === 0) errors.name = 'give the job a name volunteers will recognise'
  else if (name.length > 120) errors.name = 'at most 120 characters'

  const model = own ? own.family : draft.model in MODEL_ZOO ? (draft.model as ZooModelName) : null
  if (!model) errors.model = `unknown model "${draft.model}"; choose one of ${Object.keys(MODEL_ZOO).join(', ')}`
  const batchSize = read('batchSize', 1, 1024, true)
  const innerSteps = read('innerSteps', 1, 10_000, true)
  const innerLr = read('innerLr', 1e-6, 1, false)
  const outerLr = read('outerLr', 0.01, 10, false)
  const outerMomentum = read('outerMomentum', 0, 0.99, false)
  const unitsPerRound = read('unitsPerRound', 1, 1024, true)
  const roundSeconds = read('roundSeconds', 5, 86_400, true, ' seconds')
  const auditRate = read('auditRate', 0, 1, false)
  const rounds = read('rounds', 0, 1_000_000, true)
  const dataShare = read('dataSharePercent', 0, 100, false, '%')

  const chosen = own ? [] : draft.datasets.map((id) => available.find((d) => d.id === id)).filter((d): d is DatasetChoice => d !== undefined)
  if (own) {
    if (!errors.batchSize && batchSize > own.samples) errors.batchSize = `larger than the ${own.samples.toLocaleString('en')} training samples of your data`
  } else if (chosen.length === 0) errors.datasets = 'choose at least one dataset to train on'
  else if (!chosen.some((d) => d.builtIn)) errors.datasets = 'include the built-in dataset: it also provides the held-out test set the job is scored on'
  else if (model) {
    const facts = modelFacts(model)
    const misfit = chosen.find((d) => d.shape.join('×') !== facts.inputShape.join('×'))
    const wrongClasses = chosen.find((d) => d.classes.length !== facts.classes)
    const base = chosen.find((d) => d.builtIn)!
    const otherLabels = chosen.find((d) => d.classes.join('\n') !== base.classes.join('\n'))
    if (misfit) errors.model = `the ${model} model takes inputs of shape ${facts.inputShape.join('×')}, but "${misfit.name}" holds ${misfit.shape.join('×')} samples; choose a model for images`
    else if (wrongClasses) errors.datasets = `"${wrongClasses.name}" has ${wrongClasses.classes.length} classes; the ${model} model predicts ${facts.classes}`
    else if (otherLabels) errors.datasets = `"${otherLabels.name}" names its classes differently from "${base.name}"; every dataset in a job must use the same classes in the same order`
  }
  const samples = chosen.reduce((n, d) => n + d.samples, 0)
  if (!errors.batchSize && chosen.length > 0 && batchSize > samples) errors.batchSize = `larger than the ${samples.toLocaleString('en')} samples chosen`

  let amount = 0n
  const symbol = draft.rewardSymbol.trim()
  try {
    amount = parseAmount(draft.rewardAmount, draft.rewardDecimals)
  } catch (error) {
    errors.rewardAmount = (error as Error).message
  }
  if (!/^[A-Za-z0-9.$-]{1,12}$/.test(symbol)) errors.rewardSymbol = '1–12 letters or digits, e.g. ETH'
  const token = draft.rewardToken.trim()
  if (token !== '' && !/^0x[0-9a-fA-F]{40}$/.test(token)) errors.rewardToken = 'an ERC-20 contract address (0x and 40 hex digits), or empty for ETH'
  if (Object.keys(errors).length > 0 || !model) return { ok: false, errors }
  return {
    ok: true,
    datasets: chosen,
    settings: {
      name, model, batchSize, innerSteps, innerLr, outerLr, outerMomentum, unitsPerRound, roundMs: roundSeconds * 1000, auditRate, rounds,
      reward: { amount: amount.toString(), symbol, decimals: draft.rewardDecimals, dataShareBps: Math.round(dataShare * 100), ...(token ? { token } : {}) },
    },
  }
}

/** Work one round asks of the swarm (volunteers plus the referee's re-runs), for the form's summary line. */
export function roundCost(facts: Pick<ModelFacts, 'trainFlopsPerSample'>, batchSize: number, innerSteps: number, unitsPerRound: number, auditRate: number) {
  const samplesPerUnit = batchSize * innerSteps
  const flopsPerUnit = samplesPerUnit * facts.trainFlopsPerSample
  return { samplesPerUnit, flopsPerUnit, flopsPerRound: unitsPerRound * flopsPerUnit, refereeFlopsPerRound: unitsPerRound * auditRate * flopsPerUnit }
}
