// The trained model as a self-contained ONNX file for use outside Tesserae, for any task. What goes in is what a
// user has, with the job's encoding rule inside the graph: pixels in [0, 1] (the job's normalisation applied in
// the graph), a table row's numbers as read and its categories one-hot (the job's feature statistics applied
// in the graph), or a text window as one-hot tokens. Class scores come out as logits and softmax probabilities,
// a regression's prediction as a value in the label's own units. The parameters are baked in as initializers;
// the task and the model recipe travel in the metadata, so the file says what it reads and can seed a new job.
import { Graph, type Value } from './graph.ts'
import { declareParams, forwardRange, paramsOf } from './model.ts'
import { add, div, mul, sub } from './ops/binary.ts'
import { exp, log } from './ops/unary.ts'
import { reduceMaxDetached, reduceSum } from './ops/reduce.ts'
import { exportOnnx } from './onnx/export.ts'
import { PARAM_PREFIX } from './train-step.ts'
import { recipeModel, type ModelRecipe } from './model-recipe.ts'
import { taskClasses, taskInput, taskOutputs, type TaskSpec } from '../data/task.ts'
import { encodedWidth, type TabularSchema } from '../data/tabular-schema.ts'
import type { FeatureStats } from '../data/tabular-samples.ts'
import { vocabSize } from '../data/text.ts'

export interface ExportInfo {
  jobId: string
  jobName: string
  version: number
  /** The job's task: what the file reads, how it encodes it, and what its outputs mean. */
  task: TaskSpec
  /** Rows per run, fixed in the file; absent, the file takes any number of rows (a symbolic "batch"). */
  batchSize?: number
}

/** The file's input, by task kind. */
export const EXPORT_INPUTS = { image: 'pixels', tabular: 'features', text: 'tokens' } as const
export const EXPORT_OUTPUTS = { logits: 'logits', probabilities: 'probabilities', value: 'value' } as const
/** Metadata keys a Tesserae file carries (import-model.ts reads them back). */
export const EXPORT_METADATA = {
  job: 'tesserae.job',
  jobName: 'tesserae.job_name',
  version: 'tesserae.version',
  model: 'tesserae.model',
  classes: 'tesserae.classes',
  vocab: 'tesserae.vocab',
  columns: 'tesserae.columns',
  input: 'tesserae.input',
  recipe: 'tesserae.recipe',
  task: 'tesserae.task',
} as const
/**
 * The row count a symbolic-batch export is built with, then named "batch" in the file: a prime above any size
 * a model's other dimensions can reach, so no other dimension is mistaken for it.
 */
const ANY_BATCH = { size: 1_000_003, name: 'batch' }

/** The name of each input slot of a table's row: a numeric column, or one category of a categorical column. */
export function tabularColumns(schema: TabularSchema): string[] {
  return schema.features.flatMap((f) => (f.kind === 'numeric' ? [f.name] : f.categories.map((c) => `${f.name}=${c}`)))
}

/**
 * Per-slot shift and scale that standardise a row laid out as tabularColumns says: a number's mean and
 * standard deviation; a one-hot slot passes through (0 and 1).
 */
function tabularScaling(schema: TabularSchema, stats: FeatureStats): { mean: Float64Array; std: Float64Array } {
  const width = encodedWidth(schema)
  const mean = new Float64Array(width)
  const std = new Float64Array(width).fill(1)
  let at = 0
  schema.features.forEach((feature, f) => {
    if (feature.kind === 'numeric') {
      const s = stats.features[f]
      if (!s) throw new RangeError(`feature "${feature.name}" is numeric but its statistics are not`)
      mean[at] = s.mean
      std[at++] = s.std
    } else at += feature.categories.length
  })
  return { mean, std }
}

/** The task's encoding rule, applied in the graph to what a user feeds. */
function encodeInput(task: TaskSpec, input: Value): Value {
  if (task.kind === 'image') return div(sub(input, task.normalisation.mean), task.normalisation.std)
  if (task.kind === 'text') return input
  const { mean, std } = tabularScaling(task.schema, task.stats)
  const g = input.graph
  return div(sub(input, g.constant(mean, [mean.length])), g.constant(std, [std.length]))
}

export function buildExportGraph(recipe: ModelRecipe, info: Pick<ExportInfo, 'task' | 'batchSize'>): Graph {
  const model = recipeModel(recipe)
  const g = new Graph()
  const params = declareParams(g, model, PARAM_PREFIX)
  const input = g.input(EXPORT_INPUTS[info.task.kind], [info.batchSize ?? ANY_BATCH.size, ...model.inputShape])
  const out = forwardRange(model, encodeInput(info.task, input), params)
  if (recipe.objective === 'values') {
    // The model predicts (value − mean) / std of the label; the file answers in the label's units.
    const target = info.task.kind === 'tabular' ? info.task.target : null
    g.output(EXPORT_OUTPUTS.value, target ? add(mul(out, target.std), target.mean) : out)
    return g
  }
  const last = out.shape.length - 1
  // Softmax from primitives, shifted by the row maximum so large logits cannot overflow.
  const shifted = sub(out, reduceMaxDetached(out, [last], true))
  const logSum = log(reduceSum(exp(shifted), [last], true))
  g.output(EXPORT_OUTPUTS.logits, out)
  g.output(EXPORT_OUTPUTS.probabilities, exp(sub(shifted, logSum)))
  return g
}

/** What the file's input is, in words, for its metadata. */
function describeInput(task: TaskSpec, shape: readonly (number | string)[]): string {
  const dims = `float32 [${shape.join(', ')}]`
  if (task.kind === 'image') return `${EXPORT_INPUTS.image}: ${dims}, ${task.channels === 3 ? 'RGB channel-major' : 'grayscale'} pixel values in [0, 1]`
  if (task.kind === 'text') return `${EXPORT_INPUTS.text}: ${dims}, one-hot tokens (the vocabulary is in ${EXPORT_METADATA.task})`
  return `${EXPORT_INPUTS.tabular}: ${dims}, the columns in ${EXPORT_METADATA.columns}: numbers as read (a missing one as its mean in ${EXPORT_METADATA.task}), categories one-hot`
}

export function exportTrainedModel(recipe: ModelRecipe, params: ReadonlyMap<string, Float32Array>, info: ExportInfo): Uint8Array {
  const model = recipeModel(recipe)
  const expected = taskInput(info.task)
  if (JSON.stringify(recipe.input) !== JSON.stringify(expected)) throw new RangeError(`the ${model.name} model reads ${JSON.stringify(recipe.input)}, but the task's samples are ${JSON.stringify(expected)}`)
  const outputs = taskOutputs(info.task)
  if (outputs.outputs !== model.classes || outputs.objective !== recipe.objective) throw new RangeError(`the task needs ${outputs.outputs} outputs (${outputs.objective}) but the ${model.name} model has ${model.classes} (${recipe.objective})`)
  const initializers: Record<string, Float32Array> = {}
  for (const p of paramsOf(model)) {
    const value = params.get(p.name)
    const count = p.shape.reduce((a, b) => a * b, 1)
    if (!value) throw new RangeError(`parameter "${p.name}" is missing`)
    if (value.length !== count) throw new RangeError(`parameter "${p.name}" has ${value.length} values, the model needs ${count}`)
    // A diverged model is no use to anyone, and a file with NaN weights could not seed a new job.
    if (!value.every(Number.isFinite)) throw new RangeError(`parameter "${p.name}" holds a value that is not a finite number: training diverged`)
    initializers[`${PARAM_PREFIX}${p.name}`] = value
  }
  const classes = taskClasses(info.task)
  const task = info.task
  return exportOnnx(buildExportGraph(recipe, info), {
    name: `${model.name}_inference`,
    initializers,
    ...(info.batchSize === undefined ? { symbolicBatch: ANY_BATCH } : {}),
    metadata: {
      [EXPORT_METADATA.job]: info.jobId,
      [EXPORT_METADATA.jobName]: info.jobName,
      [EXPORT_METADATA.version]: String(info.version),
      [EXPORT_METADATA.model]: model.name,
      ...(classes ? { [EXPORT_METADATA.classes]: JSON.stringify(classes) } : {}),
      ...(task.kind === 'text' ? { [EXPORT_METADATA.vocab]: String(vocabSize(task.schema)) } : {}),
      ...(task.kind === 'tabular' ? { [EXPORT_METADATA.columns]: JSON.stringify(tabularColumns(task.schema)) } : {}),
      [EXPORT_METADATA.input]: describeInput(task, [info.batchSize ?? ANY_BATCH.name, ...model.inputShape]),
      [EXPORT_METADATA.recipe]: JSON.stringify(recipe),
      [EXPORT_METADATA.task]: JSON.stringify(task),
    },
  })
}
