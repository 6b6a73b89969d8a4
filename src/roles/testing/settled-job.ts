// A job settled on a test chain by the SettlementHost, with a signed job log and volunteers that sign their
// results with real Ed25519 keys, ready to audit: shared by the audit's tests and its benchmark.
import { createHash } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts'
import { mined, type TestChain } from '../../../contracts/testing.ts'
import { bindingTypedData } from '../../ledger/binding.ts'
import { decodeEpochDocument, type EpochDocument } from '../../ledger/epoch-tree.ts'
import { NATIVE_TOKEN } from '../../ledger/escrow.ts'
import { jobEscrowAbi } from '../../ledger/generated/contracts.ts'
import { jobKey } from '../../ledger/job-key.ts'
import { toHex } from '../../hex.ts'
import type { LogRecord, SignedLogRecord } from '../../training/job-log.ts'
import type { LogStore } from '../../training/stores.ts'
import type { Deployed } from '../../training/job.ts'
import { Harness, runRounds } from '../../training/testing/coordinator-harness.ts'
import { testJob } from '../../training/testing/job-fixture.ts'
import { resultSigningBytes } from '../../training/unit.ts'
import type { AuditSource } from '../job-audit.ts'
import { signLogRecord } from '../log-store.ts'
import { SettlementHost, settledCoordinator, type SettlementAdversary } from '../settlement-host.ts'

/** A content-addressed store of signed records, as the block exchange would hold them. */
export class SignedLog implements LogStore {
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

export interface SettledJobOptions {
  /** Rounds to run, each closed with an epoch. */
  epochs: number
  volunteers?: number
  auditRate?: number
  adversary?: SettlementAdversary
  /** The volunteer (by index) whose results the log carries with a forged signature. */
  forgeSignatureOf?: number
  /** The epochs (1-based) after whose close the owner deploys the current version: later rounds announce it. */
  deployAfter?: readonly number[]
}

/** Owner: test account 0; coordinator's chain account: 1; volunteers bind fresh wallets. */
export async function settledJob(t: TestChain, options: SettledJobOptions) {
  const coordinatorKey = await generateKeyPair('Ed25519')
  const volunteerKeys = await Promise.all(Array.from({ length: options.volunteers ?? 2 }, () => generateKeyPair('Ed25519')))
  const peers = volunteerKeys.map((k) => peerIdFromPrivateKey(k).toString())
  const keyOf = new Map(peers.map((p, i) => [p, volunteerKeys[i]!]))
  const job = testJob({ id: `audit-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`, coordinator: peerIdFromPrivateKey(coordinatorKey).toString(), rounds: options.epochs * 4, unitsPerRound: Math.max(2, peers.length), auditRate: options.auditRate ?? 0.5, reward: { amount: '1000000000', symbol: 'ETH', decimals: 18, dataShareBps: 2000, owner: t.addresses[0]! } })
  const log = new SignedLog(coordinatorKey)
  const h = new Harness(job, {
    log,
    sign: async (peer, result) => (options.forgeSignatureOf !== undefined && peer === peers[options.forgeSignatureOf] ? 'cd'.repeat(64) : toHex(await keyOf.get(peer)!.sign(resultSigningBytes(result)))),
  })
  const coordinator = await h.open()
  const trees = new Map<string, EpochDocument>()
  const host = new SettlementHost({
    source: settledCoordinator(coordinator),
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
  const minChallenge = await owner.publicClient.readContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'minChallengePeriod' })
  await mined(owner, await owner.wallet.writeContract({ address: t.deployment.escrow, abi: jobEscrowAbi, functionName: 'createJob', args: [job.id, t.addresses[1]!, NATIVE_TOKEN, 10n ** 9n, deadline, minChallenge], value: 10n ** 9n }))
  // Each volunteer binds a wallet of its own (EIP-712, as a browser wallet signs).
  const wallets = peers.map(() => privateKeyToAccount(generatePrivateKey()))
  for (const [i, peer] of peers.entries()) {
    const account = wallets[i]!
    const binding = { job: job.id, peer, wallet: account.address, expiry: Math.floor(Date.now() / 1000) + 3600 }
    await host.bind(peer, { ...binding, signature: await account.signTypedData(bindingTypedData(binding, { chainId: t.chain.chainId, escrow: t.deployment.escrow })) })
  }
  const deployments: Deployed[] = []
  // A round in which no bound wallet gained (its units still under audit, say) posts nothing: run another.
  for (let e = 0; e < options.epochs; e++) {
    for (let tries = 0; ; tries++) {
      await runRounds(h, peers.map((p) => [p, 'honest'] as [string, 'honest']), 1)
      const outcome = await host.closeEpoch()
      if (outcome.posted) break
      if (tries === 4) throw new Error(`epoch ${e + 1} was not posted after 5 rounds: ${outcome.reason}`)
    }
    if (options.deployAfter?.includes(e + 1)) deployments.push(await coordinator.deploy())
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
  return { key: jobKey(t.addresses[0]!, job.id), source, log, peers, wallets: wallets.map((w) => w.address), job, coordinatorKey, deployments }
}
