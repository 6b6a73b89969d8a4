// Test-set accuracy, mean cross-entropy and per-sample predictions of a parameter set, through the inference
// graph on the same engine that trains.
import { buildInference, PARAM_PREFIX } from '../graph/train-step.ts'
import { exportOnnx } from '../graph/onnx/export.ts'
import type { Model } from '../graph/model.ts'
import { makeBatch, type Normalisation } from '../data/batches.ts'
import type { LabelledImages } from '../data/labelled-images.ts'
import { createOrtSession, type ExecutionBackend, type OrtModule } from './train-session.ts'

export interface Evaluation {
  accuracy: number
  /** Mean softmax cross-entropy over the evaluated samples. */
  loss: number
  /** Arg-max class of each evaluated sample, in order (whole batches only). */
  predictions: Uint8Array
}

type EvaluateOptions = { batchSize?: number; limit?: number; backend?: ExecutionBackend }

export async function evaluateAccuracy(ort: OrtModule, model: Model, params: ReadonlyMap<string, Float32Array>, set: LabelledImages, norm: Normalisation, options: EvaluateOptions = {}): Promise<number> {
  return (await evaluateModel(ort, model, params, set, norm, options)).accuracy
}

export async function evaluateModel(ort: OrtModule, model: Model, params: ReadonlyMap<string, Float32Array>, set: LabelledImages, norm: Normalisation, options: EvaluateOptions = {}): Promise<Evaluation> {
  const count = Math.min(options.limit ?? set.count, set.count)
  if (count < 1) throw new RangeError('there are no samples to evaluate on')
  const batchSize = Math.min(options.batchSize ?? 500, count)
  const graph = buildInference(model, batchSize)
  const session = await createOrtSession(ort, exportOnnx(graph), { backend: options.backend ?? 'wasm' })
  const feeds: Record<string, InstanceType<OrtModule['Tensor']>> = {}
  for (const { name, value } of graph.inputsOfKind('param')) feeds[name] = new ort.Tensor('float32', params.get(name.slice(PARAM_PREFIX.length))!, [...value.shape])
  let correct = 0
  let seen = 0
  let lossSum = 0
  const predictions = new Uint8Array(Math.floor(count / batchSize) * batchSize)
  try {
    for (let start = 0; start + batchSize <= count; start += batchSize) {
      const indices = Array.from({ length: batchSize }, (_, i) => start + i)
      const { x } = makeBatch(set, indices, norm)
      feeds.x = new ort.Tensor('float32', x, [batchSize, ...model.inputShape])
      const logits = (await session.run(feeds)).logits!.data as Float32Array
      for (let b = 0; b < batchSize; b++) {
        const row = logits.subarray(b * model.classes, (b + 1) * model.classes)
        let best = 0
        for (let c = 1; c < model.classes; c++) if (row[c]! > row[best]!) best = c
        let sum = 0
        for (let c = 0; c < model.classes; c++) sum += Math.exp(row[c]! - row[best]!)
        lossSum += Math.log(sum) + row[best]! - row[set.labels[start + b]!]!
        predictions[start + b] = best
        if (best === set.labels[start + b]) correct++
      }
      seen += batchSize
    }
  } finally {
    await session.release()
  }
  return { accuracy: correct / seen, loss: lossSum / seen, predictions }
}
