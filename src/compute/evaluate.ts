// Test-set accuracy of a parameter set, through the inference graph on the same engine that trains.
import { buildInference, PARAM_PREFIX } from '../graph/train-step.ts'
import { exportOnnx } from '../graph/onnx/export.ts'
import type { Model } from '../graph/model.ts'
import { makeBatch, type Normalisation } from '../data/batches.ts'
import type { LabelledImages } from '../data/labelled-images.ts'
import { createOrtSession, type ExecutionBackend, type OrtModule } from './train-session.ts'

export async function evaluateAccuracy(
  ort: OrtModule,
  model: Model,
  params: ReadonlyMap<string, Float32Array>,
  set: LabelledImages,
  norm: Normalisation,
  options: { batchSize?: number; limit?: number; backend?: ExecutionBackend } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 500
  const count = Math.min(options.limit ?? set.count, set.count)
  const graph = buildInference(model, batchSize)
  const session = await createOrtSession(ort, exportOnnx(graph), { backend: options.backend ?? 'wasm' })
  const feeds: Record<string, InstanceType<OrtModule['Tensor']>> = {}
  for (const { name, value } of graph.inputsOfKind('param')) feeds[name] = new ort.Tensor('float32', params.get(name.slice(PARAM_PREFIX.length))!, [...value.shape])
  let correct = 0
  let seen = 0
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
        if (best === set.labels[start + b]) correct++
      }
      seen += batchSize
    }
  } finally {
    await session.release()
  }
  return correct / seen
}
