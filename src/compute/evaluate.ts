// A parameter set's held-out metrics through the inference graph on the same engine that trains, for any task:
// accuracy, mean cross-entropy and per-sample predictions for classes; the share of rows within half a
// standard deviation and the mean squared error (standardised) for values; next-token accuracy and mean
// cross-entropy per token (and so bits per token) for text.
import { buildInference, PARAM_PREFIX } from '../graph/train-step.ts'
import { exportOnnx } from '../graph/onnx/export.ts'
import type { Model } from '../graph/model.ts'
import type { Normalisation } from '../data/batches.ts'
import type { LabelledImages } from '../data/labelled-images.ts'
import { taskBatch } from '../data/task-batch.ts'
import type { TaskBlock } from '../data/task-block.ts'
import type { ImageTask, TaskSpec } from '../data/task.ts'
import { createOrtSession, type ExecutionBackend, type OrtModule } from './train-session.ts'

export interface Evaluation {
  /** Share of samples classified right (classes), within half a standard deviation (values), or next tokens predicted (text). */
  accuracy: number
  /** Mean softmax cross-entropy per prediction (nats), or mean squared error in standardised units (values). */
  loss: number
  /** Arg-max class of each evaluated sample, in order (whole batches only; empty for values and text). */
  predictions: Uint8Array
}

type EvaluateOptions = { batchSize?: number; limit?: number; backend?: ExecutionBackend }

export async function evaluateAccuracy(ort: OrtModule, model: Model, params: ReadonlyMap<string, Float32Array>, set: LabelledImages, norm: Normalisation, options: EvaluateOptions = {}): Promise<number> {
  return (await evaluateModel(ort, model, params, set, norm, options)).accuracy
}

/** Grayscale labelled images (the zoo's tasks) as an image task and its block. */
export function imagesAsTask(set: LabelledImages, norm: Normalisation): { task: ImageTask; block: TaskBlock } {
  const task: ImageTask = { kind: 'image', height: set.height, width: set.width, channels: 1, classes: Array.from({ length: set.classes }, (_, i) => String(i)), fit: 'stretch', normalisation: norm }
  return { task, block: { count: set.count, perSample: set.height * set.width, x: set.pixels, y: set.labels } }
}

export async function evaluateModel(ort: OrtModule, model: Model, params: ReadonlyMap<string, Float32Array>, set: LabelledImages, norm: Normalisation, options: EvaluateOptions = {}): Promise<Evaluation> {
  const { task, block } = imagesAsTask(set, norm)
  return evaluateTask(ort, model, params, task, block, options)
}

/** The model's outputs for `rows` encoded inputs (the use page's few samples). */
export async function predictOutputs(ort: OrtModule, model: Model, params: ReadonlyMap<string, Float32Array>, x: Float32Array, rows: number, backend: ExecutionBackend = 'wasm'): Promise<Float32Array> {
  const width = model.inputShape.reduce((a, b) => a * b, 1)
  if (!(Number.isInteger(rows) && rows >= 1) || x.length !== rows * width) throw new RangeError(`${x.length} input values are not ${rows} samples of ${width}`)
  const graph = buildInference(model, rows)
  const session = await createOrtSession(ort, exportOnnx(graph), { backend })
  try {
    const feeds: Record<string, InstanceType<OrtModule['Tensor']>> = { x: new ort.Tensor('float32', x, [rows, ...model.inputShape]) }
    for (const { name, value } of graph.inputsOfKind('param')) feeds[name] = new ort.Tensor('float32', params.get(name.slice(PARAM_PREFIX.length))!, [...value.shape])
    return Float32Array.from((await session.run(feeds)).logits!.data as Float32Array)
  } finally {
    await session.release()
  }
}

export async function evaluateTask(ort: OrtModule, model: Model, params: ReadonlyMap<string, Float32Array>, task: TaskSpec, block: TaskBlock, options: EvaluateOptions = {}): Promise<Evaluation> {
  const count = Math.min(options.limit ?? block.count, block.count)
  if (count < 1) throw new RangeError('there are no samples to evaluate on')
  const batchSize = Math.min(options.batchSize ?? 500, count)
  const graph = buildInference(model, batchSize)
  const session = await createOrtSession(ort, exportOnnx(graph), { backend: options.backend ?? 'wasm' })
  const feeds: Record<string, InstanceType<OrtModule['Tensor']>> = {}
  for (const { name, value } of graph.inputsOfKind('param')) feeds[name] = new ort.Tensor('float32', params.get(name.slice(PARAM_PREFIX.length))!, [...value.shape])
  const values = model.objective === 'values'
  const width = model.classes
  let hits = 0
  let predicted = 0
  let lossSum = 0
  const predictions = new Uint8Array(values || task.kind === 'text' ? 0 : Math.floor(count / batchSize) * batchSize)
  try {
    for (let start = 0; start + batchSize <= count; start += batchSize) {
      const { x, y } = taskBatch(task, block, Array.from({ length: batchSize }, (_, i) => start + i))
      feeds.x = new ort.Tensor('float32', x, [batchSize, ...model.inputShape])
      const logits = (await session.run(feeds)).logits!.data as Float32Array
      // One prediction per sample, or per position of a text window.
      const rows = logits.length / width
      for (let r = 0; r < rows; r++) {
        const row = logits.subarray(r * width, (r + 1) * width)
        const target = y.subarray(r * width, (r + 1) * width)
        predicted++
        if (values) {
          let worst = 0
          for (let c = 0; c < width; c++) {
            const d = (row[c]! - target[c]!) ** 2
            lossSum += d
            worst = Math.max(worst, d)
          }
          if (worst < 0.25) hits++
          continue
        }
        let best = 0
        let label = 0
        for (let c = 1; c < width; c++) {
          if (row[c]! > row[best]!) best = c
          if (target[c]! > target[label]!) label = c
        }
        let sum = 0
        for (let c = 0; c < width; c++) sum += Math.exp(row[c]! - row[best]!)
        lossSum += Math.log(sum) + row[best]! - row[label]!
        if (predictions.length > 0) predictions[start + r] = best
        if (best === label) hits++
      }
    }
  } finally {
    await session.release()
  }
  return { accuracy: hits / predicted, loss: lossSum / predicted, predictions }
}
