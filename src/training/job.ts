// A training job as announced to the swarm: what to train, on which content-addressed data shards, with
// which DiLoCo hyper-parameters. Decoded strictly: a job comes from a peer and drives what volunteers run.
import { DecodeError } from '../errors.ts'
import { asObject, readInteger, readNumber, readString, readStringArray, type JsonObject } from '../schema.ts'
import { MODEL_ZOO, type ZooModelName } from '../graph/zoo.ts'
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
  model: ZooModelName
  /** Class names in label order; contributed datasets must use exactly these. */
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
}

const WHAT = 'job'
export const MAX_SHARDS = 512
const ZOO = Object.keys(MODEL_ZOO)

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
  if (!ZOO.includes(model)) throw new DecodeError(WHAT, `unknown model "${model}"; known models: ${ZOO.join(', ')}`)
  const norm = asObject(obj.normalisation, `${WHAT} normalisation`)
  const outputs = MODEL_ZOO[model as ZooModelName]().classes
  // Jobs saved before jobs named their classes get index names; contributed data then labels by index.
  const classes = obj.classes === undefined ? Array.from({ length: outputs }, (_, i) => String(i)) : readStringArray(obj, 'classes', WHAT, 256, 64)
  if (classes.length !== outputs) throw new DecodeError(WHAT, `names ${classes.length} classes but the ${model} model has ${outputs} outputs`)
  const train = readShards(obj, 'train')
  if (train.length === 0) throw new DecodeError(WHAT, 'a job needs at least one training shard')
  const job: JobSpec = {
    id: readString(obj, 'id', WHAT, 128),
    name: readString(obj, 'name', WHAT, 200),
    model: model as ZooModelName,
    classes,
    coordinator: readString(obj, 'coordinator', WHAT, 128),
    train,
    test: readShards(obj, 'test'),
    normalisation: { mean: readNumber(norm, 'mean', WHAT, -1e6, 1e6), std: readNumber(norm, 'std', WHAT, 1e-9, 1e6) },
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
  if (obj.reward !== undefined) job.reward = readRewardPool(obj.reward)
  if (obj.replication !== undefined) job.replication = readInteger(obj, 'replication', WHAT, 1, 16)
  return job
}

function readAggregator(obj: JsonObject): AggregatorName {
  if (obj.aggregator === undefined) return DEFAULT_AGGREGATOR
  const name = readString(obj, 'aggregator', WHAT, 32)
  if (!(AGGREGATOR_NAMES as readonly string[]).includes(name)) throw new DecodeError(WHAT, `unknown aggregator "${name}"; known: ${AGGREGATOR_NAMES.join(', ')}`)
  return name as AggregatorName
}

/** Samples one work unit consumes. */
export const unitSamples = (job: JobSpec) => job.batchSize * job.innerSteps
