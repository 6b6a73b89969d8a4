// Hyper-parameters a job's contributors may change by vote, and the rule for applying a change: the result
// must still be a valid job (the same bounds a peer's announcement is decoded with), or nothing changes.
import { TesseraeError } from '../errors.ts'
import { decodeJob, type JobSpec } from './job.ts'

/** What a vote may change while the job runs; model, data layout and batch size fix the compiled graphs. */
export const GOVERNED_PARAMETERS = ['innerLr', 'outerLr', 'outerMomentum', 'innerSteps', 'unitsPerRound', 'auditRate', 'roundMs'] as const
export type GovernedParameter = (typeof GOVERNED_PARAMETERS)[number]
const INTEGER: ReadonlySet<string> = new Set(['innerSteps', 'unitsPerRound', 'roundMs'])

/** Names proposals made before audits replaced replicas may still carry. */
const ALIASES: Readonly<Record<string, GovernedParameter>> = { redundancy: 'auditRate' }

export function changeHyperParameter(job: JobSpec, proposed: string, value: number): JobSpec {
  const name = ALIASES[proposed] ?? proposed
  if (!(GOVERNED_PARAMETERS as readonly string[]).includes(name)) throw new TesseraeError('BAD_JOB_CHANGE', `"${name.slice(0, 40)}" is not a hyper-parameter a vote can change (${GOVERNED_PARAMETERS.join(', ')})`)
  if (INTEGER.has(name) && !Number.isInteger(value)) throw new TesseraeError('BAD_JOB_CHANGE', `${name} must be a whole number, not ${value}`)
  try {
    return decodeJob(JSON.parse(JSON.stringify({ ...job, [name]: value })))
  } catch (error) {
    throw new TesseraeError('BAD_JOB_CHANGE', `setting ${name} to ${value} would make the job invalid: ${error instanceof Error ? error.message : String(error)}`)
  }
}
