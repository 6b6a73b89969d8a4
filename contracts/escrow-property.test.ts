// JobEscrow under random sequences of roots (honest or self-paying), claims, vetoes, coordinator changes,
// pauses, top-ups, reclaims and time, on a chain of its own so its balance can be checked exactly:
// - the escrow never pays out more than it holds (its balance is always Σ deposited − Σ claimed);
// - no account ends with less than the credit final roots showed it, unless the owner reclaimed, and then only
//   after the deadline (moved back by every pause) plus the whole claim window;
// - a final leaf, once final, is always claimable with its original proof until then.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { parseEther, type Address, type Hex } from 'viem'
import { revertOf, startTestChain, TEST_ESCROW, type TestChain } from './testing.ts'
import { CHALLENGE, epochTree, EscrowActors, proofOf, type Leaf, type Tree } from './escrow-testing.ts'

let t: TestChain
let e: EscrowActors
beforeAll(async () => {
  t = await startTestChain()
  e = new EscrowActors(t)
}, 60_000)
afterAll(async () => t?.chain.stop())

const OWNER = 0
const VOLUNTEERS = [2, 3, 4]

type Action =
  | { kind: 'post'; shares: number[]; selfPaying: boolean; fraction: number; byOld: boolean }
  | { kind: 'claim'; who: number; pick: number }
  | { kind: 'veto'; back: number }
  | { kind: 'time'; seconds: number }
  | { kind: 'pause'; on: boolean }
  | { kind: 'coordinator'; to: number }
  | { kind: 'accept' }
  | { kind: 'topUp'; milli: number }
  | { kind: 'reclaim' }

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('post' as const), shares: fc.array(fc.nat(5), { minLength: 3, maxLength: 3 }), selfPaying: fc.boolean(), fraction: fc.integer({ min: 1, max: 40 }), byOld: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('claim' as const), who: fc.constantFrom(...VOLUNTEERS, 1, 0), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('veto' as const), back: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('time' as const), seconds: fc.integer({ min: 1, max: 900 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('coordinator' as const), to: fc.constantFrom(0, 1, 5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('accept' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('topUp' as const), milli: fc.integer({ min: 1, max: 500 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reclaim' as const) }) },
)

/** What the test knows about a posted epoch: its tree (to claim with) and its leaves. */
interface Posted { epoch: bigint; tree: Tree; leaves: Leaf[] }

const blockTime = async (hash?: Hex) => {
  const client = t.clients[0]!.publicClient
  return hash ? (await client.getBlock({ blockHash: hash })).timestamp : (await client.getBlock()).timestamp
}

describe('JobEscrow property', () => {
  it('never pays more than it holds, and never takes final credit from an account within its claim window', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 4, maxLength: 22 }), async (actions) => {
        // Every earlier job's money stays put while this one runs: the escrow's balance is that plus this job's
        // deposits less its payouts, after every step.
        const base = await t.balance(t.deployment.escrow)
        const { key } = await e.createJob({ amount: parseEther('1'), deadlineIn: 1500n })
        const posted: Posted[] = []
        const cumulative = new Map<Address, bigint>()
        const received = new Map<Address, bigint>()
        let coordinator = 1
        let pending: number | null = null
        let reclaimed = false
        for (const a of actions) {
          const job = await e.job(key)
          if (a.kind === 'post') {
            // Honest roots split a slice of what is left by the shares; a self-paying one names the coordinator alone.
            const left = job.deposited - job.reserved
            const amount = (left * BigInt(a.fraction)) / 100n
            const who = a.selfPaying ? [t.addresses[coordinator]!] : VOLUNTEERS.map((v) => t.addresses[v]!)
            const weights = a.selfPaying ? [1] : a.shares
            const total = weights.reduce((s, w) => s + w, 0)
            if (total === 0 || amount === 0n) continue
            const leaves: Leaf[] = who.map((acc, i) => {
              const x = (amount * BigInt(weights[i]!)) / BigInt(total)
              return [acc, x, (cumulative.get(acc) ?? 0n) + x]
            })
            const from = a.byOld ? (coordinator === 1 ? 5 : 1) : coordinator
            const epoch = job.epoch + 1n
            const outcome = await revertOf(e.post(key, epoch, leaves, { from }))
            if (outcome === 'no revert') {
              expect(from).toBe(coordinator)
              posted.push({ epoch, tree: epochTree(leaves), leaves })
              for (const [acc, , c] of leaves) cumulative.set(acc, c)
            } else {
              expect(['NotCoordinator', 'JobPaused', 'DeadlinePassed', 'JobClosed']).toContain(outcome)
              if (outcome === 'NotCoordinator') expect(from).not.toBe(coordinator)
            }
          } else if (a.kind === 'claim') {
            const account = t.addresses[a.who]!
            const mine = posted.filter((p) => p.leaves.some(([acc, x]) => acc === account && x > 0n))
            const target = mine[a.pick % Math.max(1, mine.length)]
            if (!target) continue
            const before = await t.balance(account)
            const outcome = await revertOf(e.claim(key, target.epoch, target.tree, account, 5))
            if (outcome === 'no revert') {
              const x = proofOf(target.tree, account).amount
              expect(await t.balance(account)).toBe(before + x)
              received.set(account, (received.get(account) ?? 0n) + x)
            } else {
              expect(['NotFinal', 'AlreadyClaimed', 'UnknownEpoch', 'JobPaused', 'JobClosed']).toContain(outcome)
            }
          } else if (a.kind === 'veto') {
            const target = posted.at(-1 - a.back)
            if (!target) continue
            const outcome = await revertOf(e.send(OWNER, 'vetoRoot', [key, target.epoch, 'evidence']))
            if (outcome === 'no revert') {
              // Vetoed roots leave the model: their leaves were never final, so nobody is owed them.
              const vetoed = posted.filter((p) => p.epoch >= target.epoch)
              posted.splice(posted.indexOf(vetoed[0]!))
              cumulative.clear()
              for (const p of posted) for (const [acc, , c] of p.leaves) cumulative.set(acc, c)
            } else {
              expect(['ChallengeOver', 'RootVetoedAlready']).toContain(outcome)
            }
          } else if (a.kind === 'time') {
            await t.increaseTime(a.seconds)
          } else if (a.kind === 'pause') {
            const outcome = await revertOf(e.send(OWNER, 'setPaused', [key, a.on]))
            expect(['no revert', 'JobClosed']).toContain(outcome)
          } else if (a.kind === 'coordinator') {
            const outcome = await revertOf(e.send(OWNER, 'proposeCoordinator', [key, t.addresses[a.to]!]))
            if (outcome === 'no revert') pending = a.to
          } else if (a.kind === 'accept') {
            const outcome = await revertOf(e.send(5, 'acceptCoordinator', [key]))
            if (outcome === 'no revert') {
              coordinator = pending!
              pending = null
            } else expect(['NoCoordinatorPending', 'CoordinatorNotReady']).toContain(outcome)
          } else if (a.kind === 'topUp') {
            const value = parseEther('0.001') * BigInt(a.milli)
            expect(['no revert', 'JobClosed']).toContain(await revertOf(e.send(5, 'topUp', [key, value], value)))
          } else {
            const outcome = await revertOf(e.send(OWNER, 'reclaim', [key]))
            if (outcome === 'no revert') {
              reclaimed = true
              // Only after the (pause-extended) deadline and the whole claim window, and never while paused.
              const after = await e.job(key)
              expect(await blockTime()).toBeGreaterThanOrEqual(after.deadline + BigInt(TEST_ESCROW.claimWindowSeconds))
              expect(after.pausedUntil).toBeLessThanOrEqual(await blockTime())
            } else expect(['DeadlineNotReached', 'JobPaused', 'JobClosed']).toContain(outcome)
          }
          // Never more out than in: the escrow holds exactly what its jobs were given less what they paid.
          const after = await e.job(key)
          expect(after.claimed).toBeLessThanOrEqual(after.deposited)
          expect(after.reserved).toBeLessThanOrEqual(after.deposited)
          expect(await t.balance(t.deployment.escrow)).toBe(base + after.deposited - after.claimed)
        }
        if (reclaimed) return
        // The end: lift any pause, let every root's challenge pass, and every account claims every final leaf
        // with the proof it was given. Each gets at least the credit final roots showed it.
        if ((await e.job(key)).pausedUntil > (await blockTime())) await e.send(OWNER, 'setPaused', [key, false])
        await t.increaseTime(Number(CHALLENGE))
        for (const account of new Set(posted.flatMap((p) => p.leaves.map(([acc]) => acc)))) {
          const owed = posted.reduce((s, p) => s + p.leaves.filter(([acc]) => acc === account).reduce((x, [, v]) => x + v, 0n), 0n)
          for (const p of posted) {
            const leaf = p.leaves.find(([acc]) => acc === account)
            if (!leaf || leaf[1] === 0n) continue
            const outcome = await revertOf(e.claim(key, p.epoch, p.tree, account, 5))
            if (outcome === 'no revert') received.set(account, (received.get(account) ?? 0n) + leaf[1])
            else expect(outcome).toBe('AlreadyClaimed')
          }
          expect(received.get(account) ?? 0n).toBe(owed)
        }
      }),
      { numRuns: 30 },
    )
  }, 600_000)
})
