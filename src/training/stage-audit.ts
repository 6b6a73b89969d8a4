// Audits of a staged job's replicas (issue 19), as pure logic. A replica starts every round from the version's
// parameters and fresh AdamW moments (as a whole-model unit does), so its round is fixed by the gradients of the
// micro-batches it summed: nothing it chose in an unaudited round can carry into an audited one. Once the round
// is over, and before anyone says whether it is checked, it commits to every optimiser step it applied, in
// order, with the micro-batches whose gradients it summed for it. The coordinator, the only driver, kept what it
// sent the replicas it decided (secretly, at the round's start) to audit, and replays the whole round on its own
// engine: from the version's parameters, each committed step's micro-batches backward at the parameters the
// replay has reached, then the AdamW step. The replayed change must be the one the replica handed back (within
// rounding, tensor by tensor), and every answer it gave (each backward's input gradient, each forward's output)
// must match a rerun at the replayed parameters of its step. So a replica can neither answer wrongly, skip or
// bend its updates, nor hand back a change its steps did not make.
import { DecodeError } from '../errors.ts'
import { asObject, parseJsonLimited, readString } from '../schema.ts'
import { relativeL2 } from '../compute/compare-runs.ts'
import { adamwUpdate, newAdamWState, type AdamWSpec } from './adamw.ts'

/** Relative L2 distance an answer may be from the coordinator's rerun (both through the same boundary codec). */
export const STAGE_AUDIT_TOLERANCE = 1e-2
/**
 * Relative L2 distance the replica's change may be from the replay's (both int8-quantised the same way): the
 * same engine gives the same change exactly; another (a GPU tab against a wasm coordinator) differs by rounding.
 */
export const REPLAY_TOLERANCE = 5e-2
/** Steps one commitment may list: a round's inner steps are at most this many. */
export const MAX_COMMITTED_STEPS = 10_000
/** Micro-batches one committed step may list. */
export const MAX_STEP_MICRO_BATCHES = 4096
export interface ReplicaCommitment {
  /** The optimiser steps applied this round, in order, each with the micro-batches summed for it. */
  steps: Array<{ step: string; microBatches: string[] }>
}

export const encodeCommitment = (c: ReplicaCommitment): Uint8Array => new TextEncoder().encode(JSON.stringify(c))

/**
 * A replica's commitment, held to the round it can describe: at most `limits.steps` steps (the round's inner
 * steps) of at most `limits.microBatches` micro-batches each (the batch's), so a hostile reply costs little.
 */
export function decodeCommitment(bytes: Uint8Array, limits: { steps: number; microBatches: number }): ReplicaCommitment {
  const what = 'stage commitment'
  const maxSteps = Math.min(limits.steps, MAX_COMMITTED_STEPS)
  const maxBatches = Math.min(limits.microBatches, MAX_STEP_MICRO_BATCHES)
  const obj = asObject(parseJsonLimited(new TextDecoder('utf-8', { fatal: false }).decode(bytes), 1024 + maxSteps * (100 + 90 * maxBatches), what), what)
  if (!Array.isArray(obj.steps) || obj.steps.length > maxSteps) throw new DecodeError(what, `"steps" must be a list of at most ${maxSteps} steps`)
  const seenSteps = new Set<string>()
  const seenBatches = new Set<string>()
  const steps = obj.steps.map((item: unknown, i) => {
    const s = asObject(item, `${what} step [${i}]`)
    const step = readString(s, 'step', what, 64)
    if (seenSteps.has(step)) throw new DecodeError(what, `lists step "${step}" twice`)
    seenSteps.add(step)
    const list = s.microBatches
    if (!Array.isArray(list) || list.length === 0 || list.length > maxBatches || !list.every((m) => typeof m === 'string' && m.length <= 80)) throw new DecodeError(what, `step "${step}": "microBatches" must list from 1 to ${maxBatches} micro-batch ids`)
    for (const m of list as string[]) {
      if (seenBatches.has(m)) throw new DecodeError(what, `lists micro-batch "${m}" twice`)
      seenBatches.add(m)
    }
    return { step, microBatches: list as string[] }
  })
  return { steps }
}

/**
 * What the coordinator sent one replica this round: its steps in order, each backward call by micro-batch, and
 * the steps whose update it acknowledged.
 */
export interface SentToReplica {
  steps: readonly string[]
  backward: ReadonlyMap<string, { step: string; sent: Uint8Array[]; answered: boolean }>
  updated: ReadonlySet<string>
}

/**
 * Whether a commitment can be what the replica did with what it was sent: its steps in the order they were sent,
 * each micro-batch a backward it was sent in that step, every backward it answered in a step it updated summed
 * (an answered gradient cannot be left out), and every update it acknowledged applied (an update cannot be
 * skipped). A sentence saying what is wrong, or null.
 */
export function commitmentMismatch(c: ReplicaCommitment, sent: SentToReplica): string | null {
  let last = -1
  for (const { step, microBatches } of c.steps) {
    const index = sent.steps.indexOf(step)
    if (index === -1) return `committed to step "${step}", which it was never sent`
    if (index <= last) return `committed to step "${step}" out of order`
    last = index
    for (const m of microBatches) {
      const call = sent.backward.get(m)
      if (!call || call.step !== step) return `summed micro-batch "${m}" in step "${step}", which it was not sent a backward of there`
    }
    const summed = new Set(microBatches)
    for (const [m, call] of sent.backward) if (call.step === step && call.answered && !summed.has(m)) return `left micro-batch "${m}", which it answered, out of step "${step}"`
  }
  const committed = new Set(c.steps.map((s) => s.step))
  for (const step of sent.updated) if (!committed.has(step)) return `acknowledged the update of step "${step}" but did not commit to applying it`
  return null
}

/**
 * The replica's round replayed from the version's `params` (changed in place) and fresh AdamW moments: every step
 * it was sent, in order; at each, `visit` sees the parameters that step's calls ran with, then a committed
 * step's micro-batches are run backward (`backward`, the coordinator's engine) and AdamW applies their mean, as
 * the replica's host does.
 */
export async function replayReplica(input: {
  params: Map<string, Float32Array>
  commitment: ReplicaCommitment
  sentSteps: readonly string[]
  optimizer: AdamWSpec
  lr: number
  backward: (params: ReadonlyMap<string, Float32Array>, microBatch: string) => Promise<ReadonlyMap<string, Float32Array>>
  visit?: (step: string, params: ReadonlyMap<string, Float32Array>) => void | Promise<void>
}): Promise<void> {
  const byStep = new Map(input.commitment.steps.map((s) => [s.step, s.microBatches]))
  const state = new Map([...input.params].map(([name, values]) => [name, newAdamWState(values.length)]))
  let updates = 0
  for (const step of input.sentSteps) {
    await input.visit?.(step, input.params)
    const microBatches = byStep.get(step)
    if (!microBatches) continue
    const sum = new Map<string, Float32Array>()
    for (const m of microBatches) {
      for (const [name, g] of await input.backward(input.params, m)) {
        const acc = sum.get(name)
        if (!acc) sum.set(name, Float32Array.from(g))
        else for (let i = 0; i < g.length; i++) acc[i] = acc[i]! + g[i]!
      }
    }
    updates++
    for (const [name, values] of input.params) adamwUpdate(values, sum.get(name)!, state.get(name)!, input.optimizer, input.lr, updates, 1 / microBatches.length)
  }
}

export type StageAuditVerdict = { passed: true } | { passed: false; reason: string }

/** Why a replica's answer to a call is not the rerun's (both through the same boundary codec), or null if it is. */
export function answerMismatch(what: string, answer: Float32Array | null, rerun: Float32Array | null): string | null {
  if ((answer === null) !== (rerun === null)) return `its answer to ${what} ${answer === null ? 'is missing' : 'was not expected'}`
  if (!answer || !rerun) return null
  if (answer.length !== rerun.length) return `its answer to ${what} has ${answer.length} values, the rerun ${rerun.length}`
  const off = relativeL2(answer, rerun)
  return off <= STAGE_AUDIT_TOLERANCE ? null : `its answer to ${what} is ${off.toExponential(2)} (relative L2) from the rerun at the replayed parameters, over ${STAGE_AUDIT_TOLERANCE}`
}

/**
 * The replica's change against the replay's, parameter tensor by parameter tensor (one number over the whole
 * stage would let a replica rewrite a small tensor, a bias or a norm, unseen): each within REPLAY_TOLERANCE of
 * the replay's size, or, for a tensor the round barely moved, within a hundredth of `lr` per value.
 */
export function judgeChange(input: { change: Float32Array; replayed: Float32Array; tensors: ReadonlyArray<{ name: string; start: number; end: number }>; lr: number }): StageAuditVerdict {
  const { change, replayed } = input
  if (change.length !== replayed.length) return { passed: false, reason: `its change has ${change.length} values, the replay ${replayed.length}` }
  for (const { name, start, end } of input.tensors) {
    let off = 0
    let size = 0
    for (let i = start; i < end; i++) {
      off += (change[i]! - replayed[i]!) ** 2
      size += replayed[i]! ** 2
    }
    const allowed = Math.max(REPLAY_TOLERANCE * Math.sqrt(size), 0.01 * input.lr * Math.sqrt(end - start))
    if (!(Math.sqrt(off) <= allowed)) return { passed: false, reason: `its change to "${name}" is ${(Math.sqrt(off) / Math.max(Math.sqrt(size), 1e-30)).toExponential(2)} (relative L2) from the replay of the steps it committed to, over ${REPLAY_TOLERANCE}` }
  }
  return { passed: true }
}
