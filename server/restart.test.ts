// `npm start` restarted: the stack with a kept chain directory comes back with the same contracts, every root
// and claim, and the demo coordinator with its bindings; `--fresh-chain` starts over. Real anvil, relay and
// headless coordinator, as `server/start.ts` runs them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { parseEther, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startStack, type RunningStack } from './stack.ts'
import { freePort } from './ports.ts'
import { ANVIL_KEYS, fundLocalJob, LOCAL_ESCROW, LOCAL_OWNER, localClients } from './settlement.ts'
import { loadFashionMnist } from './fashion-mnist.ts'
import { startHeadlessCoordinator } from './swarm/headless.ts'
import { bindingTypedData } from '../src/ledger/binding.ts'
import { LEAF_ENCODING } from '../src/ledger/epoch-tree.ts'
import { readClaimed, readEscrowJob } from '../src/ledger/escrow.ts'
import { jobEscrowAbi } from '../src/ledger/generated/contracts.ts'
import { jobKey } from '../src/ledger/job-key.ts'

let dir: string
let dist: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tesserae-restart-'))
  dist = join(dir, 'dist')
  await mkdir(dist)
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>t</title>')
})
afterAll(async () => rm(dir, { recursive: true, force: true }))

async function stack(port: number, fresh = false): Promise<RunningStack> {
  return startStack({ host: '127.0.0.1', httpPort: 0, relayPort: 0, chainPort: port, distDir: dist, chainDir: join(dir, 'chain'), freshChain: fresh })
}

describe('restarting npm start', () => {
  it('keeps the contracts, roots, claims and the coordinator\'s bindings; a fresh chain forgets them', async () => {
    const port = await freePort('127.0.0.1')
    const subset = fileURLToPath(new URL('../public/datasets/fashion-mnist', import.meta.url))
    const data = await Promise.all([loadFashionMnist('train', subset), loadFashionMnist('test', subset)])
    const coordinatorDir = join(dir, 'coordinator')
    const startCoordinator = (s: RunningStack) =>
      startHeadlessCoordinator({ relayAddrs: s.relayAddrs, dataDir: coordinatorDir, host: '127.0.0.1', train: data[0]!, test: data[1]!, shardSize: 250, chain: s.chain, overrides: { reward: { amount: parseEther('1').toString(), symbol: 'ETH', decimals: 18, dataShareBps: 0, owner: LOCAL_OWNER } } })

    let s = await stack(port)
    let c = await startCoordinator(s)
    const jobId = c.job.id
    const key = jobKey(LOCAL_OWNER, jobId)
    const escrow = s.settlement.escrow
    await fundLocalJob({ rpcUrl: s.rpcUrl, chainId: s.chain.chainId, escrow, jobId, coordinator: c.chainAccount!, amountEth: '1', days: 1, challengeSeconds: LOCAL_ESCROW.minChallengeSeconds })
    // A wallet binds a peer (recorded in the coordinator's checkpoint) ...
    const wallet = privateKeyToAccount(ANVIL_KEYS[2]!)
    const binding = { job: jobId, peer: '12D3KooWJ5rnTfTaELd7NqXGzv5yfzJR2iTnd34JJnn5y6B6XHRR', wallet: wallet.address, expiry: Math.floor(Date.now() / 1000) + 3600 }
    await c.host.settlement!.bind(binding.peer, { ...binding, signature: await wallet.signTypedData(bindingTypedData(binding, { chainId: s.chain.chainId, escrow })) })
    // ... and the coordinator's account posts a root that pays it, which it claims once final.
    const tree = StandardMerkleTree.of([[wallet.address, '1000', '1000']], LEAF_ENCODING)
    const poster = localClients(s.rpcUrl, s.chain.chainId, (await readFile(join(coordinatorDir, 'chain-key'), 'utf8')).trim() as Hex)
    await poster.publicClient.waitForTransactionReceipt({ hash: await poster.wallet.writeContract({ address: escrow, abi: jobEscrowAbi, functionName: 'postRoot', args: [key, 1n, tree.root as Hex, 1000n, 1000n, 'tree', 'log'] }) })
    const rpc = poster.publicClient
    await rpc.request({ method: 'evm_increaseTime' as never, params: [LOCAL_ESCROW.minChallengeSeconds] as never })
    await rpc.request({ method: 'evm_mine' as never, params: [] as never })
    await rpc.waitForTransactionReceipt({ hash: await poster.wallet.writeContract({ address: escrow, abi: jobEscrowAbi, functionName: 'claim', args: [key, 1n, wallet.address, 1000n, 1000n, tree.getProof(0) as Hex[]] }) })
    // Stop as Ctrl+C does: anvil writes its state on the way out.
    await c.stop()
    await s.stop()

    s = await stack(port)
    try {
      expect(s.settlement.escrow).toBe(escrow)
      const client = localClients(s.rpcUrl, s.chain.chainId).publicClient
      expect(await readEscrowJob(client, escrow, key)).toMatchObject({ epoch: 1n, reserved: 1000n, claimed: 1000n, deposited: parseEther('1') })
      expect(await readClaimed(client, escrow, key, wallet.address)).toBe(1000n)
      c = await startCoordinator(s)
      expect(c.job.id).toBe(jobId)
      expect(c.coordinator.bindings[binding.peer]).toMatchObject({ wallet: wallet.address, expiry: binding.expiry })
      await c.stop()
    } finally {
      await s.stop()
    }

    s = await stack(port, true)
    try {
      expect(await readEscrowJob(localClients(s.rpcUrl, s.chain.chainId).publicClient, s.settlement.escrow, key)).toBeNull()
    } finally {
      await s.stop()
    }
  }, 120_000)
})
