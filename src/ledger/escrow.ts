// Reading and writing the settlement contracts through viem: the typed app ↔ chain boundary. Every call
// names its contract by ABI (generated from the Solidity sources), so argument and result shapes are checked
// by the compiler, and reverts decode into the contracts' named errors.
import { BaseError, ContractFunctionRevertedError, type Account, type ContractFunctionReturnType, type Address, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from 'viem'
import { jobEscrowAbi, jobGovernorAbi } from './generated/contracts.ts'
import { LedgerError } from './errors.ts'

/** A job's escrow as the contract returns it (JobEscrow.Job; types come from the generated ABI). */
export type EscrowJob = ContractFunctionReturnType<typeof jobEscrowAbi, 'view', 'job'>
/** One posted epoch (JobEscrow.Epoch): root, what it reserves, its running total, claims, veto and content ids. */
export type EscrowEpoch = ContractFunctionReturnType<typeof jobEscrowAbi, 'view', 'epochOf'>

export const NATIVE_TOKEN: Address = '0x0000000000000000000000000000000000000000'

export type Reader = Pick<PublicClient, 'readContract'>
export type Writer = WalletClient<Transport, Chain, Account>

const revertName = (error: unknown) => {
  const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null
  return revert instanceof ContractFunctionRevertedError ? revert.data?.errorName : undefined
}

/** The job's escrow by its key (jobKey(owner, id)), or null if it was never created on this chain. */
export async function readEscrowJob(client: Reader, escrow: Address, key: Hex): Promise<EscrowJob | null> {
  try {
    return await client.readContract({ address: escrow, abi: jobEscrowAbi, functionName: 'job', args: [key] })
  } catch (error) {
    if (revertName(error) === 'UnknownJob') return null
    throw error
  }
}

/**
 * Every escrowed job created with `id`, by owner: the key is keccak(owner, id), so the same id under two owners
 * is two jobs, and an auditor who knows only the id has to pick the owner.
 */
export async function findJobKeys(client: Pick<PublicClient, 'getContractEvents'>, escrow: Address, id: string, fromBlock: bigint): Promise<Array<{ owner: Address; key: Hex }>> {
  const events = await client.getContractEvents({ address: escrow, abi: jobEscrowAbi, eventName: 'JobCreated', fromBlock })
  return events.filter((e) => e.args.id === id).map((e) => ({ owner: e.args.owner!, key: e.args.jobKey! }))
}

export async function readEpoch(client: Reader, escrow: Address, key: Hex, epoch: number): Promise<EscrowEpoch> {
  return client.readContract({ address: escrow, abi: jobEscrowAbi, functionName: 'epochOf', args: [key, BigInt(epoch)] })
}

/** The latest epoch whose root is final (0: none yet). */
export async function readLatestFinal(client: Reader, escrow: Address, key: Hex): Promise<number> {
  return Number(await client.readContract({ address: escrow, abi: jobEscrowAbi, functionName: 'latestFinal', args: [key] }))
}

export function readClaimed(client: Reader, escrow: Address, key: Hex, account: Address): Promise<bigint> {
  return client.readContract({ address: escrow, abi: jobEscrowAbi, functionName: 'claimedBy', args: [key, account] })
}

export interface Decision {
  index: number
  proposalId: bigint
  kind: DecisionKind
  subject: string
  /** 18-decimal fixed point for hyper-parameters; the epoch for a veto. */
  value: bigint
}

/** JobGovernor.Kind, in its declaration order. */
export const DECISION_KINDS = ['include-dataset', 'exclude-dataset', 'set-hyper-parameter', 'end-job', 'veto-root'] as const
export type DecisionKind = (typeof DECISION_KINDS)[number]

/** JobGovernor.Kind by its index; a kind added to the contract after this app was built is refused by name. */
export function decisionKind(index: number, what: string): DecisionKind {
  const kind = DECISION_KINDS[index]
  if (kind === undefined) throw new LedgerError('BAD_DECISION', `${what} has kind ${index}, which this app does not know; update the app`)
  return kind
}

/** Executed governance decisions for the job from index `from` on, in execution order. */
export async function readDecisions(client: Reader, governor: Address, key: Hex, from: number): Promise<Decision[]> {
  const count = Number(await client.readContract({ address: governor, abi: jobGovernorAbi, functionName: 'decisionCount', args: [key] }))
  const out: Decision[] = []
  for (let index = from; index < count; index++) {
    const d = await client.readContract({ address: governor, abi: jobGovernorAbi, functionName: 'decision', args: [key, BigInt(index)] })
    out.push({ index, proposalId: d.proposalId, kind: decisionKind(d.kind, `decision ${index}`), subject: d.subject, value: d.value })
  }
  return out
}
