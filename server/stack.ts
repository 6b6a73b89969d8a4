// The whole local stack in one call: chain, relay, and the static app server that tells browsers about both.
// Used by `npm start` and by the e2e suite, so tests exercise exactly what users run.
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createPublicClient, http, type Address } from 'viem'
import { createRelayNode, relayAddrs } from '../src/p2p/relay-node.ts'
import { startChain } from './chain.ts'
import { startStaticServer } from './static-server.ts'
import { deployLocalSettlement } from './settlement.ts'
import type { Deployment } from '../src/ledger/deploy.ts'
import { jobEscrowBytecode, jobGovernorBytecode } from '../src/ledger/generated/contracts.ts'
import type { ChainConfig } from '../src/stack/stack-config.ts'

export interface StackOptions {
  host: string
  httpPort: number
  relayPort: number
  chainPort: number
  distDir: string
  iceServers?: string[]
  /**
   * Where the chain keeps its state and the deployment's addresses between runs; without it every start is a
   * fresh chain (the e2e suite's choice).
   */
  chainDir?: string
  /** Throw the kept chain away and start a fresh one (its roots, claims and bindings are lost). */
  freshChain?: boolean
}

export interface RunningStack {
  url: string
  relayAddrs: string[]
  rpcUrl: string
  chain: ChainConfig
  settlement: Deployment
  stop(): Promise<void>
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const stops: Array<() => Promise<void>> = []
  const stop = async () => {
    for (const s of stops.reverse()) await s()
  }
  try {
    if (options.chainDir) {
      if (options.freshChain) await rm(options.chainDir, { recursive: true, force: true })
      await mkdir(options.chainDir, { recursive: true, mode: 0o700 })
    }
    const chain = await startChain({ host: options.host, port: options.chainPort, stateFile: options.chainDir && join(options.chainDir, 'anvil-state.json'), blockSeconds: LOCAL_BLOCK_SECONDS })
    stops.push(chain.stop)
    const settlement = await keptDeployment(chain.rpcUrl, options.chainDir) ?? await deployLocalSettlement(chain.rpcUrl, chain.chainId)
    if (options.chainDir) await writeFile(join(options.chainDir, DEPLOYMENT_FILE), JSON.stringify({ ...settlement, build: BUILD }, null, 2), { mode: 0o600 })
    const chainConfig: ChainConfig = {
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      name: 'Local anvil',
      local: true,
      contracts: { escrow: settlement.escrow, governor: settlement.governor, testToken: settlement.testToken },
      deployBlock: settlement.deployBlock,
    }
    const relay = await createRelayNode({ host: options.host, port: options.relayPort })
    stops.push(async () => { await relay.stop() })
    const addrs = relayAddrs(relay)
    const web = await startStaticServer({
      rootDir: options.distDir,
      host: options.host,
      port: options.httpPort,
      config: { relayAddrs: addrs, iceServers: options.iceServers ?? [], chain: chainConfig },
    })
    stops.push(web.close)
    return { url: web.url, relayAddrs: addrs, rpcUrl: chain.rpcUrl, chain: chainConfig, settlement, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

const DEPLOYMENT_FILE = 'deployment.json'
/** The local chain's clock tick when nobody transacts (an L2's block time). */
const LOCAL_BLOCK_SECONDS = 2
/** This build's contracts: a kept chain deployed by another build gets this build's contracts deployed next to them. */
const BUILD = createHash('sha256').update(jobEscrowBytecode).update(jobGovernorBytecode).digest('hex').slice(0, 16)

/**
 * The deployment recorded next to a kept chain, if it is this build's and the chain still holds its code
 * (a state file deleted by hand, or contracts from an older build, mean deploying again).
 */
async function keptDeployment(rpcUrl: string, chainDir: string | undefined): Promise<Deployment | null> {
  if (!chainDir) return null
  let kept: Deployment & { build?: string }
  try {
    kept = JSON.parse(await readFile(join(chainDir, DEPLOYMENT_FILE), 'utf8')) as Deployment & { build?: string }
  } catch {
    return null
  }
  if (kept.build !== BUILD) return null
  delete kept.build
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) })
  const addresses = [kept.escrow, kept.governor, kept.testToken].filter((a): a is Address => typeof a === 'string')
  for (const address of addresses) if (((await client.getCode({ address })) ?? '0x') === '0x') return null
  return kept
}
