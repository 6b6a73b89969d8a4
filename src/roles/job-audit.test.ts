// Auditing a job against a real anvil: a coordinator (the harness's, signing its job log with a real Ed25519
// key, volunteers signing their results with theirs) settles epochs through the SettlementHost; the audit
// recomputes every root from the log and passes the honest job. A coordinator that pays itself in its roots (its
// log honest, its trees and roots not) is caught at the doctored leaf; a missing record, a forged result
// signature and a tree that is not the chain's are each named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { getAddress, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_KEYS } from '../../server/settlement.ts'
import { mined, startTestChain, type TestChain } from '../../contracts/testing.ts'
import { bindingTypedData } from '../ledger/binding.ts'
import { decodeEpochDocument, LEAF_ENCODING, type EpochDocument } from '../ledger/epoch-tree.ts'
import { NATIVE_TOKEN } from '../ledger/escrow.ts'
import { jobEscrowAbi } from '../ledger/generated/contracts.ts'
import { jobKey } from '../ledger/job-key.ts'
import { toHex } from '../hex.ts'
import type { LogRecord, SignedLogRecord } from '../training/job-log.ts'
import type { LogStore } from '../training/stores.ts'
import { Harness, runRounds } from '../training/testing/coordinator-harness.ts'
import { testJob } from '../training/testing/job-fixture.ts'
import { resultSigningBytes } from '../training/unit.ts'
import { auditJob, type AuditSource } from './job-audit.ts'
import { signLogRecord } from './log-store.ts'
import { SettlementHost, type SettlementAdversary } from './settlement-host.ts'
import { paysItself } from './testing/settlement-adversaries.ts'

let t: TestChain
beforeAll(async () => {
  t = await startTestChain()
}, 60_000)
afterAll(async () => t?.chain.stop())

/** A content-addressed store of signed records, as the block exchange would hold them. */
class SignedLog implements LogStore {
  readonly envelopes = new Map<string, SignedLogRecord>()
  private readonly key: PrivateKey
  constructor(key: PrivateKey) {
    this.key = key
  }
  async put(record: LogRecord): Promise<string> {
    const signed = await signLogRecord(this.key, record)
    const cid = `log-${createHash('sha256').update(JSON.stringify(signed)).digest('hex')}`
    this.envelopes.set(cid, signed)
    return cid
  }
}


async function runJob(options: { epochs: number; adversary?: SettlementAdversary; forgeSignatureOf?: number }) {
  const coordinatorKey = await generateKeyPair('Ed25519')
  const volunteerKeys = await Promise.all([0, 1].map(() => generateKeyPair('Ed25519')))
  const peers = volunteerKeys.map((k) => peerIdFromPrivateKey(k).toString())
  const keyOf = new Map(peers.map((p, i) => [p, volunteerKeys[i]!]))
  const job = testJob({ id: `audit-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`, coordinator: peerIdFromPrivateKey(coordinatorKey).toString(), rounds: 6, auditRate: 0.5, reward: { amount: '1000000000', symbol: 'ETH', decimals: 18, dataShareBps: 2000, owner: t.addresses[0]! } })
  const log = new SignedLog(coordinatorKey)
  const h = new Harness(job, {
    log,
    sign: async (peer, result) => (options.forgeSignatureOf !== undefined && peer === peers[options.forgeSignatureOf] ? 'cd'.repeat(64) : toHex(await keyOf.get(peer)!.sign(resultSigningBytes(result)))),
  })
  const coordinator = await h.open()
  const trees = new Map<string, EpochDocument>()
  const host = new SettlementHost({
    coordinator,
    chain: { chainId: t.chain.chainId, escrow: t.deployment.escrow, governor: t.deployment.governor, reader: t.clients[1]!.publicClient, writer: t.clients[1]!.wallet },
    publishTree: async (bytes) => {
      const doc = decodeEpochDocument(bytes)
      const cid = `tree-${job.id}-${doc.epoch}`
      trees.set(cid, doc)
      return cid
    },
    jobLog: log,
    adversary: options.adversary,
    decideDataset: async () => undefined,
    nowMs: () => Date.now(),
  })
  const owner = t.clients[0]!
  const deadline = (await owner.publicClient.getBlock()).timestamp + 86_400n
  await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [job.id, t.addresses[1]!, NATIVE_TOKEN, 10n ** 9n, deadline, 100n], value: 10n ** 9n }))
  // Both volunteers bind wallets 2 and 3 (EIP-712, as a browser wallet signs).
  for (const [i, peer] of peers.entries()) {
    const account = privateKeyToAccount(ANVIL_KEYS[i + 2]!)
    const binding = { job: job.id, peer, wallet: account.address, expiry: Math.floor(Date.now() / 1000) + 3600 }
    await host.bind(peer, { ...binding, signature: await account.signTypedData(bindingTypedData(binding, { chainId: t.chain.chainId, escrow: t.deployment.escrow })) })
  }
  for (let e = 0; e < options.epochs; e++) {
    await runRounds(h, peers.map((p) => [p, 'honest'] as [string, 'honest']), 1)
    const outcome = await host.closeEpoch()
    if (!outcome.posted) throw new Error(outcome.reason)
  }
  const source: AuditSource = {
    reader: t.clients[0]!.publicClient,
    chainId: t.chain.chainId,
    escrow: t.deployment.escrow,
    fetchLog: async (cid) => {
      const signed = log.envelopes.get(cid)
      if (!signed) throw new Error(`no provider has ${cid}`)
      return signed
    },
    fetchTree: async (cid) => trees.get(cid) ?? Promise.reject(new Error(`no provider has ${cid}`)),
  }
  return { key: jobKey(t.addresses[0]!, job.id), source, log, peers, job }
}

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
    const { key, source, job } = await runJob({ epochs: 3 })
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
    const { key, source } = await runJob({ epochs: 3, adversary: paysItself(777n, 2) })
    const report = await auditJob(source, key)
    expect(report.ok).toBe(false)
    const [first] = report.findings
    expect(first).toMatchObject({ code: 'LEAF_MISMATCH', epoch: 2, wallet: self, expected: null, posted: { amount: 777n, cumulative: 777n } })
    expect(first!.message).toMatch(/^epoch 2: the posted tree pays 0x[0-9a-fA-F]{40} 777 \(running total 777\), but the job log gives no leaf/)
    expect(report.epochs.map((e) => e.status)).toEqual(['ok', 'failed', 'failed'])
  })

  it('names a result the log credits without its volunteer\'s signature', async () => {
    const { key, source, peers } = await runJob({ epochs: 1, forgeSignatureOf: 1 })
    const report = await auditJob(source, key)
    expect(report.findings[0]).toMatchObject({ code: 'BAD_RESULT_SIGNATURE', epoch: 1 })
    expect(report.findings[0]!.message).toContain(peers[1]!.slice(0, 16))
  })

  it('says which record it could not fetch, and which tree is not the chain\'s', async () => {
    const missing = await runJob({ epochs: 2 })
    const [, second] = [...missing.log.envelopes.entries()].filter(([, s]) => JSON.parse(s.record).kind === 'epoch')
    missing.log.envelopes.delete(second![0])
    const report = await auditJob(missing.source, missing.key)
    expect(report.findings).toEqual([expect.objectContaining({ code: 'LOG_UNAVAILABLE', epoch: 2 })])
    expect(report.epochs.map((e) => e.status)).toEqual(['ok', 'failed'])

    // A coordinator that publishes the honest tree but posts another root.
    const other = await runJob({ epochs: 1 })
    const tampered = { ...other.source, fetchTree: async (cid: string) => inflate(t.addresses[2]!, 5n)(await other.source.fetchTree(cid)) }
    const report2 = await auditJob(tampered, other.key)
    expect(report2.findings.map((f) => f.code)).toEqual(['TREE_MISMATCH'])
  })
})
