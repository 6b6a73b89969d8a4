// Text from a language-modelling job's model: the last `context` tokens in, the next token drawn from the
// softmax at the last position (at a temperature, from a seeded stream, so a sample can be repeated), one
// inference run per token on the same engine that trains.
import { buildInference, PARAM_PREFIX } from '../graph/train-step.ts'
import { exportOnnx } from '../graph/onnx/export.ts'
import type { Model } from '../graph/model.ts'
import { writeTokens } from '../data/text.ts'
import { createOrtSession, type ExecutionBackend, type OrtModule } from './train-session.ts'

export interface GenerateOptions {
  /** Tokens to continue: at least the model's context (its last `context` are read). */
  prompt: ArrayLike<number>
  length: number
  /** 0 takes the most likely token every time. */
  temperature: number
  seed: number
  backend?: ExecutionBackend
}

/** The `length` tokens the model writes after `prompt`, one inference run per token on this engine. */
export async function generateTokens(ort: OrtModule, model: Model, params: ReadonlyMap<string, Float32Array>, options: GenerateOptions): Promise<Uint16Array> {
  const [context, vocab] = model.inputShape as [number, number]
  if (model.inputShape.length !== 2 || model.classes !== vocab) throw new RangeError('only a language model (token windows in, next tokens out) writes text')
  const graph = buildInference(model, 1)
  const session = await createOrtSession(ort, exportOnnx(graph), { backend: options.backend ?? 'wasm' })
  const feeds: Record<string, InstanceType<OrtModule['Tensor']>> = {}
  for (const { name, value } of graph.inputsOfKind('param')) feeds[name] = new ort.Tensor('float32', params.get(name.slice(PARAM_PREFIX.length))!, [...value.shape])
  try {
    return await writeTokens(async (x) => {
      feeds.x = new ort.Tensor('float32', x, [1, context, vocab])
      return (await session.run(feeds)).logits!.data as Float32Array
    }, { context, vocab }, options)
  } finally {
    await session.release()
  }
}
