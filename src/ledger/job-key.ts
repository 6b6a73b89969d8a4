// A job's key on chain: the keccak-256 of its id string, so contracts index jobs by a fixed-size word
// while peers keep their readable ids.
import { keccak256, stringToBytes, type Hex } from 'viem'

export const jobKey = (jobId: string): Hex => keccak256(stringToBytes(jobId))
