// `npm run relay` settings: every limit of RelayLimits from a flag or an environment variable (flags win),
// with the defaults in src/p2p/relay-limits.ts. One table row per limit, so adding one is one line.
import { parseArgs } from 'node:util'
import { multiaddr } from '@multiformats/multiaddr'
import { DEFAULT_RELAY_LIMITS, type RelayLimits } from '../src/p2p/relay-limits.ts'
import { TesseraeError } from '../src/errors.ts'

interface LimitFlag {
  flag: string
  /** What the flag's number means in RelayLimits' unit (seconds → ms). */
  scale: number
}

const LIMIT_FLAGS: Record<keyof RelayLimits, LimitFlag> = {
  maxConnections: { flag: 'max-connections', scale: 1 },
  maxConnectionsPerIp: { flag: 'max-connections-per-ip', scale: 1 },
  maxPendingConnections: { flag: 'max-pending-connections', scale: 1 },
  newConnectionsPerIpPerSecond: { flag: 'new-connections-per-ip-per-second', scale: 1 },
  maxReservations: { flag: 'max-reservations', scale: 1 },
  maxReservationsPerIp: { flag: 'max-reservations-per-ip', scale: 1 },
  relayedConnectionMs: { flag: 'relayed-connection-seconds', scale: 1000 },
  relayedConnectionBytes: { flag: 'relayed-connection-bytes', scale: 1 },
  banMs: { flag: 'ban-seconds', scale: 1000 },
}

const envName = (flag: string) => `TESSERAE_RELAY_${flag.toUpperCase().replaceAll('-', '_')}`

export interface RelaySettings {
  listen: string[]
  announce: string[]
  keyFile: string
  tls: { cert: string; key: string } | null
  limits: RelayLimits
  /** A config.json to add the announced addresses to. */
  config: string | null
}

export const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/9090/ws'
export const DEFAULT_KEY_FILE = '.tesserae/relay/peer-key'

export function relayUsage(): string {
  const limits = Object.entries(LIMIT_FLAGS).map(([key, { flag, scale }]) => `  --${flag} <n>  (${envName(flag)}, default ${Number(DEFAULT_RELAY_LIMITS[key as keyof RelayLimits]) / scale})`)
  return [
    'usage: npm run relay -- [--listen <multiaddr>]… [--announce <multiaddr>]… [--key-file <path>] [--tls-cert <pem> --tls-key <pem>] [--config config.json]',
    `  --listen      (TESSERAE_RELAY_LISTEN, space-separated; default ${DEFAULT_LISTEN}; /tls/ws needs --tls-cert and --tls-key)`,
    '  --announce    (TESSERAE_RELAY_ANNOUNCE) public addresses to hand out, e.g. /dns4/relay.example.org/tcp/443/tls/ws',
    `  --key-file    (TESSERAE_RELAY_KEY_FILE, default ${DEFAULT_KEY_FILE}; created 0600 if missing)`,
    ...limits,
  ].join('\n')
}

function positive(value: string, what: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new TesseraeError('BAD_FLAG', `${what} must be a positive number, got "${value}"\n${relayUsage()}`)
  return n
}

function addresses(values: string[], what: string): string[] {
  for (const value of values) {
    try {
      multiaddr(value)
    } catch (error) {
      throw new TesseraeError('BAD_FLAG', `${what} "${value}" is not a multiaddr (${error instanceof Error ? error.message : String(error)})`)
    }
    if (value.includes('/p2p/')) throw new TesseraeError('BAD_FLAG', `${what} "${value}" must not name a peer id: the relay appends its own`)
  }
  return values
}

export function parseRelaySettings(argv: string[], env: Record<string, string | undefined>): RelaySettings {
  const limitOptions = Object.fromEntries(Object.values(LIMIT_FLAGS).map(({ flag }) => [flag, { type: 'string' as const }]))
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string', multiple: true },
      announce: { type: 'string', multiple: true },
      'key-file': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      config: { type: 'string' },
      ...limitOptions,
    },
  })
  const flag = (name: string): string | undefined => {
    const value = (values as Record<string, unknown>)[name]
    return typeof value === 'string' ? value : env[envName(name)]
  }
  const list = (name: string): string[] => {
    const given = (values as Record<string, unknown>)[name]
    if (Array.isArray(given) && given.length > 0) return given as string[]
    return (env[envName(name)] ?? '').split(/\s+/).filter((s) => s !== '')
  }
  const limits = { ...DEFAULT_RELAY_LIMITS }
  for (const [key, { flag: name, scale }] of Object.entries(LIMIT_FLAGS) as Array<[keyof RelayLimits, LimitFlag]>) {
    const value = flag(name)
    if (value !== undefined) limits[key] = Math.round(positive(value, `--${name}`) * scale)
  }
  const listen = addresses(list('listen').length > 0 ? list('listen') : [DEFAULT_LISTEN], '--listen')
  const [cert, key] = [flag('tls-cert'), flag('tls-key')]
  if ((cert === undefined) !== (key === undefined)) throw new TesseraeError('BAD_FLAG', '--tls-cert and --tls-key go together')
  const secure = listen.some((a) => a.includes('/tls/') || a.endsWith('/wss'))
  if (secure && cert === undefined) throw new TesseraeError('BAD_FLAG', 'a /tls/ws listen address needs --tls-cert and --tls-key (or terminate TLS in front of a plain /ws listener)')
  return {
    listen,
    announce: addresses(list('announce'), '--announce'),
    keyFile: flag('key-file') ?? DEFAULT_KEY_FILE,
    tls: cert !== undefined && key !== undefined ? { cert, key } : null,
    limits,
    config: flag('config') ?? null,
  }
}
