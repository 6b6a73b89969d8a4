// Starts the same stack `npm start` runs, on free loopback ports, once for the whole e2e run.
import { fileURLToPath } from 'node:url'
import { startStack } from '../server/stack.ts'
import { freePort } from '../server/ports.ts'

export default async function globalSetup(): Promise<() => Promise<void>> {
  const host = '127.0.0.1'
  const stack = await startStack({
    host,
    httpPort: 0,
    relayPort: 0,
    chainPort: await freePort(host),
    distDir: fileURLToPath(new URL('../dist', import.meta.url)),
  })
  process.env.TESSERAE_URL = stack.url
  process.env.TESSERAE_RPC_URL = stack.rpcUrl
  process.env.TESSERAE_RELAY_ADDRS = stack.relayAddrs.join(' ')
  console.log(`e2e stack: app ${stack.url} relay ${stack.relayAddrs.join(' ')} chain ${stack.rpcUrl}${process.env.TESSERAE_NETNS === '1' ? ' (isolated network namespace)' : ''}`)
  return stack.stop
}
