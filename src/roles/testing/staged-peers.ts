// Tests' staged jobs in Node: a libp2p peer listening on loopback with an in-memory block exchange, stopped by the
// test's stop list; a character-transformer job cut into 3 stages; and The Devil's Dictionary to train it on.
import { MemoryBlockstore } from 'blockstore-core/memory'
import type { PrivateKey } from '@libp2p/interface'
import type { StageEngine } from '../../compute/stage-engine.ts'
import { createNodePeer } from '../../p2p/node-peer.ts'
import { BlockExchange } from '../../p2p/block-exchange.ts'
import { recipeModel, type ModelRecipe } from '../../graph/model-recipe.ts'
import { taskInput, taskOutputs, type TextTask } from '../../data/task.ts'
import { characterVocab, readTextFile, tokenize, windowBatch, windowStarts } from '../../data/text.ts'
import { readSharedFile } from '../../data/testing/shared-files.ts'
import { seededRandom } from '../../random.ts'
import type { JobSpec } from '../../training/job.ts'
import { testJob } from '../../training/testing/job-fixture.ts'

/** `privateKey`: the peer's identity (a coordinator signing its job log with it), or a fresh one. */
export async function stagedPeer(stops: Array<() => Promise<void>>, privateKey?: PrivateKey) {
  const node = await createNodePeer({ privateKey, listenWs: { host: '127.0.0.1', port: 0 } })
  const exchange = await BlockExchange.start(node, new MemoryBlockstore())
  stops.push(async () => {
    await exchange.stop()
    await node.stop()
  })
  return { node, exchange }
}

/** A text job cut into 3 stages at layers 2 and 4, coordinated by `coordinator`. */
export function stagedTextJob(coordinator: string, recipe: ModelRecipe, task: TextTask, microBatch: number, overrides: Partial<JobSpec>): JobSpec {
  return { ...testJob({ coordinator, model: 'transformer', aggregator: 'mean', ...overrides }), recipe, task, classes: [], stages: { cuts: [2, 4], microBatch, budgetBytes: 2 ** 26 } }
}

/** The Devil's Dictionary as a character task with `context`, a transformer for it, and random windows of it. */
export async function dictionaryTask(context: number, vocabSize: number, spec: Extract<ModelRecipe['spec'], { kind: 'transformer' }>, seed: number) {
  const documents = readTextFile({ name: 'devils-dictionary.txt', bytes: await readSharedFile('text/devils-dictionary.txt') })
  const vocab = characterVocab(documents, vocabSize)
  const task: TextTask = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab, context } }
  const { tokens } = tokenize(documents, task.schema, 'devils-dictionary.txt')
  const recipe: ModelRecipe = { spec, input: taskInput(task), ...taskOutputs(task) }
  const starts = windowStarts(tokens.length, context)
  const random = seededRandom(seed)
  const draw = (rows: number) => windowBatch(tokens, Array.from({ length: rows }, () => starts[Math.floor(random() * starts.length)]!), context, vocab.length)
  return { task, recipe, model: recipeModel(recipe), draw }
}

/** A lazy replica: it runs its stage, then hands back 0.9× what it computed (forward and backward alike). */
export function lazy(engine: StageEngine): StageEngine {
  const scale = (v: Float32Array) => v.map((x) => 0.9 * x)
  return {
    ...engine,
    shard: engine.shard,
    forward: async (p, a) => scale(await engine.forward(p, a)),
    backward: async (p, a, g) => {
      const { gradIn, grads } = await engine.backward(p, a, g)
      return { gradIn: gradIn && scale(gradIn), grads }
    },
  }
}
