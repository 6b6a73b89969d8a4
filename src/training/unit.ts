// A work unit and its result, as the coordinator and volunteers agree on them. Everything a replay needs is
// in the assignment, so the referee re-running a unit reproduces the volunteer's work. A result commits to the
// whole trajectory, not only its end: the parameters at fixed checkpoint steps are named by CID, so a later
// audit can re-run each segment from where the volunteer says it was and compare where it got to.
import { DecodeError } from '../errors.ts'
import { asObject, readInteger, readNumber, readString, readStringArray, type JsonObject } from '../schema.ts'
import { seededPermutation } from '../random.ts'
import { toHex } from '../hex.ts'
import { readShardRef, type ShardRef } from './job.ts'

export interface UnitAssignment {
  unitId: string
  jobId: string
  round: number
  version: number
  /** Root CID of the parameter vector to start from. */
  paramsCid: string
  /** The int8 diff from the version before (a volunteer holding it downloads this instead of the vector). */
  paramsDiff?: { from: string; cid: string }
  shards: ShardRef[]
  seed: number
  innerSteps: number
  batchSize: number
  lr: number
}

export interface UnitResult {
  unitId: string
  jobId: string
  round: number
  version: number
  /** Root CID of the int8 delta θ_start − θ_end, fetched by the coordinator over the block exchange. */
  deltaCid: string
  deltaBytes: number
  lossBefore: number
  lossAfter: number
  samples: number
  flops: number
  /** sha-256 of the float32 loss trajectory: equal hashes mean bit-identical replays. */
  trajectoryHash: string
  /** Root CIDs of the float32 parameters after each step in checkpointSteps(innerSteps), in order; the last is θ_end. */
  checkpoints: string[]
  /** The loss at the first step of each segment (segment 0 starts at step 1), as the volunteer computed it. */
  segmentLosses: number[]
  backend: string
  elapsedMs: number
}

/** A unit's steps are cut into segments of about this many; short ones diverge little between engines. */
export const SEGMENT_STEPS = 16
/** At most this many segments (so at most this many checkpoints to commit and reveal). */
export const MAX_SEGMENTS = 8

/**
 * The inner steps after which a volunteer commits its parameters: the end of every segment, the last step
 * included. The last checkpoint is θ_end in full precision, which its int8 delta must agree with.
 */
export function checkpointSteps(innerSteps: number): number[] {
  const segments = Math.min(MAX_SEGMENTS, Math.max(1, Math.ceil(innerSteps / SEGMENT_STEPS)))
  return Array.from({ length: segments }, (_, j) => Math.round(((j + 1) * innerSteps) / segments))
}

/** Segment j runs steps (bounds[j], bounds[j + 1]]: step numbers are 1-based, bounds start at 0 and end at H. */
export function segmentBounds(innerSteps: number): number[] {
  return [0, ...checkpointSteps(innerSteps)]
}

const WHAT_A = 'work assignment'
const WHAT_R = 'work result'

export function decodeAssignment(value: unknown): UnitAssignment {
  const obj = asObject(value, WHAT_A)
  const shards = obj.shards
  if (!Array.isArray(shards) || shards.length === 0 || shards.length > 64) throw new DecodeError(WHAT_A, '"shards" must be an array of 1 to 64 shards')
  return {
    unitId: readString(obj, 'unitId', WHAT_A, 64),
    jobId: readString(obj, 'jobId', WHAT_A, 128),
    round: readInteger(obj, 'round', WHAT_A),
    version: readInteger(obj, 'version', WHAT_A),
    paramsCid: readString(obj, 'paramsCid', WHAT_A, 128),
    ...(obj.paramsDiff === undefined ? {} : { paramsDiff: readParamsDiff(obj.paramsDiff) }),
    shards: shards.map((s: unknown, i: number) => readShardRef(s, `${WHAT_A} shards[${i}]`)),
    seed: readInteger(obj, 'seed', WHAT_A, 0, 0xffffffff),
    innerSteps: readInteger(obj, 'innerSteps', WHAT_A, 1, 10_000),
    batchSize: readInteger(obj, 'batchSize', WHAT_A, 1, 1024),
    lr: readNumber(obj, 'lr', WHAT_A, 1e-8, 1),
  }
}

function readParamsDiff(value: unknown): { from: string; cid: string } {
  const obj = asObject(value, `${WHAT_A} paramsDiff`)
  return { from: readString(obj, 'from', WHAT_A, 128), cid: readString(obj, 'cid', WHAT_A, 128) }
}

export function decodeResult(value: unknown): UnitResult {
  const obj = asObject(value, WHAT_R)
  return {
    unitId: readString(obj, 'unitId', WHAT_R, 64),
    jobId: readString(obj, 'jobId', WHAT_R, 128),
    round: readInteger(obj, 'round', WHAT_R),
    version: readInteger(obj, 'version', WHAT_R),
    deltaCid: readString(obj, 'deltaCid', WHAT_R, 128),
    deltaBytes: readInteger(obj, 'deltaBytes', WHAT_R, 1, 1 << 30),
    lossBefore: readNumber(obj, 'lossBefore', WHAT_R),
    lossAfter: readNumber(obj, 'lossAfter', WHAT_R),
    samples: readInteger(obj, 'samples', WHAT_R, 1),
    flops: readNumber(obj, 'flops', WHAT_R, 0),
    trajectoryHash: readString(obj, 'trajectoryHash', WHAT_R, 64),
    checkpoints: readStringArray(obj, 'checkpoints', WHAT_R, MAX_SEGMENTS, 128),
    segmentLosses: readNumberArray(obj, 'segmentLosses', WHAT_R, MAX_SEGMENTS),
    backend: readString(obj, 'backend', WHAT_R, 16),
    elapsedMs: readNumber(obj, 'elapsedMs', WHAT_R, 0),
  }
}

function readNumberArray(obj: JsonObject, key: string, what: string, maxItems: number): number[] {
  const value = obj[key]
  if (!Array.isArray(value) || value.length > maxItems) throw new DecodeError(what, `"${key}" must be an array of at most ${maxItems} numbers`)
  return value.map((x: unknown, i: number) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new DecodeError(what, `"${key}[${i}]" must be a finite number`)
    return x
  })
}

/**
 * The bytes a volunteer signs: the result's fields in a fixed order, so signatures do not depend on JSON key
 * order. Their hash is the result's commitment: the audit draw is made from it after it arrives. The fields
 * are a JSON array, so every string and list has one reading: joined with separators (v2), a checkpoint list
 * ['a,b'] signed the same bytes as ['a', 'b'], and a relay could reshape a signed result.
 */
export function resultSigningBytes(r: UnitResult): Uint8Array {
  const fields = [r.unitId, r.jobId, r.round, r.version, r.deltaCid, r.deltaBytes, r.lossBefore, r.lossAfter, r.samples, r.flops, r.trajectoryHash, r.checkpoints, r.segmentLosses, r.backend]
  return new TextEncoder().encode(`tesserae-result-v3\n${JSON.stringify(fields)}`)
}

/**
 * The sample order of a unit: indices into the concatenation of its shards, innerSteps × batchSize long,
 * walking seeded permutations epoch after epoch when the unit needs more samples than its shards hold.
 */
export function unitSampleOrder(totalSamples: number, innerSteps: number, batchSize: number, seed: number): Uint32Array {
  const needed = innerSteps * batchSize
  const order = new Uint32Array(needed)
  let filled = 0
  for (let epoch = 0; filled < needed; epoch++) {
    const perm = seededPermutation(totalSamples, (seed + epoch * 0x9e3779b1) >>> 0)
    const take = Math.min(perm.length, needed - filled)
    order.set(perm.subarray(0, take), filled)
    filled += take
  }
  return order
}

export async function trajectoryHash(losses: readonly number[]): Promise<string> {
  const bytes = new Uint8Array(Float32Array.from(losses).buffer)
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return toHex(digest)
}

export function unitSeed(jobSeed: number, round: number, index: number): number {
  let h = (jobSeed ^ Math.imul(round + 1, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0
  return (h ^ (h >>> 15)) >>> 0
}
