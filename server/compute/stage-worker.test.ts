// A stage engine in a compute worker (a tab's, here a Node thread's: the same client, protocol and runtime):
// the same answers as an engine on this thread, with a stage's parameters sent only when their key changes.
import { afterAll, describe, expect, it } from 'vitest'
import * as ortNode from 'onnxruntime-node'
import { nodeComputeClient } from './node-compute.ts'
import { nativeOrt } from './ort-native.ts'
import { createStageEngine } from '../../src/compute/stage-engine.ts'
import { recipeModel, type ModelRecipe } from '../../src/graph/model-recipe.ts'
import { initParams, shapeAt } from '../../src/graph/model.ts'
import { buildShard } from '../../src/graph/shard.ts'
import { numel } from '../../src/graph/shape.ts'
import { seededRandom } from '../../src/random.ts'

// A headless peer's compute thread runs onnxruntime-node's native build (ort-native.ts): the engine here runs it too.
const ort = nativeOrt(ortNode)
ort.env.wasm.numThreads = 1
const recipe: ModelRecipe = { spec: { kind: 'transformer', layers: 2, width: 16, heads: 4 }, input: { kind: 'tokens', vocab: 12, context: 6 }, outputs: 12, objective: 'classes' }
const model = recipeModel(recipe)

describe('a stage engine in a compute worker', () => {
  const compute = nodeComputeClient()
  afterAll(() => compute.terminate())

  it('answers as this thread\'s engine does, sending parameters only under a new key', async () => {
    const engine = await compute.stageEngine(recipe, 1, 3, 2, 'wasm', 1)
    const local = await createStageEngine(ort, buildShard(model, 1, 3, 2), 'wasm')
    const params = initParams(model, 2)
    const random = seededRandom(5)
    const activation = Float32Array.from({ length: 2 * numel(shapeAt(model, 1)) }, () => random() - 0.5)
    const gradOut = Float32Array.from({ length: 2 * numel(shapeAt(model, 3)) }, () => random() - 0.5)
    const before = await engine.forward(params, activation, 'v1')
    expect(before).toEqual(await local.forward(params, activation))
    const back = await engine.backward(params, activation, gradOut, 'v1')
    const expected = await local.backward(params, activation, gradOut)
    expect(back.gradIn).toEqual(expected.gradIn)
    expect(back.grads).toEqual(expected.grads)
    // Values changed in place under the same key are not sent (the worker answers with what it holds) …
    for (const values of params.values()) values.fill(0.01)
    expect(await engine.forward(params, activation, 'v1')).toEqual(before)
    // … and are under a new key, or with no key at all.
    const changed = await local.forward(params, activation)
    expect(await engine.forward(params, activation, 'v2')).toEqual(changed)
    expect(await engine.forward(params, activation)).toEqual(changed)
    await engine.release()
    await local.release()
  })
})
