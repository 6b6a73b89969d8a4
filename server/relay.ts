// `npm run relay`: the production relay. Listens where it is told (plain /ws behind a TLS terminator, or
// /tls/ws with its own certificate), keeps its identity in a 0600 key file so the /p2p/<id> in every
// config.json stays valid across restarts, enforces RelayLimits from flags or environment, and prints the
// addresses to put in config.json (or adds them itself with --config).
import { readFile, stat } from 'node:fs/promises'
import { createRelayNode, relayAddrs } from '../src/p2p/relay-node.ts'
import { loadOrCreatePeerKey } from '../src/p2p/peer-key.ts'
import { FileKeyStore } from './swarm/file-stores.ts'
import { assertPrivateFile } from './private-files.ts'
import { parseRelaySettings, relayUsage } from './relay-options.ts'
import { readDeploymentConfig, withRelays, writeDeploymentConfig } from './deploy/deployment-config.ts'
import { errorMessage, TesseraeError } from '../src/errors.ts'

const exists = (path: string) => stat(path).then(() => true, (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? false : Promise.reject(error)))

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(relayUsage())
    return
  }
  const settings = parseRelaySettings(process.argv.slice(2), process.env)
  if (await exists(settings.keyFile)) await assertPrivateFile(settings.keyFile, 'the relay key file')
  const privateKey = await loadOrCreatePeerKey(new FileKeyStore(settings.keyFile))
  let tls
  if (settings.tls) {
    await assertPrivateFile(settings.tls.key, 'the TLS private key')
    tls = { cert: await readFile(settings.tls.cert), key: await readFile(settings.tls.key) }
  }
  const relay = await createRelayNode({ listen: settings.listen, announce: settings.announce.length > 0 ? settings.announce : undefined, privateKey, tls, limits: settings.limits, log: (line) => console.log(`relay: ${line}`) })
  const addrs = relayAddrs(relay)
  console.log(`Tesserae relay ${relay.peerId.toString()} (key ${settings.keyFile})`)
  console.log(`  listening on ${settings.listen.join(' ')}`)
  console.log(`  limits: ${Object.entries(settings.limits).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  console.log(`  config.json "relayAddrs": ${JSON.stringify(addrs)}`)
  if (settings.config !== null) {
    const config = await readDeploymentConfig(settings.config)
    if (config === null) throw new TesseraeError('CONFIG_MISSING', `${settings.config} does not exist yet; run npm run deploy:contracts first, which writes it`)
    await writeDeploymentConfig(settings.config, withRelays(config, addrs))
    console.log(`  added to ${settings.config}`)
  }
  let stopping = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return
      stopping = true
      Promise.resolve(relay.stop()).then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`relay: stopping failed: ${errorMessage(error)}`)
          process.exit(1)
        },
      )
    })
  }
}

await main().catch((error: unknown) => {
  console.error(errorMessage(error))
  process.exit(1)
})
