// A deployed model in the job log: the owner's deployment record names the version, its parameters' content id
// and the round record that produced them. Anyone holding both signed records can check that the deployed
// version is one the job trained (the round's result) and not parameters swapped in by the coordinator's key.
import type { DeploymentRecord, RoundRecord } from './job-log.ts'

export function deploymentRecord(input: Omit<DeploymentRecord, 'kind'>): DeploymentRecord {
  return { kind: 'deployment', ...input }
}

export type DeploymentFindingCode = 'OTHER_JOB' | 'NOT_TRAINED_HERE'

export interface DeploymentFinding {
  code: DeploymentFindingCode
  message: string
}

/**
 * What is wrong with `deployment` given the round record it names (`round`, fetched by its id), or null when
 * the round produced exactly the deployed version and parameters.
 */
export function checkDeployment(deployment: DeploymentRecord, round: RoundRecord): DeploymentFinding | null {
  if (deployment.job !== round.job || round.spec.id !== deployment.job) return { code: 'OTHER_JOB', message: `the deployment of job "${deployment.job.slice(0, 40)}" names a round record of job "${round.job.slice(0, 40)}"` }
  if (round.nextParamsCid !== deployment.paramsCid || round.report.version !== deployment.version) {
    return { code: 'NOT_TRAINED_HERE', message: `version ${deployment.version} (parameters ${deployment.paramsCid.slice(0, 16)}…) is not what round ${round.round} produced (version ${round.report.version}, parameters ${round.nextParamsCid.slice(0, 16)}…)` }
  }
  return null
}
