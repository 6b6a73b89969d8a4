// The demo job `npm start` runs beside the stack: a headless coordinator training the CNN on the
// Fashion-MNIST subset the app ships, with its pool escrowed on the local chain. Shared with the benchmarks and
// e2e tests that measure what a first visitor sees.
import { fileURLToPath } from 'node:url'
import { parseEther } from 'viem'
import { loadFashionMnist } from './fashion-mnist.ts'
import { startHeadlessCoordinator } from './swarm/headless.ts'
import { fundLocalJob, LOCAL_ESCROW, LOCAL_OWNER } from './settlement.ts'
import type { StackConfig } from '../src/stack/stack-config.ts'

const DEMO_POOL_ETH = '10'
const SUBSET_DIR = fileURLToPath(new URL('../public/datasets/fashion-mnist', import.meta.url))

export type DemoJob = Awaited<ReturnType<typeof startHeadlessCoordinator>>

/**
 * Starts the demo coordinator on the stack `config` describes (its key, blocks and checkpoint in `dataDir`, or in
 * memory) and funds its pool.
 */
export async function startDemoJob(stack: Pick<StackConfig, 'relayAddrs' | 'chain'>, options: { dataDir: string | null; host: string; log?: (line: string) => void }): Promise<DemoJob> {
  const demo = await startHeadlessCoordinator({
    relayAddrs: stack.relayAddrs,
    dataDir: options.dataDir,
    host: options.host,
    webrtc: true,
    train: await loadFashionMnist('train', SUBSET_DIR),
    test: await loadFashionMnist('test', SUBSET_DIR),
    shardSize: 250,
    // Nobody is at the demo job's review screen, so an offer is accepted when the automatic review raises no
    // flag (near-copies, copies of the job's data, unlike its data, labels the model disagrees with, one class);
    // a flagged offer waits, and is never trained on. Its own data is the job's seeded shards.
    datasetPolicy: 'auto',
    chain: stack.chain,
    overrides: { reward: { amount: parseEther(DEMO_POOL_ETH).toString(), symbol: 'ETH', decimals: 18, dataShareBps: 1000, owner: LOCAL_OWNER } },
    log: options.log,
  })
  // The pool, escrowed on the local chain from anvil's first account; the coordinator gets gas money.
  const escrow = stack.chain.contracts?.escrow
  if (demo.chainAccount && escrow) {
    await fundLocalJob({ rpcUrl: stack.chain.rpcUrl, chainId: stack.chain.chainId, escrow, jobId: demo.job.id, coordinator: demo.chainAccount, amountEth: DEMO_POOL_ETH, days: 30, challengeSeconds: LOCAL_ESCROW.minChallengeSeconds })
  }
  return demo
}
