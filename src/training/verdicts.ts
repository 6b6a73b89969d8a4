// What the coordinator says about a peer's work, as data: a code from a closed list plus numeric or short
// string parameters. Codes cross the wire and land in checkpoints and round reports; the app turns them into
// sentences (src/app/verdict-messages.ts), so nothing here is English prose a UI would have to parse.
import { DecodeError } from '../errors.ts'
import { asObject, readString, type JsonObject } from '../schema.ts'

/** Why a submission was refused, or why a unit that was taken for checking failed. */
export const REJECTION_CODES = [
  'UNKNOWN_JOB',
  'ROUND_CLOSED',
  'NOT_ASSIGNED',
  'ALREADY_DECIDED',
  'EXCLUDED',
  'BAD_SIGNATURE',
  'DELTA_UNAVAILABLE',
  'MALFORMED_DELTA',
  'WRONG_SHAPE',
  'WRONG_SAMPLES',
  'WRONG_CHECKPOINTS',
  'NON_FINITE_LOSS',
  'CHECKPOINT_UNAVAILABLE',
  'AUDIT_FAILED',
  'UNVERIFIED',
  'FORFEITED',
] as const
export type RejectionCode = (typeof REJECTION_CODES)[number]

/** Cheap checks that do not reject anything on their own: they send the unit to the referee. */
export const SUSPICION_CODES = ['DELTA_MISMATCH', 'LOSS_BEFORE_MISMATCH', 'NO_PROGRESS', 'LOSS_AFTER_MISMATCH', 'NORM_OUTLIER', 'DIRECTION_OUTLIER'] as const
export type SuspicionCode = (typeof SUSPICION_CODES)[number]

/** Why a request for work was answered with "wait". */
export const WAIT_CODES = ['JOB_FINISHED', 'EXCLUDED', 'FAIR_SHARE', 'NO_OPEN_UNITS', 'ROUND_CLOSING'] as const
export type WaitCode = (typeof WAIT_CODES)[number]

export const VERDICT_CODES = [...REJECTION_CODES, ...SUSPICION_CODES, ...WAIT_CODES, 'RECEIVED', 'ACCEPTED'] as const
export type VerdictCode = (typeof VERDICT_CODES)[number]

export type VerdictParams = Record<string, string | number>

export interface Verdict<C extends VerdictCode = VerdictCode> {
  code: C
  params: VerdictParams
}

export const verdict = <C extends VerdictCode>(code: C, params: VerdictParams = {}): Verdict<C> => ({ code, params })

const MAX_PARAMS = 8
const MAX_PARAM_CHARS = 200

/** Decodes a verdict from a peer or a checkpoint: a known code and at most a few short, flat parameters. */
export function decodeVerdict(value: unknown, what: string, allowed: readonly VerdictCode[] = VERDICT_CODES): Verdict {
  const obj = asObject(value, what)
  const code = readString(obj, 'code', what, 32)
  if (!(allowed as readonly string[]).includes(code)) throw new DecodeError(what, `unknown code "${code}"`)
  return { code: code as VerdictCode, params: decodeParams(obj.params ?? {}, what) }
}

function decodeParams(value: unknown, what: string): VerdictParams {
  const obj: JsonObject = asObject(value, `${what} params`)
  const entries = Object.entries(obj)
  if (entries.length > MAX_PARAMS) throw new DecodeError(what, `has more than ${MAX_PARAMS} parameters`)
  const out: VerdictParams = {}
  for (const [key, v] of entries) {
    if (key.length > 32) throw new DecodeError(what, `parameter name "${key.slice(0, 32)}…" is too long`)
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v
    else if (typeof v === 'string' && v.length <= MAX_PARAM_CHARS) out[key] = v
    else throw new DecodeError(what, `parameter "${key}" must be a finite number or a string of at most ${MAX_PARAM_CHARS} characters`)
  }
  return out
}

/** Round a measurement for a verdict's parameters: enough digits for a person, stable in JSON (which has no ∞). */
export const measured = (x: number, digits = 4): number => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : 1e9)
