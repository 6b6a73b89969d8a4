// The trained model as a self-contained ONNX file for use outside Tesserae: raw pixels in [0, 1] go in (the
// job's normalisation is part of the graph), logits and softmax probabilities come out, the parameters are
// baked in as initializers and the class names and provenance travel in the model's metadata.
import { Graph } from './graph.ts'
import { declareParams, forwardRange, paramsOf, type Model } from './model.ts'
import { div, sub } from './ops/binary.ts'
import { exp, log } from './ops/unary.ts'
import { reduceMaxDetached, reduceSum } from './ops/reduce.ts'
import { exportOnnx } from './onnx/export.ts'
import { PARAM_PREFIX } from './train-step.ts'

export interface ExportInfo {
  jobId: string
  jobName: string
  version: number
  classes: readonly string[]
  normalisation: { mean: number; std: number }
  /** Rows per run, fixed in the file; absent, the file takes any number of rows (a symbolic "batch"). */
  batchSize?: number
}

export const EXPORT_INPUT = 'pixels'
export const EXPORT_OUTPUTS = { logits: 'logits', probabilities: 'probabilities' } as const
/**
 * The row count a symbolic-batch export is built with, then named "batch" in the file: a prime above any size
 * a model's other dimensions can reach, so no other dimension is mistaken for it.
 */
const ANY_BATCH = { size: 1_000_003, name: 'batch' }

export function buildExportGraph(model: Model, info: Pick<ExportInfo, 'normalisation' | 'batchSize'>): Graph {
  const g = new Graph()
  const params = declareParams(g, model, PARAM_PREFIX)
  const pixels = g.input(EXPORT_INPUT, [info.batchSize ?? ANY_BATCH.size, ...model.inputShape])
  const x = div(sub(pixels, info.normalisation.mean), info.normalisation.std)
  const logits = forwardRange(model, x, params)
  const last = logits.shape.length - 1
  // Softmax from primitives, shifted by the row maximum so large logits cannot overflow.
  const shifted = sub(logits, reduceMaxDetached(logits, [last], true))
  const logSum = log(reduceSum(exp(shifted), [last], true))
  g.output(EXPORT_OUTPUTS.logits, logits)
  g.output(EXPORT_OUTPUTS.probabilities, exp(sub(shifted, logSum)))
  return g
}

export function exportTrainedModel(model: Model, params: ReadonlyMap<string, Float32Array>, info: ExportInfo): Uint8Array {
  if (info.classes.length !== model.classes) throw new RangeError(`the job names ${info.classes.length} classes but the ${model.name} model has ${model.classes} outputs`)
  const initializers: Record<string, Float32Array> = {}
  for (const p of paramsOf(model)) {
    const value = params.get(p.name)
    const expected = p.shape.reduce((a, b) => a * b, 1)
    if (!value) throw new RangeError(`parameter "${p.name}" is missing`)
    if (value.length !== expected) throw new RangeError(`parameter "${p.name}" has ${value.length} values, the model needs ${expected}`)
    initializers[`${PARAM_PREFIX}${p.name}`] = value
  }
  return exportOnnx(buildExportGraph(model, info), {
    name: `${model.name}_inference`,
    initializers,
    ...(info.batchSize === undefined ? { symbolicBatch: ANY_BATCH } : {}),
    metadata: {
      'tesserae.job': info.jobId,
      'tesserae.job_name': info.jobName,
      'tesserae.version': String(info.version),
      'tesserae.model': model.name,
      'tesserae.classes': JSON.stringify(info.classes),
      'tesserae.input': `${EXPORT_INPUT}: float32 [${[info.batchSize ?? ANY_BATCH.name, ...model.inputShape].join(', ')}], pixel values in [0, 1]`,
    },
  })
}
