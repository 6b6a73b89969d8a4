// What the app learns from the server that served it: where the relay and the chain are. Nothing about
// the local stack is hard-coded in the bundle, so the same build runs against any relay and any EVM chain.
import { asObject, parseJsonLimited, readInteger, readString, readStringArray, type JsonObject } from '../schema.ts'
import { DecodeError } from '../errors.ts'
import { relayOrigin } from './page-headers.ts'

export interface StackConfig {
  /** Multiaddrs of libp2p relays that browsers dial over WebSockets (each ends in /p2p/<relay id>). */
  relayAddrs: string[]
  /** STUN/TURN servers for WebRTC; empty on a local or namespaced network where host candidates suffice. */
  iceServers: IceServer[]
  chain: ChainConfig
}

/** As RTCIceServer takes it. In config.json a bare "stun:…" string is short for { "urls": ["stun:…"] }. */
export interface IceServer {
  urls: string[]
  /** TURN needs both; a browser refuses a turn: URL without them. */
  username?: string
  credential?: string
}

export interface ChainConfig {
  rpcUrl: string
  chainId: number
  name: string
  /** Deployed settlement contracts; absent on a chain where none are deployed (settlement is then off). */
  contracts?: { escrow: Address; governor: Address; /** A test ERC-20, on local chains only. */ testToken?: Address }
  /** A development chain (anvil): burner wallets and the faucet are allowed only here. */
  local: boolean
  /** Block the contracts were deployed in: where event scans start. */
  deployBlock?: number
}

export type Address = `0x${string}`

export const STACK_CONFIG_PATH = '/config.json'
const MAX_CONFIG_BYTES = 16 * 1024
const WHAT = 'stack config'

export function decodeStackConfig(text: string): StackConfig {
  const root = asObject(parseJsonLimited(text, MAX_CONFIG_BYTES, WHAT), WHAT)
  const relayAddrs = readStringArray(root, 'relayAddrs', WHAT, 16)
  for (const addr of relayAddrs) {
    if (!addr.startsWith('/') || !addr.includes('/p2p/')) throw new DecodeError(WHAT, `relay address "${addr}" must be a multiaddr ending in /p2p/<peer id>`)
    // The page's Content-Security-Policy names each relay's WebSocket origin, so each must have one.
    relayOrigin(addr)
  }
  const chainObj = asObject(root.chain, `${WHAT} chain`)
  const rpcUrl = readString(chainObj, 'rpcUrl', WHAT)
  if (!/^https?:\/\//.test(rpcUrl)) throw new DecodeError(WHAT, `chain rpcUrl "${rpcUrl}" must be an http(s) URL`)
  const iceServers = readIceServers(root.iceServers)
  const chain: ChainConfig = { rpcUrl, chainId: readInteger(chainObj, 'chainId', WHAT, 1), name: readString(chainObj, 'name', WHAT, 64), local: chainObj.local === true }
  if (chainObj.contracts !== undefined) {
    const c = asObject(chainObj.contracts, `${WHAT} chain contracts`)
    chain.contracts = { escrow: readAddress(c, 'escrow'), governor: readAddress(c, 'governor') }
    if (c.testToken !== undefined) chain.contracts.testToken = readAddress(c, 'testToken')
  }
  if (chainObj.deployBlock !== undefined) chain.deployBlock = readInteger(chainObj, 'deployBlock', WHAT)
  return { relayAddrs, iceServers, chain }
}

/** The `iceServers` list alone, e.g. from TESSERAE_ICE_SERVERS for `npm start`. */
export function decodeIceServers(text: string): IceServer[] {
  return readIceServers(parseJsonLimited(text, MAX_CONFIG_BYTES, `${WHAT} iceServers`))
}

function readIceServers(value: unknown): IceServer[] {
  if (!Array.isArray(value) || value.length > 8) throw new DecodeError(WHAT, '"iceServers" must be an array of at most 8')
  return value.map(readIceServer)
}

function readIceServer(value: unknown): IceServer {
  const server = typeof value === 'string' ? { urls: [value] } : asObject(value, `${WHAT} ICE server`)
  const urls = typeof server.urls === 'string' ? [server.urls] : readStringArray(server, 'urls', `${WHAT} ICE server`, 4, 256)
  if (urls.length === 0) throw new DecodeError(WHAT, 'an ICE server needs at least one URL')
  for (const url of urls) {
    if (!/^(stun|stuns|turn|turns):/.test(url)) throw new DecodeError(WHAT, `ICE server "${url}" must be a stun: or turn: URL`)
  }
  const result: IceServer = { urls }
  if (server.username !== undefined) result.username = readString(server, 'username', WHAT, 256)
  if (server.credential !== undefined) result.credential = readString(server, 'credential', WHAT, 256)
  if (urls.some((u) => u.startsWith('turn')) && (result.username === undefined || result.credential === undefined)) {
    throw new DecodeError(WHAT, `TURN server "${urls[0]}" needs a "username" and a "credential"`)
  }
  return result
}

function readAddress(obj: JsonObject, key: string): Address {
  const value = readString(obj, key, WHAT, 42)
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new DecodeError(WHAT, `contract address "${key}" must be 0x followed by 40 hex digits, got "${value}"`)
  return value as Address
}

export function encodeStackConfig(config: StackConfig): string {
  return JSON.stringify(config)
}
