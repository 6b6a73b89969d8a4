// Serves the built app on loopback with cross-origin isolation and a Content-Security-Policy naming only the
// configured relays and RPC, plus /config.json telling the app where the relay and chain are. Deliberately
// tiny: no framework, explicit limits, no directory listings, nothing served from outside its root.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { readFile, realpath, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { pageHeaders } from '../src/stack/page-headers.ts'
import { encodeStackConfig, STACK_CONFIG_PATH, type StackConfig } from '../src/stack/stack-config.ts'

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.gz': 'application/gzip',
  '.bin': 'application/octet-stream',
}

export interface StaticServerOptions {
  rootDir: string
  host: string
  port: number
  config: StackConfig
}

export interface RunningStaticServer {
  url: string
  close(): Promise<void>
}

export async function startStaticServer(options: StaticServerOptions): Promise<RunningStaticServer> {
  await stat(join(resolve(options.rootDir), 'index.html')).catch((error: unknown) => {
    throw new Error(`No built app at ${resolve(options.rootDir)} (${String(error)}). Run "npm run build" first.`)
  })
  // Paths are compared after symlinks are resolved, so a link inside the root cannot serve a file outside it.
  const rootDir = await realpath(options.rootDir)
  const indexHtml = join(rootDir, 'index.html')
  const configBody = encodeStackConfig(options.config)
  const headers = pageHeaders(options.config)

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, headers, 500, 'text/plain; charset=utf-8', `internal error: ${String(error)}`)
      else res.destroy()
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, headers, 405, 'text/plain; charset=utf-8', 'method not allowed', { Allow: 'GET, HEAD' })
    const path = decodePath(req.url ?? '/')
    if (path === null) return send(res, headers, 400, 'text/plain; charset=utf-8', 'malformed URL')
    if (path === STACK_CONFIG_PATH) return send(res, headers, 200, MIME['.json']!, configBody, { 'Cache-Control': 'no-store' }, req.method === 'HEAD')
    const requested = normalize(join(rootDir, path))
    if (!inside(rootDir, requested)) return send(res, headers, 403, 'text/plain; charset=utf-8', 'forbidden')
    const file = await realpathIfExists(requested)
    if (file !== null && !inside(rootDir, file)) return send(res, headers, 403, 'text/plain; charset=utf-8', 'forbidden')
    const info = file === null ? null : await stat(file)
    if (file !== null && info?.isFile()) {
      const cache = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'
      return send(res, headers, 200, MIME[extname(file)] ?? 'application/octet-stream', await readFile(file), { 'Cache-Control': cache }, req.method === 'HEAD')
    }
    // Client-side routes (/research, /ledger…) get the app; a missing asset with an extension is a real 404.
    if (extname(path) === '') return send(res, headers, 200, MIME['.html']!, await readFile(indexHtml), { 'Cache-Control': 'no-cache' }, req.method === 'HEAD')
    return send(res, headers, 404, 'text/plain; charset=utf-8', `not found: ${path}`)
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolveListen())
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  return { url: `http://${options.host}:${port}/`, close: () => closeServer(server) }
}

async function realpathIfExists(path: string): Promise<string | null> {
  try {
    return await realpath(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return null
    throw error
  }
}

function inside(rootDir: string, path: string): boolean {
  return path === rootDir || path.startsWith(rootDir + sep)
}

function decodePath(url: string): string | null {
  try {
    return decodeURIComponent(new URL(url, 'http://localhost').pathname)
  } catch (error) {
    if (error instanceof URIError || error instanceof TypeError) return null
    throw error
  }
}

function send(res: ServerResponse, headers: Record<string, string>, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}, headOnly = false): void {
  res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra })
  res.end(headOnly ? undefined : body)
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolveClose) => server.close(() => resolveClose()))
}
