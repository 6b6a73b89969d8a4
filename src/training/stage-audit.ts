// Audits of a staged job's replicas (issue 19), as pure logic. A replica keeps the parameters each step of the
// round ran with and, once the round is over and before anyone says which call is checked, commits to them (a
// SHA-256 per step). The coordinator, the only driver, has kept a few of each replica's calls at random (what it
// sent, what came back); it draws one, has the replica reveal that step's parameters, checks them against the
// commitment, and runs the call again on its own engine. The first step's parameters must be the version's, so
// a replica cannot start from anything else; a call whose answer differs beyond rounding fails the audit.
import { DecodeError } from '../errors.ts'
import { asObject, parseJsonLimited, readString } from '../schema.ts'
import { relativeL2 } from '../compute/compare-runs.ts'

/** Relative L2 distance an answer may be from the coordinator's rerun (both through the same boundary codec). */
export const STAGE_AUDIT_TOLERANCE = 1e-2
/** Calls kept per replica per round, of which one is audited. */
export const KEPT_CALLS = 4
/** Steps one commitment may list: a round's inner steps are at most this many. */
export const MAX_COMMITTED_STEPS = 10_000

export interface StepCommitment {
  step: string
  /** SHA-256 of the step's parameters as fp32 little-endian bytes, in the stage's order, lowercase hex. */
  hash: string
}

export async function hashParams(values: Float32Array): Promise<string> {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice()
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
}

export const encodeCommitments = (list: readonly StepCommitment[]): Uint8Array => new TextEncoder().encode(JSON.stringify(list))

export function decodeCommitments(bytes: Uint8Array): StepCommitment[] {
  const what = 'stage commitment'
  const value = parseJsonLimited(new TextDecoder('utf-8', { fatal: false }).decode(bytes), 200 * MAX_COMMITTED_STEPS, what)
  if (!Array.isArray(value) || value.length > MAX_COMMITTED_STEPS) throw new DecodeError(what, `must be a list of at most ${MAX_COMMITTED_STEPS} steps`)
  const seen = new Set<string>()
  return value.map((item: unknown, i) => {
    const obj = asObject(item, `${what} [${i}]`)
    const step = readString(obj, 'step', what, 64)
    const hash = readString(obj, 'hash', what, 64)
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new DecodeError(what, `step "${step}": "hash" must be 64 lowercase hex digits`)
    if (seen.has(step)) throw new DecodeError(what, `lists step "${step}" twice`)
    seen.add(step)
    return { step, hash }
  })
}

/** Keeps at most `size` items, each seen item equally likely to be kept (reservoir sampling). */
export class Reservoir<T> {
  readonly items: T[] = []
  private seen = 0
  private readonly size: number
  private readonly random: () => number
  constructor(size: number, random: () => number) {
    this.size = size
    this.random = random
  }
  offer(item: T): void {
    this.seen++
    if (this.items.length < this.size) this.items.push(item)
    else {
      const j = Math.floor(this.random() * this.seen)
      if (j < this.size) this.items[j] = item
    }
  }
}

export type StageAuditVerdict = { passed: true } | { passed: false; reason: string }

/**
 * The verdict on one replica from its commitment, the revealed parameters of the audited call's step, and the
 * rerun: `versionHash` is the hash of the version's parameters for the stage, which the first step must have.
 */
export async function judgeStageAudit(input: { commitments: readonly StepCommitment[]; step: string; revealed: Float32Array; versionHash: string; answer: Float32Array | null; rerun: Float32Array | null }): Promise<StageAuditVerdict> {
  const { commitments, step } = input
  const first = commitments[0]
  if (!first) return { passed: false, reason: 'committed to no step' }
  if (first.hash !== input.versionHash) return { passed: false, reason: `its first step "${first.step}" did not run with the version's parameters` }
  const committed = commitments.find((c) => c.step === step)
  if (!committed) return { passed: false, reason: `did not commit to step "${step}", which it ran` }
  if ((await hashParams(input.revealed)) !== committed.hash) return { passed: false, reason: `the parameters it revealed for step "${step}" are not the ones it committed to` }
  if ((input.answer === null) !== (input.rerun === null)) return { passed: false, reason: `its answer for step "${step}" ${input.answer === null ? 'is missing' : 'was not expected'}` }
  if (input.answer && input.rerun) {
    if (input.answer.length !== input.rerun.length) return { passed: false, reason: `its answer has ${input.answer.length} values, the rerun ${input.rerun.length}` }
    const distance = relativeL2(input.answer, input.rerun)
    if (!(distance <= STAGE_AUDIT_TOLERANCE)) return { passed: false, reason: `its answer is ${distance.toExponential(2)} (relative L2) from the rerun, over ${STAGE_AUDIT_TOLERANCE}` }
  }
  return { passed: true }
}
