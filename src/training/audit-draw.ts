// Which results the referee re-executes, decided only after the result is committed. Each round has a secret
// derived from the job's secret; its hash is announced when the round opens and the secret itself is
// revealed when the round closes. A result's audit draw is a hash of that secret and the result's commitment
// (the hash of its signed fields, which name the delta and every checkpoint by CID), so a volunteer cannot
// know before committing whether it will be checked, and anyone can recompute every draw afterwards from the
// revealed secret: the coordinator cannot pick whom to check once the round has started.
import { fromHex, toHex } from '../hex.ts'
import { seededPermutation } from '../random.ts'
import { resultSigningBytes, type UnitResult } from './unit.ts'

export type AuditReason = 'every' | 'probation' | 'draw' | 'suspicious'
export const AUDIT_REASONS: readonly AuditReason[] = ['every', 'probation', 'draw', 'suspicious']

/** A new peer's first units are always re-executed: a fresh identity has nothing to lose yet. */
export const PROBATION_UNITS = 1

const encoder = new TextEncoder()

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
}

/** A fresh 256-bit job secret (hex); it never leaves the coordinator. */
export function newJobSecret(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(32)))
}

/** HMAC-SHA-256(jobSecret, round): one secret per round, revealed at its close without exposing the others. */
export async function roundSecret(jobSecretHex: string, round: number): Promise<string> {
  const key = await crypto.subtle.importKey('raw', fromHex(jobSecretHex) as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return toHex(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`tesserae-round-secret/${round}`))))
}

/** What the round announces up front: sha-256 of its secret. */
export async function secretCommitment(roundSecretHex: string): Promise<string> {
  return toHex(await sha256(fromHex(roundSecretHex)))
}

/** The result's commitment: sha-256 of exactly the bytes the volunteer signed. */
export async function resultCommitment(result: UnitResult): Promise<string> {
  return toHex(await sha256(resultSigningBytes(result)))
}

/** A uniform number in [0, 1) from the round secret and the commitment. */
export async function auditDraw(roundSecretHex: string, commitmentHex: string): Promise<number> {
  const digest = await sha256(encoder.encode(`tesserae-audit/${roundSecretHex}/${commitmentHex}`))
  return new DataView(digest.buffer).getUint32(0, false) / 2 ** 32
}

/** Which pieces of a result's end point the spot check compares with its delta: `count` of `pieces`, drawn like the audit. */
export async function spotPicker(roundSecretHex: string, commitmentHex: string, count: number): Promise<(pieces: number) => number[]> {
  const seed = Math.floor((await auditDraw(roundSecretHex, `${commitmentHex}/spot`)) * 2 ** 32)
  return (pieces) => [...seededPermutation(pieces, seed).subarray(0, Math.min(count, pieces))]
}

/** Why this result is re-executed, or null when it is not (before the cheap checks have their say). */
export function auditReasonFor(auditRate: number, passedAudits: number, draw: number): AuditReason | null {
  if (auditRate >= 1) return 'every'
  if (passedAudits < PROBATION_UNITS) return 'probation'
  return draw < auditRate ? 'draw' : null
}
