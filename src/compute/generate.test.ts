// Writing text with a language model on ORT wasm: each token is the arg-max (temperature 0) of the float64
// reference's logits at the last position of the window the model reads, and bad prompts are refused.
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { generateTokens } from './generate.ts'
import { recipeModel } from '../graph/model-recipe.ts'
import { initParams } from '../graph/model.ts'
import { buildInference, PARAM_PREFIX } from '../graph/train-step.ts'
import { evaluateNamed } from '../graph/reference.ts'

ort.env.wasm.numThreads = 1

const model = recipeModel({ spec: { kind: 'transformer', layers: 1, width: 8, heads: 2 }, input: { kind: 'tokens', vocab: 5, context: 4 }, outputs: 5, objective: 'classes' })
const params = initParams(model, 11)

describe('writing text with a language model', () => {
  it('takes the most likely next token at temperature 0, window after window, as the reference does', async () => {
    const prompt = [0, 1, 2, 3, 4, 1]
    const written = await generateTokens(ort, model, params, { prompt, length: 6, temperature: 0, seed: 1 })
    const graph = buildInference(model, 1)
    const window = prompt.slice(-4)
    for (const token of written) {
      const x = new Float64Array(20)
      window.forEach((t, p) => (x[p * 5 + t] = 1))
      const logits = Array.from(evaluateNamed(graph, { x, ...Object.fromEntries([...params].map(([k, v]) => [PARAM_PREFIX + k, v])) }).logits!.subarray(15, 20))
      expect(token).toBe(logits.indexOf(Math.max(...logits)))
      window.shift()
      window.push(token)
    }
    // A seeded stream repeats its sample; another seed at a high temperature writes something else.
    const warm = await generateTokens(ort, model, params, { prompt, length: 12, temperature: 2, seed: 7 })
    expect(await generateTokens(ort, model, params, { prompt, length: 12, temperature: 2, seed: 7 })).toEqual(warm)
    expect(await generateTokens(ort, model, params, { prompt, length: 12, temperature: 2, seed: 8 })).not.toEqual(warm)
  })

  it('refuses a prompt shorter than the context, a token outside the vocabulary, and a model that does not write text', async () => {
    await expect(generateTokens(ort, model, params, { prompt: [1, 2, 3], length: 1, temperature: 0, seed: 1 })).rejects.toThrow('a prompt needs at least the model\'s 4 tokens of context, not 3')
    await expect(generateTokens(ort, model, params, { prompt: [1, 2, 3, 5], length: 1, temperature: 0, seed: 1 })).rejects.toThrow('the prompt holds token 5, outside the 5-token vocabulary')
    const table = recipeModel({ spec: { kind: 'mlp', hidden: [] }, input: { kind: 'vector', width: 3 }, outputs: 2, objective: 'classes' })
    await expect(generateTokens(ort, table, initParams(table, 1), { prompt: [1, 2, 3], length: 1, temperature: 0, seed: 1 })).rejects.toThrow('only a language model')
  })
})
