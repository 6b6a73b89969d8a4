// The generated graphs on a real ORT engine (onnxruntime-web, wasm backend, in Node) against the float64
// reference interpreter: whole train steps, pipeline shards, and multi-step training with resident state.
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { buildTrainStep } from '../graph/train-step.ts'
import { buildGradientGraph, buildLossHead, buildShard, ACTIVATION, ACTIVATION_OUT, GRAD_IN, GRAD_OUT, gradName } from '../graph/shard.ts'
import { evaluateNamed } from '../graph/reference.ts'
import { cnn, mlp, tinyTransformer } from '../graph/zoo.ts'
import { buildModel } from '../graph/model-spec.ts'
import { DEFAULT_ADAMW, DEFAULT_SGD, type OptimizerSpec } from '../graph/optimizer.ts'
import { initParams, type Model } from '../graph/model.ts'
import { randomFeeds } from '../graph/testing/feeds.ts'
import { referenceStep, type CarriedValues } from '../graph/testing/reference-step.ts'
import { packFlat, unpackFlat } from '../graph/flat-params.ts'
import { relativeL2 } from './compare-runs.ts'
import { runOrt } from './testing/run-ort.ts'
import { TrainSession, type StepResult } from './train-session.ts'
import type { Graph } from '../graph/graph.ts'

ort.env.wasm.numThreads = 1
const TOLERANCE = 1e-4

function paramFeeds(model: Model, seed: number): Record<string, Float32Array> {
  return Object.fromEntries([...initParams(model, seed)].map(([name, values]) => [`param/${name}`, values]))
}

const models: Array<[string, () => Model]> = [
  ['mlp', () => mlp([1, 8, 8], [16], 4)],
  ['cnn', () => cnn([4, 8], 16)],
  ['transformer', () => tinyTransformer()],
  // Built from specs (model-spec.ts): RGB images of the owner's size, encoded table rows, a deeper character model.
  ['RGB 8×12 CNN from a spec', () => buildModel({ kind: 'cnn', channels: [3, 4], dense: 8 }, { kind: 'image', height: 8, width: 12, channels: 3 }, 5)],
  ['tabular MLP from a spec', () => buildModel({ kind: 'mlp', hidden: [8, 6] }, { kind: 'vector', width: 13 }, 3)],
  ['2-layer character transformer from a spec', () => buildModel({ kind: 'transformer', layers: 2, width: 16, heads: 4 }, { kind: 'tokens', vocab: 12, context: 6 }, 12)],
  ['tabular regression MLP from a spec (squared error)', () => buildModel({ kind: 'mlp', hidden: [8] }, { kind: 'vector', width: 11 }, 1, 'values')],
  // Dropout masks are inputs (graph/dropout.ts): the graph multiplies them in where the reference does.
  ['character transformer with dropout', () => buildModel({ kind: 'transformer', layers: 2, width: 16, heads: 4, dropout: 0.5 }, { kind: 'tokens', vocab: 12, context: 6 }, 12)],
  ['MLP with dropout', () => buildModel({ kind: 'mlp', hidden: [8, 6], dropout: 0.5 }, { kind: 'vector', width: 13 }, 3)],
]
const optimizers: Array<[string, OptimizerSpec]> = [['SGD-momentum', { ...DEFAULT_SGD, weightDecay: 1e-3 }], ['AdamW', DEFAULT_ADAMW]]

describe('train steps on ORT equal the float64 reference', () => {
  for (const [modelName, makeModel] of models) {
    for (const [optName, optimizer] of optimizers) {
      it(`${modelName} with ${optName}: every output within ${TOLERANCE} relative`, async () => {
        const model = makeModel()
        const step = buildTrainStep(model, 3, optimizer)
        const feeds = randomFeeds(step.graph, 7, paramFeeds(model, 1))
        const expected = evaluateNamed(step.graph, feeds)
        const actual = await runOrt(step.graph, feeds)
        for (const [name, values] of Object.entries(expected)) expect(relativeL2(actual[name]!, values), name).toBeLessThan(TOLERANCE)
      })
    }
  }
})

describe('pipeline shards', () => {
  it('two shards give the same loss and gradients as the whole model (reference and ORT)', async () => {
    const model = cnn([4, 8], 16)
    const batch = 2
    const cut = 4
    const whole = buildGradientGraph(model, batch)
    const feeds = randomFeeds(whole, 3, paramFeeds(model, 2))
    const first = buildShard(model, 0, cut, batch)
    const second = buildShard(model, cut, model.layers.length, batch)
    const head = buildLossHead(model, batch)
    for (const engine of ['reference', 'ort'] as const) {
      const run = async (graph: Graph, f: Record<string, Float32Array>) =>
        engine === 'ort' ? runOrt(graph, f) : Object.fromEntries(Object.entries(evaluateNamed(graph, f)).map(([k, v]) => [k, Float32Array.from(v)]))
      const act1 = (await run(first.forward, { ...feeds, [ACTIVATION]: feeds.x! }))[ACTIVATION_OUT]!
      const logits = (await run(second.forward, { ...feeds, [ACTIVATION]: act1 }))[ACTIVATION_OUT]!
      const headOut = await run(head, { [ACTIVATION]: logits, y: feeds.y! })
      const back2 = await run(second.backward, { ...feeds, [ACTIVATION]: act1, [GRAD_OUT]: headOut[GRAD_IN]! })
      const back1 = await run(first.backward, { ...feeds, [ACTIVATION]: feeds.x!, [GRAD_OUT]: back2[GRAD_IN]! })
      const expected = evaluateNamed(whole, feeds)
      expect(Math.abs(headOut.loss![0]! - expected.loss![0]!) / expected.loss![0]!, `${engine} loss`).toBeLessThan(TOLERANCE)
      for (const name of [...first.params, ...second.params]) {
        const got = first.params.includes(name) ? back1[gradName(name)]! : back2[gradName(name)]!
        expect(relativeL2(got, expected[gradName(name)]!), `${engine} ${name}`).toBeLessThan(TOLERANCE)
      }
      expect(back1[GRAD_IN], 'the first shard computes no gradient for the input data').toBeUndefined()
    }
  })

  it('rejects a shard that is not a layer range', () => {
    expect(() => buildShard(mlp(), 2, 2, 1)).toThrow(/not a layer range/)
  })
})

describe('TrainSession', () => {
  // Small buckets split the MLP's four tensors over several buckets, as a model too large for one would be.
  const layouts = [['one bucket', undefined, 4], ['several buckets', 60, 4], ['several buckets, micro-batches of 2 rows', 60, 2]] as const
  for (const [layoutName, maxBucketFloats, microBatch] of layouts) {
    it(`keeps state resident across steps and matches the reference after several steps (${layoutName})`, async () => {
      const model = mlp([1, 4, 4], [8], 3)
      const step = buildTrainStep(model, 4, DEFAULT_ADAMW, { maxBucketFloats, microBatch })
      if (maxBucketFloats !== undefined) expect(step.layout.bucketSizes.length).toBeGreaterThan(1)
      const session = await TrainSession.create(ort, step, { backend: 'wasm' })
      const params = initParams(model, 5)
      session.load(params)
      const packed = packFlat(step.layout, params)
      let carried: CarriedValues = Object.fromEntries(step.carried.map((c) => [c.input, c.slot === null ? packed[c.bucket]! : new Float32Array(packed[c.bucket]!.length)]))
      for (const seed of [1, 2, 3]) {
        const batch = randomFeeds(buildTrainStep(model, 4, DEFAULT_ADAMW).graph, seed)
        const actual = await session.run({ x: batch.x!, y: batch.y! }, 0.05, seed)
        const expected = referenceStep(step, carried, { x: batch.x!, y: batch.y! }, 0.05, seed)
        expect(Math.abs(actual.loss - expected.loss) / expected.loss).toBeLessThan(TOLERANCE)
        carried = expected.carried
      }
      // The patched ORT (patches/onnxruntime-web-preallocated-outputs.mjs) wrote every run's carried outputs into the session's arrays.
      expect(session.writesOwnArrays).toBe(true)
      const { params: trained } = await session.read()
      const expectedParams = unpackFlat(step.layout, step.carried.filter((c) => c.slot === null).map((c) => Float32Array.from(carried[c.input]!)))
      for (const [name, values] of trained) expect(relativeL2(values, expectedParams.get(name)!), name).toBeLessThan(TOLERANCE)
      await session.release()
    })
  }

  for (const [optName, optimizer] of optimizers) {
    it(`runs a stack of steps in one engine run exactly as one run per step (${optName})`, async () => {
      const model = cnn([4, 8], 16)
      const step = buildTrainStep(model, 4, optimizer)
      const batches = [1, 2, 3, 4, 5].map((seed) => randomFeeds(step.graph, seed)).map((f) => ({ x: f.x!, y: f.y! }))
      const stacked = await TrainSession.create(ort, step, { backend: 'wasm' })
      const single = await TrainSession.create(ort, step, { backend: 'wasm' })
      for (const s of [stacked, single]) s.load(initParams(model, 9))
      const many = [...(await stacked.runSteps(batches.slice(0, 3), 0.01, 1)), ...(await stacked.runSteps(batches.slice(3), 0.01, 4))]
      const one: StepResult[] = []
      for (const [i, batch] of batches.entries()) one.push(await single.run(batch, 0.01, i + 1))
      expect(many).toEqual(one)
      expect((await stacked.read(true)).params).toEqual((await single.read(true)).params)
      await Promise.all([stacked.release(), single.release()])
    })
  }

  it('draws the dropout masks the reference draws for each batch and step, micro-batches and split stacks included', async () => {
    const model = buildModel({ kind: 'transformer', layers: 2, width: 16, heads: 4, dropout: 0.3 }, { kind: 'tokens', vocab: 12, context: 6 }, 12)
    const step = buildTrainStep(model, 4, DEFAULT_ADAMW, { microBatch: 2 })
    const wholeBatch = buildTrainStep(model, 4, DEFAULT_ADAMW).graph
    const batches = [1, 2, 3, 4].map((seed) => randomFeeds(wholeBatch, seed)).map((f) => ({ x: Float32Array.from(f.x!, (v) => (v > 0.3 ? 1 : 0)), y: f.y! }))
    // A stack budget of one step's row inputs and a half: four steps go as runs of one step each.
    const rowBytes = 4 * 2 * [...step.graph.inputsOfKind('input')].filter((i) => i.name === 'x' || i.name === 'y' || i.name.startsWith('drop/')).reduce((n, i) => n + i.value.shape.reduce((a, b) => a * b, 1), 0)
    const sessions = {
      whole: await TrainSession.create(ort, step, { backend: 'wasm' }),
      split: await TrainSession.create(ort, step, { backend: 'wasm', stackBytes: 1.5 * rowBytes }),
    }
    const params = initParams(model, 5)
    for (const s of Object.values(sessions)) s.load(params)
    const packed = packFlat(step.layout, params)
    let carried: CarriedValues = Object.fromEntries(step.carried.map((c) => [c.input, c.slot === null ? packed[c.bucket]! : new Float32Array(packed[c.bucket]!.length)]))
    const expected: number[] = []
    for (const [i, batch] of batches.entries()) {
      const out = referenceStep(step, carried, batch, 0.01, i + 1)
      expected.push(out.loss)
      carried = out.carried
    }
    const whole = await sessions.whole.runSteps(batches, 0.01, 1)
    const split = await sessions.split.runSteps(batches, 0.01, 1)
    whole.forEach((r, i) => expect(Math.abs(r.loss - expected[i]!) / expected[i]!, `step ${i + 1}`).toBeLessThan(TOLERANCE))
    expect(split).toEqual(whole)
    expect((await sessions.split.read()).params).toEqual((await sessions.whole.read()).params)
    // The masks matter: the same steps without dropout train to other parameters.
    const plainStep = buildTrainStep({ ...model, dropout: undefined }, 4, DEFAULT_ADAMW, { microBatch: 2 })
    expect(plainStep.dropout).toBeNull()
    const plain = await TrainSession.create(ort, plainStep, { backend: 'wasm' })
    plain.load(params)
    const plainLosses = (await plain.runSteps(batches, 0.01, 1)).map((r) => r.loss)
    expect(Math.abs(plainLosses[0]! - whole[0]!.loss)).toBeGreaterThan(1e-3)
    await Promise.all([...Object.values(sessions), plain].map((s) => s.release()))
  })

  it('gives the same steps with micro-batches as with whole batches (gradient accumulation on ORT)', async () => {
    const model = cnn([4, 8], 16)
    const run = async (microBatch: number) => {
      const step = buildTrainStep(model, 8, DEFAULT_ADAMW, { microBatch })
      const session = await TrainSession.create(ort, step, { backend: 'wasm' })
      session.load(initParams(model, 3))
      const losses: number[] = []
      for (let t = 1; t <= 3; t++) {
        const batch = randomFeeds(buildTrainStep(model, 8, DEFAULT_ADAMW).graph, 40 + t)
        losses.push((await session.run({ x: batch.x!, y: batch.y! }, 0.01, t)).loss)
      }
      const { params } = await session.read()
      await session.release()
      return { losses, params }
    }
    const whole = await run(8)
    const micro = await run(2)
    micro.losses.forEach((loss, i) => expect(Math.abs(loss - whole.losses[i]!) / whole.losses[i]!).toBeLessThan(1e-5))
    for (const [name, values] of whole.params) expect(relativeL2(micro.params.get(name)!, values), name).toBeLessThan(1e-5)
  })

  it('lowers the loss on a learnable task', async () => {
    const model = mlp([1, 4, 4], [16], 2)
    const step = buildTrainStep(model, 16, DEFAULT_ADAMW)
    const session = await TrainSession.create(ort, step, { backend: 'wasm' })
    session.load(initParams(model, 1))
    // Class = whether the first pixel is brighter than the last.
    const batch = randomFeeds(step.graph, 11)
    for (let i = 0; i < 16; i++) {
      const label = batch.x![i * 16]! > batch.x![i * 16 + 15]! ? 0 : 1
      batch.y!.set(label === 0 ? [1, 0] : [0, 1], i * 2)
    }
    const first = await session.run({ x: batch.x!, y: batch.y! }, 0.01, 1)
    let last = first
    for (let s = 2; s <= 60; s++) last = await session.run({ x: batch.x!, y: batch.y! }, 0.01, s)
    expect(last.loss).toBeLessThan(first.loss * 0.5)
    expect(last.correct).toBe(16)
    await session.release()
  })

  it('rejects a wrong-shaped batch with a clear error and keeps its state', async () => {
    const model = mlp([1, 4, 4], [8], 3)
    const step = buildTrainStep(model, 2, DEFAULT_SGD)
    const session = await TrainSession.create(ort, step, { backend: 'wasm' })
    session.load(initParams(model, 1))
    await expect(session.run({ x: new Float32Array(5), y: new Float32Array(6) }, 0.1, 1)).rejects.toThrow(/batch x has 5 values, the step expects \[2, 1, 4, 4\]/)
    const feeds = randomFeeds(step.graph, 1)
    await expect(session.run({ x: feeds.x!, y: feeds.y! }, 0.1, 1)).resolves.toHaveProperty('loss')
    await session.release()
  })

  it('writes runs into its own two sets of arrays: never into arrays it was given or has handed out', async () => {
    const model = mlp([1, 4, 4], [8], 3)
    const step = buildTrainStep(model, 4, DEFAULT_ADAMW)
    const batches = [1, 2, 3, 4].map((seed) => randomFeeds(step.graph, seed)).map((f) => ({ x: f.x!, y: f.y! }))
    const session = await TrainSession.create(ort, step, { backend: 'wasm' })
    const params = initParams(model, 4)
    const given = new Map([...params].map(([name, values]) => [name, Float32Array.from(values)]))
    session.load(given)
    await session.run(batches[0]!, 0.05, 1)
    const afterOne = await session.read(true)
    const frozen = structuredClone(afterOne)
    // Later runs alternate between the two sets; neither the arrays load() got nor what read() returned move.
    await session.runSteps(batches.slice(1, 2), 0.05, 2)
    await session.runSteps(batches.slice(2), 0.05, 3)
    expect(afterOne).toEqual(frozen)
    expect(given).toEqual(params)
    // A state handed back to load() (the referee keeps its own moments) is read, not written, too.
    session.load(afterOne.params, afterOne.state)
    await session.runSteps(batches, 0.05, 2)
    expect(afterOne).toEqual(frozen)
    await session.release()
  })

  // ORT-web as published ('ignores': a pre-allocated output comes back as the very tensor passed in, never
  // written), and a build that refuses pre-allocated outputs outright.
  for (const behaviour of ['ignores', 'refuses'] as const) it(`trains the same when ORT ${behaviour} pre-allocated outputs, by running again the usual way`, async () => {
    const unpatched = {
      ...ort,
      InferenceSession: {
        create: async (...args: Parameters<typeof ort.InferenceSession.create>) => {
          const real = await ort.InferenceSession.create(...args)
          return new Proxy(real, {
            get(target, key) {
              if (key !== 'run') return Reflect.get(target, key, target) as unknown
              return async (feeds: ort.InferenceSession.FeedsType, fetches?: Record<string, ort.Tensor | null>) => {
                if (fetches !== undefined && behaviour === 'refuses') throw new Error('pre-allocated outputs are not supported')
                const out = await target.run(feeds)
                if (fetches === undefined) return out
                return Object.fromEntries(Object.entries(fetches).map(([name, given]) => [name, given ?? out[name]!]))
              }
            },
          })
        },
      },
    } as unknown as typeof ort
    const model = cnn([4, 8], 16)
    const step = buildTrainStep(model, 4, DEFAULT_ADAMW)
    const batches = [1, 2, 3].map((seed) => randomFeeds(step.graph, seed)).map((f) => ({ x: f.x!, y: f.y! }))
    const plain = await TrainSession.create(unpatched, step, { backend: 'wasm' })
    const patched = await TrainSession.create(ort, step, { backend: 'wasm' })
    for (const s of [plain, patched]) s.load(initParams(model, 2))
    // One after the other: runs of two sessions on one wasm instance must not interleave.
    const results: StepResult[][] = []
    for (const s of [plain, patched]) results.push([...(await s.runSteps(batches.slice(0, 2), 0.01, 1)), ...(await s.runSteps(batches.slice(2), 0.01, 3))])
    expect([plain.writesOwnArrays, patched.writesOwnArrays]).toEqual([false, true])
    expect(results[0]).toEqual(results[1])
    expect((await plain.read(true)).params).toEqual((await patched.read(true)).params)
    await Promise.all([plain.release(), patched.release()])
  })
})
