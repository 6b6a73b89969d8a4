// Auditing a job against a real anvil: a coordinator (the harness's, signing its job log with a real Ed25519
// key, volunteers signing their results with theirs) settles epochs through the SettlementHost; the audit
// recomputes every root from the log and passes the honest job. A coordinator that pays itself in its roots (its
// log honest, its trees and roots not) is caught at the doctored leaf; a missing record, a forged result
// signature and a tree that is not the chain's are each named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { getAddress, type Address, type Hex } from 'viem'
import { mined, startTestChain, type TestChain } from '../../contracts/testing.ts'
import { jobEscrowAbi } from '../ledger/generated/contracts.ts'
import { LEAF_ENCODING, type EpochDocument } from '../ledger/epoch-tree.ts'
import { auditJob } from './job-audit.ts'
import { paysItself } from './testing/settlement-adversaries.ts'
import { settledJob } from './testing/settled-job.ts'

let t: TestChain
beforeAll(async () => {
  t = await startTestChain()
}, 60_000)
afterAll(async () => t?.chain.stop())

/** A doctored copy of a published tree: `wallet`'s leaf pays `extra` more than the honest one. */
function inflate(wallet: Address, extra: bigint): (doc: EpochDocument) => EpochDocument {
  return (doc) => {
    const leaves = doc.tree.values.map((v) => {
      const [w, a, c] = v.value as [string, string, string]
      return getAddress(w) === wallet ? [w, (BigInt(a) + extra).toString(), (BigInt(c) + extra).toString()] : [w, a, c]
    }) as Array<[string, string, string]>
    const tree = StandardMerkleTree.of(leaves, LEAF_ENCODING)
    return { ...doc, tree: tree.dump(), root: tree.root as Hex, amount: doc.amount + extra, cumulative: doc.cumulative + extra }
  }
}

describe('auditing a job', () => {
  it('passes an honest job: every signature checks out and every root recomputes from the log', async () => {
    const { key, source, job } = await settledJob(t, { epochs: 3 })
    const lines: string[] = []
    const report = await auditJob(source, key, (line) => lines.push(line))
    expect(report.findings).toEqual([])
    expect(report.ok).toBe(true)
    expect(report.job).toBe(job.id)
    expect(report.coordinator).toBe(job.coordinator)
    expect(report.epochs.map((e) => e.status)).toEqual(['ok', 'ok', 'ok'])
    expect(report.epochs.every((e) => e.recomputedRoot === e.root)).toBe(true)
    expect(report.checked).toMatchObject({ rounds: 3, bindings: 2 })
    expect(report.checked.resultSignatures).toBeGreaterThanOrEqual(6)
    expect(lines.some((l) => l.includes('recomputing'))).toBe(true)
  })

  it('names the doctored leaf of a root in which the coordinator paid itself', async () => {
    // From epoch 2 the coordinator's own account (anvil 1) gets 777 nobody earned; its job log stays honest.
    const self = t.addresses[1]!
    const { key, source } = await settledJob(t, { epochs: 3, adversary: paysItself(777n, 2) })
    const report = await auditJob(source, key)
    expect(report.ok).toBe(false)
    const [first] = report.findings
    expect(first).toMatchObject({ code: 'LEAF_MISMATCH', epoch: 2, wallet: self, expected: null, posted: { amount: 777n, cumulative: 777n } })
    expect(first!.message).toMatch(/^epoch 2: the posted tree pays 0x[0-9a-fA-F]{40} 777 \(running total 777\), but the job log gives no leaf/)
    expect(report.epochs.map((e) => e.status)).toEqual(['ok', 'failed', 'failed'])
  })

  it('names a result the log credits without its volunteer\'s signature', async () => {
    const { key, source, peers } = await settledJob(t, { epochs: 1, forgeSignatureOf: 1 })
    const report = await auditJob(source, key)
    expect(report.findings[0]).toMatchObject({ code: 'BAD_RESULT_SIGNATURE', epoch: 1 })
    expect(report.findings[0]!.message).toMatch(new RegExp(`^round \\d+, unit [^:]+: the result recorded for ${peers[1]!.slice(0, 16)}… does not carry its signature$`))
  })

  it('refuses a job the escrow does not know, naming the key, escrow and chain', async () => {
    const { source } = await settledJob(t, { epochs: 1 })
    const key = `0x${'5a'.repeat(32)}` as Hex
    await expect(auditJob(source, key)).rejects.toMatchObject({ code: 'NOT_FUNDED', message: `no job with key ${key} is escrowed at ${source.escrow} on chain ${source.chainId}` })
  })

  it('skips a vetoed epoch (it pays nothing), and leaves every epoch after a missing link unchecked', async () => {
    const job = await settledJob(t, { epochs: 3 })
    const owner = t.clients[0]!
    await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'vetoRoot', args: [job.key, 3n, 'bafy-reason'] }))
    const lines: string[] = []
    const vetoed = await auditJob(job.source, job.key, (line) => lines.push(line))
    expect(vetoed.epochs.map((e) => e.status)).toEqual(['ok', 'ok', 'vetoed'])
    expect(vetoed.epochs[2]!.findings).toEqual([])
    expect(vetoed.ok).toBe(true)
    expect(lines.filter((l) => l.includes('fetching'))).toEqual([1, 2].map((n) => expect.stringMatching(new RegExp(`^epoch ${n}: fetching its job-log record .{24}…$`))))
    // Epoch 1's record gone: nothing after it can be placed in the chain, so nothing after it is judged.
    const [first] = [...job.log.envelopes.entries()].filter(([, s]) => JSON.parse(s.record).kind === 'epoch' && JSON.parse(s.record).epoch === 1)
    job.log.envelopes.delete(first![0])
    const gap = await auditJob(job.source, job.key)
    expect(gap.epochs.map((e) => e.status)).toEqual(['failed', 'unchecked', 'vetoed'])
    expect(gap.findings.map((f) => [f.code, f.epoch])).toEqual([['LOG_UNAVAILABLE', 1]])
    expect(gap.findings[0]!.message).toMatch(/^epoch 1: job-log record .{24}… could not be fetched \(no provider has .+\); pin the log, or ask the coordinator to publish it$/)

    // The epoch record is there but a round record it builds on is gone: that epoch fails, the later ones
    // (which build on the same rounds) are left unchecked rather than failed again.
    const rounds = await settledJob(t, { epochs: 3 })
    const [firstRound] = [...rounds.log.envelopes.entries()].filter(([, s]) => JSON.parse(s.record).kind === 'round' && JSON.parse(s.record).round === 0)
    rounds.log.envelopes.delete(firstRound![0])
    const lost = await auditJob(rounds.source, rounds.key)
    expect(lost.epochs.map((e) => e.status)).toEqual(['failed', 'unchecked', 'unchecked'])
    expect(lost.findings.map((f) => [f.code, f.epoch])).toEqual([['LOG_UNAVAILABLE', 1]])
  })

  it('says which record it could not fetch, and which tree is not the chain\'s', async () => {
    const missing = await settledJob(t, { epochs: 2 })
    const [, second] = [...missing.log.envelopes.entries()].filter(([, s]) => JSON.parse(s.record).kind === 'epoch')
    missing.log.envelopes.delete(second![0])
    const report = await auditJob(missing.source, missing.key)
    expect(report.findings).toEqual([expect.objectContaining({ code: 'LOG_UNAVAILABLE', epoch: 2 })])
    expect(report.epochs.map((e) => e.status)).toEqual(['ok', 'failed'])

    // A coordinator that publishes the honest tree but posts another root.
    const other = await settledJob(t, { epochs: 1 })
    const tampered = { ...other.source, fetchTree: async (cid: string) => inflate(other.wallets[0]!, 5n)(await other.source.fetchTree(cid)) }
    const report2 = await auditJob(tampered, other.key)
    expect(report2.findings.map((f) => f.code)).toEqual(['TREE_MISMATCH'])
    expect(report2.findings[0]!.message).toMatch(/^epoch 1: the published tree .{24}… has root 0x[0-9a-f]{64}, not the chain's 0x[0-9a-f]{64}$/)
  })
})
