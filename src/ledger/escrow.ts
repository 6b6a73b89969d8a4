// Reading and writing the settlement contracts through viem: the typed app ↔ chain boundary. Every call
// names its contract by ABI (generated from the Solidity sources), so argument and result shapes are checked
// by the compiler, and reverts decode into the contracts' named errors.
import { BaseError, ContractFunctionRevertedError, type Account, type Address, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from 'viem'
import { jobEscrowAbi, jobGovernorAbi } from './generated/contracts.ts'
import { jobKey } from './job-key.ts'

export interface EscrowJob {
  owner: Address
  coordinator: Address
  /** The zero address for native ETH. */
  token: Address
  deadline: bigint
  epoch: bigint
  paused: boolean
  closed: boolean
  deposited: bigint
  claimed: bigint
  epochTotal: bigint
  root: Hex
  treeCid: string
}

export const NATIVE_TOKEN: Address = '0x0000000000000000000000000000000000000000'

export type Reader = Pick<PublicClient, 'readContract'>
export type Writer = WalletClient<Transport, Chain, Account>

const revertName = (error: unknown) => {
  const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null
  return revert instanceof ContractFunctionRevertedError ? revert.data?.errorName : undefined
}

/** The job's escrow, or null if it was never created on this chain. */
export async function readEscrowJob(client: Reader, escrow: Address, jobId: string): Promise<EscrowJob | null> {
  try {
    return (await client.readContract({ address: escrow, abi: jobEscrowAbi, functionName: 'job', args: [jobKey(jobId)] })) as EscrowJob
  } catch (error) {
    if (revertName(error) === 'UnknownJob') return null
    throw error
  }
}

export function readClaimed(client: Reader, escrow: Address, jobId: string, account: Address): Promise<bigint> {
  return client.readContract({ address: escrow, abi: jobEscrowAbi, functionName: 'claimedBy', args: [jobKey(jobId), account] })
}

export interface Decision {
  index: number
  proposalId: bigint
  kind: 'include-dataset' | 'exclude-dataset' | 'set-hyper-parameter'
  subject: string
  /** 18-decimal fixed point (hyper-parameters only). */
  value: bigint
}

export const DECISION_KINDS = ['include-dataset', 'exclude-dataset', 'set-hyper-parameter'] as const

/** Executed governance decisions for the job from index `from` on, in execution order. */
export async function readDecisions(client: Reader, governor: Address, jobId: string, from: number): Promise<Decision[]> {
  const key = jobKey(jobId)
  const count = Number(await client.readContract({ address: governor, abi: jobGovernorAbi, functionName: 'decisionCount', args: [key] }))
  const out: Decision[] = []
  for (let index = from; index < count; index++) {
    const d = await client.readContract({ address: governor, abi: jobGovernorAbi, functionName: 'decision', args: [key, BigInt(index)] })
    out.push({ index, proposalId: d.proposalId, kind: DECISION_KINDS[d.kind] ?? 'set-hyper-parameter', subject: d.subject, value: d.value })
  }
  return out
}
