// Task data from the shared datasets for the swarm's task tests and benchmarks, made the way an owner's import
// makes it: a table read with its named columns and the owner's label, statistics from the training rows only;
// colour pictures of the owner's own classes fitted to the job's size by the stated rule.
import { makeBlock, type TaskBlock } from '../src/data/task-block.ts'
import { ownTaskData, readOwnFile } from '../src/training/task-draft.ts'
import { readSharedFile } from '../src/data/testing/shared-files.ts'
import type { ImageTask, TaskSpec } from '../src/data/task.ts'
import { fitImage, type FitRule } from '../src/data/resize.ts'
import type { LabelledImages } from '../src/data/labelled-images.ts'
import { seededRandom } from '../src/random.ts'

export interface TaskData {
  task: TaskSpec
  train: TaskBlock
  test: TaskBlock
}

/** A table of the shared datasets as a task predicting `label`, split and standardised as an owner's file is. */
export async function tableTask(path: string, label: string): Promise<TaskData> {
  return ownTaskData(readOwnFile({ name: path, bytes: await readSharedFile(path) }), { label })
}

/**
 * Fashion-MNIST pictures of a few classes as an owner's colour photos: each tinted a random colour, fitted to
 * `side`×`side` RGB by `fit`, with the owner's own class names. The model must tell the classes apart whatever
 * their colour.
 */
export function colourPictures(set: LabelledImages, picks: ReadonlyArray<{ label: number; name: string }>, options: { side: number; fit: FitRule; count: number; seed: number }): { task: ImageTask; block: TaskBlock } {
  const task: ImageTask = { kind: 'image', height: options.side, width: options.side, channels: 3, classes: picks.map((p) => p.name), fit: options.fit, normalisation: { mean: 0.2, std: 0.3 } }
  const random = seededRandom(options.seed)
  const per = 3 * options.side * options.side
  const x = new Uint8Array(options.count * per)
  const y = new Uint8Array(options.count)
  const size = set.height * set.width
  let n = 0
  for (let i = 0; i < set.count && n < options.count; i++) {
    const pick = picks.findIndex((p) => p.label === set.labels[i])
    if (pick === -1) continue
    const tint = [random(), random(), random()].map((c) => 0.3 + 0.7 * c)
    const rgba = new Uint8Array(size * 4)
    for (let p = 0; p < size; p++) {
      const v = set.pixels[i * size + p]!
      rgba[p * 4] = v * tint[0]!
      rgba[p * 4 + 1] = v * tint[1]!
      rgba[p * 4 + 2] = v * tint[2]!
      rgba[p * 4 + 3] = 255
    }
    x.set(fitImage({ width: set.width, height: set.height, data: rgba }, { height: options.side, width: options.side, channels: 3, fit: options.fit }), n * per)
    y[n++] = pick
  }
  return { task, block: makeBlock(task, x.subarray(0, n * per), y.subarray(0, n)) }
}

/** A text of the shared datasets as a character-level task, its windows held out as an owner's text's are. */
export async function textTask(path: string, options: { vocab: number; context: number }): Promise<TaskData> {
  return ownTaskData(readOwnFile({ name: path, bytes: await readSharedFile(path) }), { tokens: 'characters', ...options })
}
