// Escrow test vocabulary: jobs, epoch trees and the calls each role makes, in the tests' terms (accounts by
// index into anvil's well-known keys). Shared by the escrow's example tests and its property test.
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import type { Address, Hex } from 'viem'
import { jobEscrowAbi, testTokenAbi } from '../src/ledger/generated/contracts.ts'
import { jobKey } from '../src/ledger/job-key.ts'
import { NATIVE_TOKEN } from '../src/ledger/escrow.ts'
import { LEAF_ENCODING } from '../src/ledger/epoch-tree.ts'
import { mined, TEST_ESCROW, type TestChain } from './testing.ts'

export type Leaf = [account: Address, amount: bigint, cumulative: bigint]
export type Tree = StandardMerkleTree<string[]>

export const CHALLENGE = BigInt(TEST_ESCROW.minChallengeSeconds)

export function epochTree(leaves: Leaf[]): Tree {
  return StandardMerkleTree.of(leaves.map(([a, x, c]) => [a, x.toString(), c.toString()]), LEAF_ENCODING)
}

export function proofOf(tree: Tree, account: Address): { amount: bigint; cumulative: bigint; proof: Hex[] } {
  for (const [i, [a, x, c]] of tree.entries()) if (a === account) return { amount: BigInt(x!), cumulative: BigInt(c!), proof: tree.getProof(i) as Hex[] }
  throw new Error(`${account} is not in the tree`)
}

export const sum = (leaves: Leaf[]) => leaves.reduce((s, [, x]) => s + x, 0n)

let counter = 0
export const freshId = (prefix = 'job') => `${prefix}-${Date.now().toString(36)}-${counter++}`

export class EscrowActors {
  readonly t: TestChain
  constructor(t: TestChain) {
    this.t = t
  }

  get escrow(): Address {
    return this.t.deployment.escrow
  }

  address(who: number): Address {
    return this.t.addresses[who]!
  }

  async now(): Promise<bigint> {
    return (await this.t.clients[0]!.publicClient.getBlock()).timestamp
  }

  /**
   * Sends one escrow call from account `who` and waits for it to be mined. Its gas is the estimate plus a
   * quarter: the estimate runs at the latest block's timestamp, and a call whose work depends on the time (an
   * unpause adds the pause's length to the deadline, a zero-length pause writes nothing) can cost more in the
   * block that mines it one second later, and would run out of gas.
   */
  async send(who: number, functionName: string, args: readonly unknown[], value?: bigint): Promise<void> {
    const c = this.t.clients[who]!
    const call = { address: this.escrow, abi: jobEscrowAbi, functionName, args, value, account: c.wallet.account } as never
    const gas = await c.publicClient.estimateContractGas(call)
    await mined(c, await c.wallet.writeContract({ ...(call as object), gas: (gas * 5n) / 4n } as never))
  }

  read<T>(functionName: string, args: readonly unknown[]): Promise<T> {
    return this.t.clients[0]!.publicClient.readContract({ address: this.escrow, abi: jobEscrowAbi, functionName, args } as never) as Promise<T>
  }

  /** Creates an ETH (or `token`) job owned by `owner`; returns its id and key. */
  async createJob(options: { amount: bigint; owner?: number; coordinator?: number; token?: Address; challenge?: bigint; deadlineIn?: bigint; id?: string }): Promise<{ id: string; key: Hex }> {
    const owner = options.owner ?? 0
    const id = options.id ?? freshId()
    const token = options.token ?? NATIVE_TOKEN
    const deadline = (await this.now()) + (options.deadlineIn ?? 3600n)
    if (token !== NATIVE_TOKEN) {
      const c = this.t.clients[owner]!
      await mined(c, await c.wallet.writeContract({ address: token, abi: testTokenAbi, functionName: 'mint', args: [this.address(owner), options.amount] }))
      await mined(c, await c.wallet.writeContract({ address: token, abi: testTokenAbi, functionName: 'approve', args: [this.escrow, options.amount] }))
    }
    await this.send(owner, 'createJob', [id, this.address(options.coordinator ?? 1), token, options.amount, deadline, options.challenge ?? CHALLENGE], token === NATIVE_TOKEN ? options.amount : 0n)
    return { id, key: jobKey(this.address(owner), id) }
  }

  /** The coordinator (`from`) posts `leaves` as `epoch`, reserving their sum unless `amount` says otherwise. */
  async post(key: Hex, epoch: bigint, leaves: Leaf[], options: { from?: number; amount?: bigint; cumulative?: bigint } = {}): Promise<Tree> {
    const tree = epochTree(leaves)
    const amount = options.amount ?? sum(leaves)
    const cumulative = options.cumulative ?? (await this.job(key)).reserved + amount
    await this.send(options.from ?? 1, 'postRoot', [key, epoch, tree.root, amount, cumulative, `tree-${epoch}`, `log-${epoch}`])
    return tree
  }

  /** Claims `account`'s leaf in `tree` (posted as `epoch`), sent by `from` (anyone may send it). */
  claim(key: Hex, epoch: bigint, tree: Tree, account: Address, from = 5): Promise<void> {
    const { amount, cumulative, proof } = proofOf(tree, account)
    return this.send(from, 'claim', [key, epoch, account, amount, cumulative, proof])
  }

  job(key: Hex): Promise<{ owner: Address; coordinator: Address; epoch: bigint; deposited: bigint; claimed: bigint; reserved: bigint; deadline: bigint; pausedUntil: bigint; closed: boolean }> {
    return this.read('job', [key])
  }

  epoch(key: Hex, epoch: bigint): Promise<{ root: Hex; amount: bigint; cumulative: bigint; claimed: bigint; postedAt: bigint; vetoed: boolean; treeCid: string; logCid: string }> {
    return this.read('epochOf', [key, epoch])
  }

  /** Advances the chain past `epoch`'s challenge period. */
  async finalise(key: Hex, epoch: bigint): Promise<void> {
    const posted = (await this.epoch(key, epoch)).postedAt
    const now = await this.now()
    if (now < posted + CHALLENGE) await this.t.increaseTime(Number(posted + CHALLENGE - now))
  }
}
