// A training job as announced to the swarm: what to train, on which content-addressed data shards, with
// which DiLoCo hyper-parameters. Decoded strictly: a job comes from a peer and drives what volunteers run.
import { DecodeError } from '../errors.ts'
import { asObject, readInteger, readNumber, readString, readStringArray, type JsonObject } from '../schema.ts'
import { decodeModelRecipe, isZooName, recipeModel, ZOO_NAMES, ZOO_RECIPES, type ModelRecipe, type ZooName } from '../graph/model-recipe.ts'
import type { Model } from '../graph/model.ts'
import type { LrScale } from '../graph/train-step.ts'
import { decodeTask, taskClasses, taskInput, taskOutputs, type TaskSpec } from '../data/task.ts'
import { readRewardPool, type RewardPool } from './rewards.ts'
import { AGGREGATOR_NAMES, DEFAULT_AGGREGATOR, type AggregatorName } from './aggregators/index.ts'

export interface ShardRef {
  /** CID (sha2-256, raw) of the shard block. */
  cid: string
  samples: number
  /** Peer id (later: wallet-bound identity) that contributed these samples and is credited for them. */
  owner: string
  /** Id of the contributed dataset this chunk belongs to; absent for the job's own data. */
  dataset?: string
}

export interface JobSpec {
  id: string
  name: string
  /** The model's family: a zoo model's name, or (with `recipe`) the family of the job's own model. */
  model: ZooName
  /** The job's own model; absent in jobs announced before recipes, which train the zoo model `model` names. */
  recipe?: ModelRecipe
  /**
   * What a sample is and how it is encoded; absent in jobs announced before tasks, whose samples are 28×28
   * grayscale images with `classes` and `normalisation`.
   */
  task?: TaskSpec
  /** Class names in label order (empty for a value or text task); contributed datasets must use exactly these. */
  classes: string[]
  /** Peer id of the coordinator: the only peer whose heads and metrics count for this job. */
  coordinator: string
  train: ShardRef[]
  /** Held-out shards the coordinator evaluates on; volunteers never need them. */
  test: ShardRef[]
  normalisation: { mean: number; std: number }
  batchSize: number
  /** DiLoCo H: inner AdamW steps per work unit. */
  innerSteps: number
  innerLr: number
  outerLr: number
  outerMomentum: number
  unitsPerRound: number
  roundMs: number
  /**
   * Fraction of units the referee (the coordinator) re-executes, drawn after each result is committed; 1
   * checks every unit. A new peer's first units and any unit a cheap check finds suspicious are checked too.
   */
  auditRate: number
  /** The robust aggregation rule, a key of AGGREGATORS. */
  aggregator: AggregatorName
  /** Stop after this many rounds (0: run until stopped). */
  rounds: number
  seed: number
  createdAtMs: number
  /** What the job pays for compute and data (absent in jobs created before reward pools). */
  reward?: RewardPool
  /** Copies of each contributed chunk the swarm keeps (owner, coordinator and volunteers); default 3. */
  replication?: number
  /** The version the owner deployed (the use page's default), with its job-log record (deployment.ts). */
  deployed?: Deployed
  /** A job started from an exported model (graph/fine-tune.ts): where its parameters start and what trains how fast. */
  fineTune?: FineTune
  /** The model split into pipeline stages (issue 19), for tabs that cannot hold it whole: its stage map. */
  stages?: JobStages
}

/** How a job's model is cut into stages: contiguous layer ranges, each held by its own group of peers. */
export interface JobStages {
  /** The first layer of every stage after the first, rising, inside the model. */
  cuts: number[]
  /** Samples one stage runs at once when training. */
  microBatch: number
  /** The tab memory each stage was planned to fit (stage-plan.ts), in bytes. */
  budgetBytes: number
}

export interface FineTune {
  /** The exported model it starts from, as the file names it. */
  from: { job: string; name: string; version: number }
  /** Content id of the starting parameters (flat, the job's layout), published by the owner. */
  paramsCid: string
  /** Layers kept from the file (all of them when continuing); the layers after start fresh. */
  bodyLayers: number
  /** The kept layers' learning rate as a share of the job's: 0 frozen, 1 trained as the rest. */
  bodyScale: number
}

/** The train step's learning-rate scale for a fine-tuning job (none when every layer trains at the full rate). */
export function jobLrScale(job: Pick<JobSpec, 'fineTune'>): LrScale | undefined {
  const f = job.fineTune
  return f && f.bodyScale !== 1 ? { bodyLayers: f.bodyLayers, bodyScale: f.bodyScale } : undefined
}

export interface Deployed {
  version: number
  paramsCid: string
  /** Content id of the signed deployment record in the job log. */
  record: string
}

const WHAT = 'job'
export const MAX_SHARDS = 512

/** One shard reference, as jobs and work assignments both carry them. */
export function readShardRef(value: unknown, what: string): ShardRef {
  const shard = asObject(value, what)
  const ref: ShardRef = { cid: readString(shard, 'cid', what, 128), samples: readInteger(shard, 'samples', what, 1, 1 << 20), owner: readString(shard, 'owner', what, 128) }
  if (shard.dataset !== undefined) ref.dataset = readString(shard, 'dataset', what, 128)
  return ref
}

function readShards(obj: JsonObject, key: string): ShardRef[] {
  const list = obj[key]
  if (!Array.isArray(list) || list.length > MAX_SHARDS) throw new DecodeError(WHAT, `"${key}" must be an array of at most ${MAX_SHARDS} shards`)
  return list.map((item: unknown, i: number) => readShardRef(item, `${WHAT} ${key}[${i}]`))
}

export function decodeJob(value: unknown): JobSpec {
  const obj = asObject(value, WHAT)
  const model = readString(obj, 'model', WHAT, 32)
  if (!isZooName(model)) throw new DecodeError(WHAT, `unknown model "${model}"; known models: ${ZOO_NAMES.join(', ')}`)
  const recipe = obj.recipe === undefined ? undefined : decodeModelRecipe(obj.recipe)
  const task = obj.task === undefined ? undefined : decodeTask(obj.task)
  if (recipe && recipe.spec.kind !== model) throw new DecodeError(WHAT, `names the ${model} family but its model is a ${recipe.spec.kind}`)
  if (task && !recipe) throw new DecodeError(WHAT, 'a job with its own task needs its own model ("recipe")')
  let classes: string[]
  let normalisation: JobSpec['normalisation']
  if (task) {
    // The task holds the classes and the encoding; the fields older peers read are derived from it.
    const expected = { input: taskInput(task), ...taskOutputs(task) }
    if (JSON.stringify([recipe!.input, recipe!.outputs, recipe!.objective]) !== JSON.stringify([expected.input, expected.outputs, expected.objective])) {
      throw new DecodeError(WHAT, `its model does not read or predict what the task's samples are (the task needs ${expected.outputs} ${expected.objective} from ${JSON.stringify(expected.input)})`)
    }
    classes = taskClasses(task) ?? []
    normalisation = task.kind === 'image' ? { ...task.normalisation } : { mean: 0, std: 1 }
  } else {
    const norm = asObject(obj.normalisation, `${WHAT} normalisation`)
    normalisation = { mean: readNumber(norm, 'mean', WHAT, -1e6, 1e6), std: readNumber(norm, 'std', WHAT, 1e-9, 1e6) }
    if (recipe) checkImageRecipe(recipe)
    const outputs = (recipe ?? ZOO_RECIPES[model]).outputs
    // Jobs saved before jobs named their classes get index names; contributed data then labels by index.
    classes = obj.classes === undefined ? Array.from({ length: outputs }, (_, i) => String(i)) : readStringArray(obj, 'classes', WHAT, 256, 64)
    if (classes.length !== outputs) throw new DecodeError(WHAT, `names ${classes.length} classes but the ${model} model has ${outputs} outputs`)
  }
  const train = readShards(obj, 'train')
  if (train.length === 0) throw new DecodeError(WHAT, 'a job needs at least one training shard')
  const job: JobSpec = {
    id: readString(obj, 'id', WHAT, 128),
    name: readString(obj, 'name', WHAT, 200),
    model,
    classes,
    coordinator: readString(obj, 'coordinator', WHAT, 128),
    train,
    test: readShards(obj, 'test'),
    normalisation,
    batchSize: readInteger(obj, 'batchSize', WHAT, 1, 1024),
    innerSteps: readInteger(obj, 'innerSteps', WHAT, 1, 10_000),
    innerLr: readNumber(obj, 'innerLr', WHAT, 1e-8, 1),
    outerLr: readNumber(obj, 'outerLr', WHAT, 0, 10),
    outerMomentum: readNumber(obj, 'outerMomentum', WHAT, 0, 0.999),
    unitsPerRound: readInteger(obj, 'unitsPerRound', WHAT, 1, 1024),
    roundMs: readInteger(obj, 'roundMs', WHAT, 1000, 24 * 3600_000),
    // Jobs announced before audits had "redundancy" (units given to two volunteers); it becomes the audit rate.
    auditRate: readNumber(obj, obj.auditRate === undefined && obj.redundancy !== undefined ? 'redundancy' : 'auditRate', WHAT, 0, 1),
    aggregator: readAggregator(obj),
    rounds: readInteger(obj, 'rounds', WHAT, 0, 1_000_000),
    seed: readInteger(obj, 'seed', WHAT, 0, 0xffffffff),
    createdAtMs: readInteger(obj, 'createdAtMs', WHAT),
  }
  if (recipe) job.recipe = recipe
  if (task) job.task = task
  if (obj.reward !== undefined) job.reward = readRewardPool(obj.reward)
  if (obj.replication !== undefined) job.replication = readInteger(obj, 'replication', WHAT, 1, 16)
  if (obj.fineTune !== undefined) job.fineTune = readFineTune(obj.fineTune, recipeModel(jobRecipe(job)).layers.length)
  if (obj.stages !== undefined) {
    const model = recipeModel(jobRecipe(job))
    // Shard graphs run no dropout masks and no fine-tuning learning-rate scale: such a job would not train as it says.
    if (model.dropout !== undefined && model.dropout > 0) throw new DecodeError(`${WHAT} stages`, 'a model split into stages trains without dropout; its recipe asks for dropout')
    if (job.fineTune) throw new DecodeError(`${WHAT} stages`, 'a fine-tuning job trains whole in each tab, not in stages')
    job.stages = readStages(obj.stages, model.layers.length, job.batchSize, job.innerSteps)
    // Its coordinator drives every step over the owner's own samples: no contributed data is used, so none is paid.
    if (job.reward && job.reward.dataShareBps > 0) throw new DecodeError(`${WHAT} stages`, `a staged job trains on its owner's own data only, so its reward pool pays volunteers alone: its data share must be 0%, not ${job.reward.dataShareBps / 100}%`)
  }
  if (obj.deployed !== undefined) {
    const deployed = asObject(obj.deployed, `${WHAT} deployed`)
    job.deployed = { version: readInteger(deployed, 'version', `${WHAT} deployed`, 0, 0x7fffffff), paramsCid: readCid(deployed, 'paramsCid'), record: readCid(deployed, 'record') }
  }
  return job
}

/** Inner steps of a staged job's round at most: its coordinator keeps every backward call an audited replica was sent in a round. */
export const MAX_STAGED_INNER_STEPS = 256

function readStages(value: unknown, layers: number, batchSize: number, innerSteps: number): JobStages {
  const what = `${WHAT} stages`
  if (innerSteps > MAX_STAGED_INNER_STEPS) throw new DecodeError(what, `a staged job's rounds take at most ${MAX_STAGED_INNER_STEPS} inner steps (the coordinator keeps every backward call of an audited replica's round to replay it), not ${innerSteps}`)
  const obj = asObject(value, what)
  const cuts = obj.cuts
  if (!Array.isArray(cuts) || cuts.length === 0 || cuts.length > Math.min(layers - 1, 1023)) throw new DecodeError(what, `"cuts" must list from 1 to ${Math.max(layers - 1, 0)} layers (a model of ${layers} layers splits into at most ${layers} stages)`)
  let last = 0
  for (const [i, cut] of cuts.entries()) {
    if (!(Number.isInteger(cut) && cut > last && cut < layers)) throw new DecodeError(what, `cut ${i} (${JSON.stringify(cut)}) must be a whole layer number above ${last} and below ${layers}`)
    last = cut
  }
  const microBatch = readInteger(obj, 'microBatch', what, 1, batchSize)
  if (batchSize % microBatch !== 0) throw new DecodeError(what, `a micro-batch of ${microBatch} does not divide the batch of ${batchSize}`)
  return { cuts: [...cuts] as number[], microBatch, budgetBytes: readInteger(obj, 'budgetBytes', what, 1, 2 ** 45) }
}

function readFineTune(value: unknown, layers: number): FineTune {
  const what = `${WHAT} fineTune`
  const obj = asObject(value, what)
  const from = asObject(obj.from, `${what} from`)
  return {
    from: { job: readString(from, 'job', what, 128), name: readString(from, 'name', what, 200), version: readInteger(from, 'version', what, 0, 0x7fffffff) },
    paramsCid: readCid(obj, 'paramsCid', what),
    bodyLayers: readInteger(obj, 'bodyLayers', what, 0, layers),
    bodyScale: readNumber(obj, 'bodyScale', what, 0, 1),
  }
}

/** A content id as stores name them (a CID in the swarm); only its form is checked here, the fetch checks the rest. */
function readCid(obj: JsonObject, key: string, what = `${WHAT} deployed`): string {
  const cid = readString(obj, key, what, 128)
  if (!/^[A-Za-z0-9_-]+$/.test(cid)) throw new DecodeError(what, `"${key}" is not a content id`)
  return cid
}

function readAggregator(obj: JsonObject): AggregatorName {
  if (obj.aggregator === undefined) return DEFAULT_AGGREGATOR
  const name = readString(obj, 'aggregator', WHAT, 32)
  if (!(AGGREGATOR_NAMES as readonly string[]).includes(name)) throw new DecodeError(WHAT, `unknown aggregator "${name}"; known: ${AGGREGATOR_NAMES.join(', ')}`)
  return name as AggregatorName
}

/** A job without a task trains on 28×28 grayscale images: its own model must read those. */
function checkImageRecipe(recipe: ModelRecipe): void {
  const input = recipe.input
  if (input.kind !== 'image' || input.height !== 28 || input.width !== 28 || input.channels !== 1 || recipe.objective !== 'classes') {
    throw new DecodeError(WHAT, 'a job without a task trains on 28×28 grayscale images, so its model must read those and predict classes')
  }
}

/** The job's model recipe: its own, or the zoo model it names. */
export const jobRecipe = (job: Pick<JobSpec, 'model' | 'recipe'>): ModelRecipe => job.recipe ?? ZOO_RECIPES[job.model]

/** The job's model, built once per recipe. */
export const jobModel = (job: Pick<JobSpec, 'model' | 'recipe'>): Model => recipeModel(jobRecipe(job))

/** The job's task: its own, or (for a job announced before tasks) 28×28 grayscale images of its classes. */
export function jobTask(job: Pick<JobSpec, 'task' | 'classes' | 'normalisation'>): TaskSpec {
  return job.task ?? { kind: 'image', height: 28, width: 28, channels: 1, classes: job.classes, fit: 'stretch', normalisation: job.normalisation }
}

/** The fields a job with its own task and model sets (the classes and normalisation older peers read follow). */
export function taskJobFields(task: TaskSpec, recipe: ModelRecipe): Pick<JobSpec, 'model' | 'recipe' | 'task' | 'classes' | 'normalisation'> {
  return { model: recipe.spec.kind, recipe, task, classes: taskClasses(task) ?? [], normalisation: task.kind === 'image' ? { ...task.normalisation } : { mean: 0, std: 1 } }
}

/** Samples one work unit consumes. */
export const unitSamples = (job: JobSpec) => job.batchSize * job.innerSteps
