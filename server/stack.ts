// The whole local stack in one call: chain, relay, and the static app server that tells browsers about both.
// Used by `npm start` and by the e2e suite, so tests exercise exactly what users run.
import { createRelayNode, relayAddrs } from '../src/p2p/relay-node.ts'
import { startChain } from './chain.ts'
import { startStaticServer } from './static-server.ts'

export interface StackOptions {
  host: string
  httpPort: number
  relayPort: number
  chainPort: number
  distDir: string
  iceServers?: string[]
}

export interface RunningStack {
  url: string
  relayAddrs: string[]
  rpcUrl: string
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
    const relay = await createRelayNode({ host: options.host, port: options.relayPort })
    stops.push(async () => { await relay.stop() })
    const addrs = relayAddrs(relay)
    const web = await startStaticServer({
      rootDir: options.distDir,
      host: options.host,
      port: options.httpPort,
      config: { relayAddrs: addrs, iceServers: options.iceServers ?? [], chain: { rpcUrl: chain.rpcUrl, chainId: chain.chainId, name: 'Local anvil' } },
    })
    stops.push(web.close)
    return { url: web.url, relayAddrs: addrs, rpcUrl: chain.rpcUrl, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
