// One representative job per task family, as a user of the job form would set it up: a table of Breast
// Cancer's 30 features, 32×32 RGB pictures, character-level text. Each is a real TaskSpec and model spec, so
// the recipe and every batch (one-hot tokens included) come from the product's own task code.
import { taskInput, taskOutputs, type TaskSpec } from '../src/data/task.ts'
import { taskBatch, type Batch } from '../src/data/task-batch.ts'
import { makeBlock, valuesPerSample, type TaskBlock } from '../src/data/task-block.ts'
import { UNKNOWN } from '../src/data/text.ts'
import type { ModelRecipe } from '../src/graph/model-recipe.ts'
import type { ModelSpec } from '../src/graph/model-spec.ts'
import { seededRandom } from '../src/random.ts'

export interface TaskFamily {
  task: TaskSpec
  spec: ModelSpec
  /** Steps per round, sized so a round takes about a second for Tesserae on one laptop core. */
  warmup: number
  steps: number
}

/** Breast Cancer Wisconsin (diagnostic): 30 numeric features, two classes. */
const TABLE_FEATURES = 30
/** A character vocabulary of 85 tokens: UNKNOWN and 84 printable ASCII characters. */
const TEXT_VOCAB = [UNKNOWN, ...Array.from({ length: 84 }, (_, i) => String.fromCharCode(32 + i))]

export const TASK_FAMILIES = {
  table: {
    task: {
      kind: 'tabular',
      schema: { kind: 'tabular', features: Array.from({ length: TABLE_FEATURES }, (_, i) => ({ name: `feature ${i + 1}`, kind: 'numeric' as const })), label: 'diagnosis', target: { kind: 'classification', classes: ['benign', 'malignant'] } },
      stats: { features: Array.from({ length: TABLE_FEATURES }, () => ({ mean: 0, std: 1 })) },
      target: null,
    },
    spec: { kind: 'mlp', hidden: [128, 64] },
    warmup: 20,
    steps: 1000,
  },
  picture: {
    task: { kind: 'image', height: 32, width: 32, channels: 3, classes: Array.from({ length: 10 }, (_, i) => `class ${i}`), fit: 'crop', normalisation: { mean: 0.5, std: 0.25 } },
    spec: { kind: 'cnn', channels: [16, 32], dense: 128 },
    warmup: 2,
    steps: 16,
  },
  text: {
    task: { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: TEXT_VOCAB, context: 64 } },
    spec: { kind: 'transformer', layers: 2, width: 64, heads: 4 },
    warmup: 2,
    steps: 6,
  },
} as const satisfies Record<string, TaskFamily>

export type TaskFamilyName = keyof typeof TASK_FAMILIES
export const TASK_FAMILY_NAMES = Object.keys(TASK_FAMILIES) as TaskFamilyName[]

/** The recipe a job of this family carries: the task's own input and outputs, the family's model. */
export function familyRecipe(name: TaskFamilyName): ModelRecipe {
  const { task, spec } = TASK_FAMILIES[name]
  return { spec, input: taskInput(task), ...taskOutputs(task) }
}

/** `count` random samples as stored: pixel bytes, standard-normal features, or random tokens. */
function randomBlock(task: TaskSpec, count: number, seed: number): TaskBlock {
  const random = seededRandom(seed)
  const values = count * valuesPerSample(task)
  if (task.kind === 'image') return makeBlock(task, Uint8Array.from({ length: values }, () => Math.floor(random() * 256)), Uint8Array.from({ length: count }, () => Math.floor(random() * task.classes.length)))
  if (task.kind === 'text') return makeBlock(task, Uint16Array.from({ length: values }, () => Math.floor(random() * task.schema.vocab.length)), null)
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  const classes = task.schema.target.kind === 'classification' ? task.schema.target.classes.length : 2
  return makeBlock(task, Float32Array.from({ length: values }, gaussian), Float32Array.from({ length: count }, () => Math.floor(random() * classes)))
}

/** `steps` batches of `batchSize` random samples, encoded exactly as a volunteer encodes the family's samples. */
export function familyBatches(name: TaskFamilyName, batchSize: number, steps: number, seed = 1): Batch[] {
  const task: TaskSpec = TASK_FAMILIES[name].task
  const block = randomBlock(task, batchSize * steps, seed)
  return Array.from({ length: steps }, (_, s) => taskBatch(task, block, Array.from({ length: batchSize }, (_, b) => s * batchSize + b)))
}
