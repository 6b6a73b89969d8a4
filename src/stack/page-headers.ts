// The headers every page and asset of the app is served with, derived from the deployment's /config.json:
// cross-origin isolation (threaded wasm needs SharedArrayBuffer) and a Content-Security-Policy that lets the
// page talk only to its own origin, its relays and its chain's RPC. The Node static server, the build's
// `_headers` file for static hosts and the service worker all send exactly these.
import { DecodeError } from '../errors.ts'
import type { StackConfig } from './stack-config.ts'

export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

/**
 * Powerful features the app never uses, switched off so an injected script cannot ask for them either. Only
 * features Chromium knows: it logs an error for each one it does not (it knew no "bluetooth" in 156).
 */
const DISABLED_FEATURES = ['accelerometer', 'autoplay', 'camera', 'display-capture', 'geolocation', 'gyroscope', 'hid', 'idle-detection', 'magnetometer', 'microphone', 'midi', 'payment', 'publickey-credentials-get', 'serial', 'usb', 'xr-spatial-tracking']

const HOST_PROTOCOLS = new Set(['ip4', 'ip6', 'dns', 'dns4', 'dns6'])

/**
 * The WebSocket origin a browser dials for a relay multiaddr: /ip4/1.2.3.4/tcp/9090/ws → ws://1.2.3.4:9090,
 * /dns4/relay.example/tcp/443/tls/ws (or /wss) → wss://relay.example:443.
 */
export function relayOrigin(addr: string): string {
  const parts = addr.split('/')
  const [hostKind, host, tcp, port, ...rest] = parts.slice(1)
  const secure = rest[0] === 'wss' || (rest[0] === 'tls' && rest[1] === 'ws') || (rest[0] === 'tls' && rest[1] === 'sni' && rest[3] === 'ws')
  const plain = rest[0] === 'ws'
  if (!HOST_PROTOCOLS.has(hostKind ?? '') || !host || tcp !== 'tcp' || !/^\d{1,5}$/.test(port ?? '') || !(secure || plain)) {
    throw new DecodeError('relay address', `"${addr}" is not one a browser can dial: expected /ip4|ip6|dns4|dns6|dns/<host>/tcp/<port>/ws or /tls/ws (or /wss)`)
  }
  return `${secure ? 'wss' : 'ws'}://${hostKind === 'ip6' ? `[${host}]` : host}:${port}`
}

export function contentSecurityPolicy(config: StackConfig): string {
  const connect = new Set(["'self'", ...config.relayAddrs.map(relayOrigin), new URL(config.chain.rpcUrl).origin])
  return [
    "default-src 'self'",
    // wasm (onnxruntime) is compiled from fetched bytes, which CSP counts as eval unless this is allowed.
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    `connect-src ${[...connect].join(' ')}`,
    // QR codes and wallet icons are data: URLs; downloads (CSV, ONNX) are blob: URLs.
    "img-src 'self' data: blob:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}

export function pageHeaders(config: StackConfig): Record<string, string> {
  return {
    ...ISOLATION_HEADERS,
    'Content-Security-Policy': contentSecurityPolicy(config),
    'Referrer-Policy': 'no-referrer',
    'Permissions-Policy': [...DISABLED_FEATURES.map((f) => `${f}=()`), 'cross-origin-isolated=(self)'].join(', '),
    'X-Content-Type-Options': 'nosniff',
    // For browsers that predate frame-ancestors.
    'X-Frame-Options': 'DENY',
  }
}
