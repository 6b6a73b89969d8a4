// Words for the coordinator's verdict codes (src/training/verdicts.ts). Every code has a sentence that says
// what happened and, where the reader can act, what to do; parameters fill in the numbers.
import type { AuditReason } from '../training/audit-draw.ts'
import type { Verdict, VerdictCode, VerdictParams } from '../training/verdicts.ts'

const n = (p: VerdictParams, key: string) => (p[key] === undefined ? '?' : String(p[key]))

const MESSAGES: Record<VerdictCode, (p: VerdictParams) => string> = {
  RECEIVED: () => 'received; the coordinator is checking it',
  ACCEPTED: () => 'accepted',
  UNKNOWN_JOB: (p) => `the coordinator does not run job "${n(p, 'job')}"`,
  ROUND_CLOSED: (p) => `round ${n(p, 'round')} is closing or closed; the next unit starts from the new version`,
  NOT_ASSIGNED: (p) => `unit ${n(p, 'unit')} is not assigned to this peer (or its result was already submitted)`,
  ALREADY_DECIDED: (p) => `another volunteer delivered unit ${n(p, 'unit')} first; nothing is lost, ask for the next one`,
  EXCLUDED: (p) => `this peer is excluded from the job (${p.code ? reasonOf(String(p.code)) : 'after failed checks'})`,
  BAD_SIGNATURE: () => 'the result\'s signature does not verify against this peer\'s key',
  DELTA_UNAVAILABLE: (p) => `the coordinator could not fetch the delta from this peer (${n(p, 'detail')}); the unit went to someone else`,
  MALFORMED_DELTA: (p) => `the delta is malformed (${n(p, 'detail')})`,
  WRONG_SHAPE: (p) => `the delta has ${n(p, 'values')} values; the model has ${n(p, 'expected')}`,
  WRONG_SAMPLES: (p) => `the result claims ${n(p, 'claimed')} samples; the unit consumes ${n(p, 'expected')}`,
  WRONG_CHECKPOINTS: (p) => (p.detail ? `the result's checkpoints are inconsistent: ${n(p, 'detail')}` : `the result commits ${n(p, 'checkpoints')} checkpoints; the unit has ${n(p, 'expected')}`),
  NON_FINITE_LOSS: () => 'the reported losses are not finite numbers',
  CHECKPOINT_UNAVAILABLE: () => 'the unit was audited, but its checkpoints could not be fetched from this peer; its unverified credit is forfeited',
  AUDIT_FAILED: (p) =>
    p.delta !== undefined
      ? `the delta is not the difference to the end point this peer committed (value ${n(p, 'delta')})`
      : p.error !== undefined
        ? `the referee re-ran segment ${Number(p.segment) + 1} of the unit and ended ${Math.round(Number(p.error) * 100)} % of a segment away from this peer's result (tolerance ${Math.round(Number(p.tolerance) * 100)} %)`
        : `the referee re-ran segment ${Number(p.segment) + 1} and got loss ${n(p, 'loss')}, not the reported ${n(p, 'reportedLoss')}`,
  UNVERIFIED: () => 'the coordinator could not check this result (its own failure); it was not used and costs this peer nothing',
  FORFEITED: () => 'credit forfeited after a failed audit',
  DELTA_MISMATCH: (p) => `its delta is not the difference to the end point it committed (value ${n(p, 'index')}, ${n(p, 'excess')}× the rounding allowed)`,
  LOSS_BEFORE_MISMATCH: (p) => `its first loss (${n(p, 'reported')}) is not the loss of the assigned model (${n(p, 'actual')})`,
  NO_PROGRESS: (p) => `applying its delta did not lower the loss on its last batch (${n(p, 'before')} → ${n(p, 'after')})${p.screen === undefined ? '' : ` by the ${Number((Number(p.screen) * 100).toPrecision(3))} % asked`}`,
  LOSS_AFTER_MISMATCH: (p) => `it reports a final loss of ${n(p, 'reported')} but its delta reaches ${n(p, 'actual')}`,
  NORM_OUTLIER: (p) => `its size (${n(p, 'norm')}) is far from verified deltas' (${n(p, 'median')})`,
  DIRECTION_OUTLIER: (p) => `it points away from verified deltas (cosine ${n(p, 'cosine')})`,
  JOB_FINISHED: () => 'the job has finished',
  FAIR_SHARE: (p) => `this peer has its fair share (${n(p, 'share')} units) of round ${n(p, 'round')}; others are working on the rest`,
  NO_OPEN_UNITS: (p) => `every unit of round ${n(p, 'round')} is taken; waiting for the next round`,
  ROUND_CLOSING: (p) => `round ${n(p, 'round')} is closing`,
}

export function verdictMessage(v: Verdict): string {
  return MESSAGES[v.code](v.params)
}

const REASONS: Partial<Record<string, string>> = {
  AUDIT_FAILED: 'failed an audit',
  CHECKPOINT_UNAVAILABLE: 'withheld checkpoints from an audit',
  MALFORMED_DELTA: 'sent malformed deltas',
  BAD_SIGNATURE: 'sent badly signed results',
  WRONG_SHAPE: 'sent deltas of the wrong shape',
  WRONG_SAMPLES: 'claimed the wrong sample count',
  WRONG_CHECKPOINTS: 'sent inconsistent checkpoints',
  NON_FINITE_LOSS: 'reported non-finite losses',
}

/** Why a peer was excluded, in a few words (dashboard tables). */
export function reasonOf(code: string): string {
  return REASONS[code] ?? code
}

export const AUDIT_REASON_WORDS: Record<AuditReason, string> = {
  every: 'every unit',
  probation: 'new peer',
  draw: 'random draw',
  suspicious: 'cheap check flagged it',
}
