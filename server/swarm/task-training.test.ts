// The owner's own tasks trained by the swarm in Node: a real relay, a coordinator and three volunteers over
// loopback WebSockets, each job with its own task and model from a spec, on the shared datasets. Tables
// (Wine, Breast Cancer) must reach 0.95 held-out accuracy; colour pictures of the owner's own classes at
// another size must train far above chance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelayNode, relayAddrs } from '../../src/p2p/relay-node.ts'
import { startHeadlessCoordinator, startHeadlessVolunteer, type CoordinatorPeerOptions } from './headless.ts'
import { colourPictures, tableTask, textTask, type TaskData } from '../task-data.ts'
import { loadFashionMnist } from '../fashion-mnist.ts'
import { taskInput, taskOutputs } from '../../src/data/task.ts'
import { recipeModel, type ModelRecipe } from '../../src/graph/model-recipe.ts'
import { exportTrainedModel } from '../../src/graph/export-model.ts'
import { readExportedModel } from '../../src/graph/onnx/import-model.ts'
import { fineTuneStart } from '../../src/graph/fine-tune.ts'
import { paramLayout, unflatten } from '../../src/training/vector.ts'
import type { JobSpec } from '../../src/training/job.ts'

type Relay = Awaited<ReturnType<typeof createRelayNode>>

const recipeFor = (data: TaskData, spec: ModelRecipe['spec']): ModelRecipe => ({ spec, input: taskInput(data.task), ...taskOutputs(data.task) })

async function trainInSwarm(relay: Relay, data: TaskData, recipe: ModelRecipe, overrides: Partial<JobSpec>, timeoutMs: number, start?: CoordinatorPeerOptions['start']) {
  const log: string[] = []
  const coordinator = await startHeadlessCoordinator({
    relayAddrs: relayAddrs(relay),
    dataDir: null,
    host: '127.0.0.1',
    train: data.train,
    test: data.test,
    task: { task: data.task, recipe },
    ...(start ? { start } : {}),
    shardSize: 256,
    overrides: { unitsPerRound: 3, auditRate: 0.25, roundMs: 30_000, ...overrides },
    log: (line) => log.push(`coordinator: ${line}`),
  })
  const volunteers = []
  try {
    for (let i = 0; i < 3; i++) volunteers.push(await startHeadlessVolunteer({ relayAddrs: relayAddrs(relay), dataDir: null, jobId: coordinator.job.id, log: (line) => log.push(`volunteer ${i}: ${line}`) }))
    const deadline = Date.now() + timeoutMs
    while (!coordinator.coordinator.view.finished && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250))
    const view = coordinator.coordinator.view
    expect(view.finished, log.slice(-20).join('\n')).toBe(true)
    const rejected = Object.values(view.peers).reduce((n, p) => n + p.rejected, 0)
    expect(rejected, JSON.stringify(view.history.flatMap((r) => r.rejections))).toBe(0)
    console.info(`${coordinator.job.name}: accuracy ${view.initialAccuracy} → ${view.history.map((r) => r.testAccuracy!.toFixed(3)).join(", ")}, loss ${view.history.map((r) => r.testLoss!.toFixed(3)).join(", ")}`)
    const params = unflatten(paramLayout(recipeModel(recipe)), coordinator.coordinator.currentParams)
    return { job: coordinator.job, initial: view.initialAccuracy!, accuracies: view.history.map((r) => r.testAccuracy!), losses: view.history.map((r) => r.testLoss!), params, log }
  } finally {
    for (const v of volunteers) await v.stop()
    await coordinator.stop()
  }
}

describe('the swarm trains the owner\'s own tasks', () => {
  let relay: Relay

  beforeAll(async () => {
    relay = await createRelayNode({ host: '127.0.0.1', port: 0 })
  })

  afterAll(async () => {
    await relay?.stop()
  })

  for (const [path, label] of [['tabular/wine.csv', 'cultivar'], ['tabular/breast-cancer.csv', 'diagnosis']] as const) {
    it(`${path}: a table with named columns, predicting "${label}", reaches 0.95 held-out accuracy`, async () => {
      const data = await tableTask(path, label)
      const recipe = recipeFor(data, { kind: 'mlp', hidden: [32] })
      const result = await trainInSwarm(relay, data, recipe, { name: `${label} from ${path}`, batchSize: 16, innerSteps: 16, innerLr: 3e-3, rounds: 6 }, 150_000)
      expect(result.job.task).toEqual(data.task)
      expect(result.accuracies.at(-1)!, JSON.stringify(result)).toBeGreaterThanOrEqual(0.95)
      // After its first unit a volunteer downloads each new version as an int8 diff against the one it holds.
      expect(result.log.filter((line) => line.includes('rebuilt from the version held')).length).toBeGreaterThan(0)
      expect(result.log.filter((line) => line.includes('fetching the full parameters'))).toEqual([])
    }, 180_000)
  }

  it('a job starts from an exported Wine model: continuing keeps its accuracy; a new head on the frozen body learns a new question and leaves the body as it was', async () => {
    const data = await tableTask('tabular/wine.csv', 'cultivar')
    const recipe = recipeFor(data, { kind: 'mlp', hidden: [32] })
    const first = await trainInSwarm(relay, data, recipe, { name: 'wine, first', batchSize: 16, innerSteps: 16, innerLr: 3e-3, rounds: 4 }, 150_000)
    const file = readExportedModel(exportTrainedModel(recipe, first.params, { jobId: first.job.id, jobName: first.job.name, version: 4, task: data.task }), 'wine.onnx')
    const from = { job: file.job.id, name: file.job.name, version: file.job.version }
    // Continuing: the new job's starting model is the file's, so it starts where the first job ended.
    const continued = fineTuneStart(file, recipe, 'continue', 5)
    const again = await trainInSwarm(relay, data, continued.recipe, { name: 'wine, continued', batchSize: 16, innerSteps: 16, innerLr: 3e-3, rounds: 1 }, 150_000, { params: continued.params, fineTune: { from, bodyLayers: continued.bodyLayers, bodyScale: continued.bodyScale } })
    expect(again.job.fineTune).toMatchObject({ from, bodyLayers: recipeModel(recipe).layers.length, bodyScale: 1 })
    expect(again.initial).toBe(first.accuracies.at(-1))
    // A new question on the same measurements: is it a class_0 wine? A fresh head on the frozen body.
    const binary = (block: TaskData['train']) => ({ ...block, y: Float32Array.from(block.y!, (label) => (label === 0 ? 0 : 1)) })
    const schema = data.task.kind === 'tabular' ? data.task.schema : null
    const task = { ...data.task, schema: { ...schema!, target: { kind: 'classification' as const, classes: ['class_0', 'other'] } } } as TaskData['task']
    const question: TaskData = { task, train: binary(data.train), test: binary(data.test) }
    const head = fineTuneStart(file, { input: taskInput(task), ...taskOutputs(task) }, 'new-head-frozen', 5)
    const second = await trainInSwarm(relay, question, head.recipe, { name: 'wine, class_0 or not', batchSize: 16, innerSteps: 16, innerLr: 3e-3, rounds: 3 }, 150_000, { params: head.params, fineTune: { from, bodyLayers: head.bodyLayers, bodyScale: head.bodyScale } })
    expect(second.accuracies.at(-1)!, JSON.stringify(second)).toBeGreaterThanOrEqual(0.9)
    for (const [name, values] of file.params) {
      if (Number.parseInt(name, 10) < head.bodyLayers) expect(second.params.get(name), name).toEqual(values)
      else expect(second.params.get(name)).not.toEqual(head.params.get(name))
    }
  }, 300_000)

  it('colour pictures of the owner\'s own classes at 24×24 train far above chance', async () => {
    const [train, test] = await Promise.all([loadFashionMnist('train'), loadFashionMnist('test')])
    const picks = [{ label: 1, name: 'legs' }, { label: 7, name: 'feet' }, { label: 8, name: 'carry' }]
    const options = { side: 24, fit: 'pad' as const }
    const trainSet = colourPictures(train, picks, { ...options, count: 1536, seed: 1 })
    const testSet = colourPictures(test, picks, { ...options, count: 300, seed: 2 })
    const data: TaskData = { task: trainSet.task, train: trainSet.block, test: testSet.block }
    const recipe = recipeFor(data, { kind: 'cnn', channels: [8, 16], dense: 32 })
    const result = await trainInSwarm(relay, data, recipe, { name: 'legs, feet or carry', batchSize: 16, innerSteps: 16, innerLr: 2e-3, rounds: 4 }, 150_000)
    expect(result.job.classes).toEqual(['legs', 'feet', 'carry'])
    // Chance is 1/3.
    expect(result.accuracies.at(-1)!, JSON.stringify(result)).toBeGreaterThan(0.8)
  }, 180_000)

  it('a character-level transformer on The Devil\'s Dictionary learns more than character frequencies', async () => {
    const data = await textTask('text/devils-dictionary.txt', { vocab: 96, context: 32 })
    const recipe = recipeFor(data, { kind: 'transformer', layers: 2, width: 64, heads: 4 })
    const result = await trainInSwarm(relay, data, recipe, { name: 'Devil\'s Dictionary characters', batchSize: 16, innerSteps: 16, innerLr: 3e-3, rounds: 4 }, 150_000)
    const bitsPerCharacter = result.losses.map((nats) => nats / Math.LN2)
    // The text's unigram entropy is 4.46 bits per character: below it, the model uses context.
    expect(bitsPerCharacter.at(-1)!, JSON.stringify(bitsPerCharacter)).toBeLessThan(4.2)
    expect(bitsPerCharacter.at(-1)!).toBeLessThan(bitsPerCharacter[0]!)
  }, 180_000)
})
