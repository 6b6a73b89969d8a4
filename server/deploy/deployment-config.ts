// The deployment's config.json as the deploy commands edit it: each command fills in its own part (the
// contracts their `chain`, a relay its address) and leaves the rest as it found it. Everything written is
// decoded again first, so a command never leaves a config the app would refuse.
import { readFile, writeFile } from 'node:fs/promises'
import { decodeStackConfig, encodeStackConfig, type ChainConfig, type StackConfig } from '../../src/stack/stack-config.ts'
import { TesseraeError } from '../../src/errors.ts'

export async function readDeploymentConfig(path: string): Promise<StackConfig | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  try {
    return decodeStackConfig(text)
  } catch (error) {
    throw new TesseraeError('CONFIG_INVALID', `${path} is not a valid config.json (${error instanceof Error ? error.message : String(error)}); fix or move it, nothing was changed`)
  }
}

/** Writes config.json (it is served to every visitor, so it is world-readable by design and holds no secret). */
export async function writeDeploymentConfig(path: string, config: StackConfig): Promise<void> {
  const text = encodeStackConfig(config)
  decodeStackConfig(text)
  await writeFile(path, `${JSON.stringify(JSON.parse(text), null, 2)}\n`, { mode: 0o644 })
}

export function withChain(existing: StackConfig | null, chain: ChainConfig): StackConfig {
  return { relayAddrs: existing?.relayAddrs ?? [], iceServers: existing?.iceServers ?? [], chain }
}

/** Adds relay addresses (once each) to a config that already names its chain. */
export function withRelays(existing: StackConfig, relayAddrs: readonly string[]): StackConfig {
  return { ...existing, relayAddrs: [...new Set([...existing.relayAddrs, ...relayAddrs])] }
}
