// `npm start`: bring the local stack up on loopback, print where to go, and shut everything down on Ctrl+C.
import { fileURLToPath } from 'node:url'
import { startStack } from './stack.ts'
import { startDemoJob } from './demo-job.ts'
import { decodeIceServers } from '../src/stack/stack-config.ts'

const port = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number, got "${process.env[name]}"`)
  return value
}

const startedAt = performance.now()
const stack = await startStack({
  host: process.env.TESSERAE_HOST ?? '127.0.0.1',
  httpPort: port('TESSERAE_HTTP_PORT', 8080),
  relayPort: port('TESSERAE_RELAY_PORT', 9090),
  chainPort: port('TESSERAE_CHAIN_PORT', 8545),
  distDir: fileURLToPath(new URL('../dist', import.meta.url)),
  // STUN/TURN for browsers on other machines, as config.json's "iceServers" takes them (JSON).
  iceServers: process.env.TESSERAE_ICE_SERVERS ? decodeIceServers(process.env.TESSERAE_ICE_SERVERS) : [],
  // The chain's state is kept under the data directory so a restart loses no root, claim or binding;
  // `npm start -- --fresh-chain` (or TESSERAE_FRESH_CHAIN=1) starts over.
  chainDir: process.env.TESSERAE_CHAIN_DIR ?? fileURLToPath(new URL('../.tesserae/chain', import.meta.url)),
  freshChain: process.argv.includes('--fresh-chain') || process.env.TESSERAE_FRESH_CHAIN === '1',
})

// The demo job: its key, blocks and checkpoint live in .tesserae/, so restarting `npm start` resumes the same job.
const demo =
  process.env.TESSERAE_DEMO_JOB === 'off'
    ? null
    : await startDemoJob(stack, {
        dataDir: process.env.TESSERAE_DATA_DIR ?? fileURLToPath(new URL('../.tesserae/demo-coordinator', import.meta.url)),
        host: process.env.TESSERAE_HOST ?? '127.0.0.1',
        log: (line) => console.log(`  demo job: ${line}`),
      })

console.log(`Tesserae is running. Open ${stack.url}`)
console.log(`  relay: ${stack.relayAddrs.join(' ')}`)
console.log(`  chain: ${stack.rpcUrl} (anvil, chain id ${stack.chain.chainId}); escrow ${stack.settlement.escrow}, governor ${stack.settlement.governor}, test token ${stack.settlement.testToken}`)
if (demo) console.log(`  demo job: ${demo.job.id} (${demo.job.model}), coordinator ${demo.node.peerId.toString()}, round ${demo.coordinator.view.current.round}`)
console.log(`  ready in ${Math.round(performance.now() - startedAt)} ms. Press Ctrl+C to stop.`)

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    console.log('\nStopping Tesserae…')
    Promise.resolve(demo?.stop())
      .then(() => stack.stop())
      .then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Shutdown failed:', error)
        process.exit(1)
      },
    )
  })
}
