// The whole local stack in one call: chain, relay, and the static app server that tells browsers about both.
// Used by `npm start` and by the e2e suite, so tests exercise exactly what users run.
import { createRelayNode, relayAddrs } from '../src/p2p/relay-node.ts'
import { startChain } from './chain.ts'
import { startStaticServer } from './static-server.ts'
import { deployLocalSettlement } from './settlement.ts'
import type { Deployment } from '../src/ledger/deploy.ts'
import type { ChainConfig, IceServer } from '../src/stack/stack-config.ts'

export interface StackOptions {
  host: string
  httpPort: number
  relayPort: number
  chainPort: number
  distDir: string
  iceServers?: IceServer[]
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
    const chain = await startChain({ host: options.host, port: options.chainPort })
    stops.push(chain.stop)
    // A fresh anvil every start: the contracts land at the same addresses each time (same deployer, nonces).
    const settlement = await deployLocalSettlement(chain.rpcUrl, chain.chainId)
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
