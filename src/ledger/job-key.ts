// A job's key on chain: keccak-256 of its escrow's owner and the keccak of its id (JobEscrow.jobKey), so an id
// belongs to the account that escrowed it: nobody can squat a key someone else will use, and peers keep their
// readable ids.
import { encodeAbiParameters, keccak256, stringToBytes, type Address, type Hex } from 'viem'
import type { JobSpec } from '../training/job.ts'

export const jobKey = (owner: Address, jobId: string): Hex => keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'bytes32' }], [owner, keccak256(stringToBytes(jobId))]))

/** The key of a job's escrow, or null when the job names no escrow owner (nothing is escrowed). */
export const escrowKeyOf = (job: Pick<JobSpec, 'id' | 'reward'>): Hex | null => (job.reward?.owner ? jobKey(job.reward.owner as Address, job.id) : null)
