// A staged job pays its volunteers like any job (issue 19): each stage volunteer binds a wallet over the stage
// protocol, every round goes into the signed job log, and after each round the coordinator's SettlementHost
// pays the verified FLOPs into an epoch on a real anvil; each wallet's share is its peer's share of the verified
// work, a replica caught by its audit gets nothing, and an audit recomputes every root from the staged rounds
// in the log. A coordinator whose log pays more calls than a round had is named by the audit. Real libp2p, ORT
// and anvil in Node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { getAddress } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { mined, startTestChain, type TestChain } from '../../contracts/testing.ts'
import { createLossHead, createStageEngine, type StageEngine } from '../compute/stage-engine.ts'
import { initParams } from '../graph/model.ts'
import { buildShard } from '../graph/shard.ts'
import { bindingTypedData } from '../ledger/binding.ts'
import { decodeEpochDocument, type EpochDocument } from '../ledger/epoch-tree.ts'
import { NATIVE_TOKEN, readEscrowJob, readEpoch } from '../ledger/escrow.ts'
import { jobEscrowAbi } from '../ledger/generated/contracts.ts'
import { jobKey } from '../ledger/job-key.ts'
import { jobModel } from '../training/job.ts'
import type { StageRoundRecord } from '../training/stage-log.ts'
import { flatten, paramLayout } from '../training/vector.ts'
import { auditJob, type AuditSource } from './job-audit.ts'
import { signLogRecord } from './log-store.ts'
import { PipelineCoordinator } from './pipeline-coordinator.ts'
import { sendBinding } from './rewards-client.ts'
import { SettlementHost } from './settlement-host.ts'
import { StageVolunteer } from './stage-volunteer.ts'
import { SignedLog } from './testing/settled-job.ts'
import { dictionaryTask, lazy, stagedPeer, stagedTextJob } from './testing/staged-peers.ts'

ort.env.wasm.numThreads = 1
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const POOL = 10n ** 9n

let t: TestChain
beforeAll(async () => {
  t = await startTestChain()
}, 60_000)
afterAll(async () => t?.chain.stop())

describe('settling a staged job', () => {
  const stops: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined)
  })

  it('pays every stage volunteer its share of the verified FLOPs on chain, none to a caught replica, and the audit recomputes every root', async () => {
    const { task, recipe, model, draw } = await dictionaryTask(8, 48, { kind: 'transformer', layers: 2, width: 16, heads: 4 }, 9)
    const key = await generateKeyPair('Ed25519')
    const coordinatorPeer = await stagedPeer(stops, key)
    const owner = t.addresses[0]!
    const job = stagedTextJob(coordinatorPeer.node.peerId.toString(), recipe, task, 4, {
      id: `staged-paid-${Date.now().toString(36)}`, batchSize: 8, innerSteps: 3, innerLr: 3e-3, rounds: 3, auditRate: 1,
      reward: { amount: POOL.toString(), symbol: 'ETH', decimals: 18, dataShareBps: 0, owner },
    })
    const escrowOwner = t.clients[0]!
    const deadline = (await escrowOwner.publicClient.getBlock()).timestamp + 86_400n
    const minChallenge = await escrowOwner.publicClient.readContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'minChallengePeriod' })
    await mined(escrowOwner, await escrowOwner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [job.id, t.addresses[1]!, NATIVE_TOKEN, POOL, deadline, minChallenge], value: POOL }))
    const log = new SignedLog(key)
    const trees = new Map<string, EpochDocument>()
    const head = await createLossHead(ort, model, 4, 'wasm')
    stops.push(() => head.release())
    const engineFor = (from: number, to: number, rows: number) => createStageEngine(ort, buildShard(jobModel(job), from, to, rows), 'wasm')
    const settled: string[] = []
    const coordinator = await PipelineCoordinator.start({
      ...coordinatorPeer, job, initialParams: flatten(paramLayout(model), initParams(model, 3)), head: head.run, batches: () => ({ ...draw(8), rows: 8 }), engine: engineFor, announceEveryMs: 0,
      jobLog: log, log: (line) => settled.push(line),
      settlement: (source) => new SettlementHost({
        source, jobLog: log,
        chain: { chainId: t.chain.chainId, escrow: t.deployment.escrow, governor: t.deployment.governor, reader: t.clients[1]!.publicClient, writer: t.clients[1]!.wallet },
        publishTree: async (bytes) => {
          const doc = decodeEpochDocument(bytes)
          trees.set(`tree-${doc.epoch}`, doc)
          return `tree-${doc.epoch}`
        },
      }),
    })
    stops.push(() => coordinator.stop())
    // Four volunteers over 3 stages; the fourth (sharing a stage with an honest one) is lazy.
    const volunteers: Array<{ id: string; wallet: ReturnType<typeof privateKeyToAccount>; node: Awaited<ReturnType<typeof stagedPeer>>['node'] }> = []
    for (let i = 0; i < 4; i++) {
      const { node, exchange } = await stagedPeer(stops)
      await node.dial(multiaddr(coordinatorPeer.node.getMultiaddrs()[0]!.toString()))
      const volunteer = await StageVolunteer.start({ node, exchange, job: (id) => (id === job.id ? job : null), engine: async (_, from, to, rows) => (i === 3 ? lazy : (e: StageEngine) => e)(await engineFor(from, to, rows)), joinEveryMs: 200 })
      stops.push(() => volunteer.stop())
      volunteer.join(job.id)
      volunteers.push({ id: node.peerId.toString(), wallet: privateKeyToAccount(generatePrivateKey()), node })
      while (coordinator.candidates().length < i + 1) await sleep(20)
    }
    // Each binds a wallet of its own over the stage protocol, signed as a browser wallet signs (EIP-712).
    const domain = { chainId: t.chain.chainId, escrow: t.deployment.escrow }
    const signed = async (v: (typeof volunteers)[number], peer = v.id) => {
      const payload = { job: job.id, peer, wallet: v.wallet.address, expiry: Math.floor(Date.now() / 1000) + 3600 }
      return { ...payload, signature: await v.wallet.signTypedData(bindingTypedData(payload, domain)) }
    }
    const announcement = { job, addrs: coordinatorPeer.node.getMultiaddrs().map((a) => a.toString()) }
    for (const v of volunteers) expect((await sendBinding(v.node, announcement, await signed(v))).wallet).toBe(v.wallet.address)
    // A binding made out to another peer is refused, with why.
    await expect(sendBinding(volunteers[0]!.node, announcement, await signed(volunteers[0]!, volunteers[1]!.id))).rejects.toThrow(/refused the bind/)

    // A peer binds at most once in 10 s (each binding is checked and saved).
    await expect(sendBinding(volunteers[1]!.node, announcement, await signed(volunteers[1]!))).rejects.toThrow(/less than 10 s ago/)

    await coordinator.run(AbortSignal.timeout(240_000), () => undefined, 100)
    expect(coordinator.finished).toBe(true)
    const lazyPeer = volunteers[3]!.id
    expect(coordinator.banned.has(lazyPeer)).toBe(true)
    // Caught, it cannot bind again, nor can its wallet come back bound to a fresh peer.
    const { node: fresh } = await stagedPeer(stops)
    await fresh.dial(multiaddr(coordinatorPeer.node.getMultiaddrs()[0]!.toString()))
    const again = await signed({ ...volunteers[3]!, id: fresh.peerId.toString(), node: fresh })
    await expect(sendBinding(fresh, announcement, again)).rejects.toThrow(/caught cheating in this job/)
    // Every replica was audited: every honest peer's work is verified, nothing waits.
    const honest = volunteers.slice(0, 3)
    for (const v of honest) {
      expect(coordinator.ledger.volunteer(v.id).flops).toBeGreaterThan(0)
      expect(coordinator.ledger.pending(v.id).flops).toBe(0)
    }
    expect(coordinator.ledger.volunteer(lazyPeer).flops).toBe(0)

    // The lazy peer's round merged nothing: it releases nothing and does not count, so the job ran 4 rounds for
    // its 3. An epoch after every merged round; the last one has released the whole pool.
    expect(coordinator.reports.map((r) => r.discarded)).toEqual([true, false, false, false])
    const key32 = jobKey(owner, job.id)
    const escrow = (await readEscrowJob(t.clients[0]!.publicClient, t.deployment.escrow, key32))!
    expect(Number(escrow.epoch), settled.join('\n')).toBe(3)
    const last = trees.get('tree-3')!
    const cumulative = new Map(last.tree.values.map((v) => [getAddress((v.value as string[])[0]!), BigInt((v.value as string[])[2]!)]))
    expect(cumulative.has(volunteers[3]!.wallet.address)).toBe(false)
    // Each merged round releases a third of the pool, split by the verified FLOPs since the last release (the
    // first release pays the discarded round's work too).
    let paid = 0n
    for (const v of honest) {
      let expected = 0
      let since = new Map<string, number>()
      for (const r of coordinator.reports) {
        for (const h of honest) since.set(h.id, (since.get(h.id) ?? 0) + (r.credited[h.id] ?? 0))
        if (r.discarded) continue
        const total = [...since.values()].reduce((a, b) => a + b, 0)
        expected += (Number(POOL) / 3) * (since.get(v.id)! / total)
        since = new Map()
      }
      expect(expected).toBeGreaterThan(0)
      expect(Math.abs(Number(cumulative.get(v.wallet.address)!) - expected) / Number(POOL)).toBeLessThan(1e-6)
      paid += cumulative.get(v.wallet.address)!
    }
    expect(POOL - paid).toBeLessThan(10n)
    expect((await readEpoch(t.clients[0]!.publicClient, t.deployment.escrow, key32, 3)).root).toBe(last.root)

    // Anyone recomputes every root from the log alone.
    const source: AuditSource = {
      reader: t.clients[0]!.publicClient, chainId: t.chain.chainId, escrow: t.deployment.escrow,
      fetchLog: async (cid) => log.envelopes.get(cid) ?? Promise.reject(new Error(`no provider has ${cid}`)),
      fetchTree: async (cid) => trees.get(cid) ?? Promise.reject(new Error(`no provider has ${cid}`)),
    }
    const report = await auditJob(source, key32)
    expect(report.findings).toEqual([])
    expect(report.ok).toBe(true)
    expect(report.checked.rounds).toBe(4)
    expect(report.epochs.map((e) => e.status)).toEqual(['ok', 'ok', 'ok'])

    // A log whose round 1 pays an honest peer for more backward calls than the round had: named, and its
    // epochs no longer recompute to the chain's roots.
    const [roundCid, envelope] = [...log.envelopes].find(([, e]) => (JSON.parse(e.record) as StageRoundRecord).kind === 'stage-round' && (JSON.parse(e.record) as StageRoundRecord).round === 1)!
    const inflated = JSON.parse(envelope.record) as StageRoundRecord
    inflated.work[0]!.backward += 7
    const doctored = new Map(log.envelopes).set(roundCid, await signLogRecord(key, inflated))
    const caught = await auditJob({ ...source, fetchLog: async (cid) => doctored.get(cid) ?? Promise.reject(new Error(`no provider has ${cid}`)) }, key32)
    expect(caught.ok).toBe(false)
    expect(caught.findings.map((f) => f.code)).toContain('BAD_STAGE_WORK')
    expect(caught.findings.map((f) => f.code)).toContain('LEAF_MISMATCH')

    // An epoch record that counts more rounds closed than its chain holds (to release the pool early) is named;
    // so is a round record that is signed but does not decode.
    const [epochCid, epochEnvelope] = [...log.envelopes].find(([, e]) => (JSON.parse(e.record) as { kind: string; epoch?: number }).kind === 'epoch' && (JSON.parse(e.record) as { epoch: number }).epoch === 2)!
    const early = { ...(JSON.parse(epochEnvelope.record) as Record<string, unknown>), roundsClosed: 3 }
    const audited = async (cid: string, record: unknown) => {
      const swapped = new Map(log.envelopes).set(cid, await signLogRecord(key, record as StageRoundRecord))
      return auditJob({ ...source, fetchLog: async (c) => swapped.get(c) ?? Promise.reject(new Error(`no provider has ${c}`)) }, key32)
    }
    expect((await audited(epochCid, early)).findings.find((f) => f.code === 'RECORD_MISMATCH')?.message).toMatch(/epoch 2: it counts 3 rounds merged and credit up to round 2, of 3, but its chain holds 2 merged rounds up to round 2/)
    const malformed = { ...inflated, work: [{ peer: 'x', stage: 'one', forward: 1, backward: 1 }] }
    expect((await audited(roundCid, malformed)).findings[0]).toMatchObject({ code: 'BAD_RECORD', message: expect.stringMatching(/does not decode: staged round record: "stage" must be a finite number/) })
  }, 300_000)
})
