// The service worker: repeat visits load the app, and the ~25 MB of onnxruntime wasm, from the Cache API
// instead of the network, and on static hosts that cannot send headers it adds the cross-origin isolation
// and security headers (src/stack/page-headers.ts) to every same-origin response, as coi-serviceworker does.
// The list of files to precache and the cache's version are written in by the build (server/deploy/static-host.ts).
import { ISOLATION_HEADERS, pageHeaders } from '../src/stack/page-headers.ts'
import { decodeStackConfig, STACK_CONFIG_PATH } from '../src/stack/stack-config.ts'

declare const __PRECACHE__: string[]
declare const __CACHE_VERSION__: string

interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request
  respondWith(response: Promise<Response>): void
}
interface ServiceWorkerScope {
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void
  skipWaiting(): Promise<void>
  clients: { claim(): Promise<void> }
  location: Location
}

function isServiceWorkerScope(scope: object): scope is ServiceWorkerScope {
  return 'skipWaiting' in scope && 'clients' in scope
}

function serviceWorkerScope(scope: object): ServiceWorkerScope {
  if (!isServiceWorkerScope(scope)) throw new Error('service-worker.ts runs only as a service worker')
  return scope
}

const sw = serviceWorkerScope(globalThis)

const CACHE_PREFIX = 'tesserae-'
const CACHE = `${CACHE_PREFIX}${__CACHE_VERSION__}`
const SHELL = '/index.html'

sw.addEventListener('install', (event) => {
  // addAll goes through the HTTP cache, so files this visit already downloaded are not fetched twice.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(__PRECACHE__)).then(() => sw.skipWaiting()))
})

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith(CACHE_PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => sw.clients.claim()),
  )
})

/** The headers for this deployment, from its config.json; read once per worker life, again whenever the page reads it. */
let headers: Promise<Record<string, string>> | null = null

async function headersFrom(response: Response): Promise<Record<string, string>> {
  try {
    return pageHeaders(decodeStackConfig(await response.text()))
  } catch (error) {
    // The page decodes the same file and shows the error; until it is fixed only isolation is added.
    console.warn(`service worker: ${STACK_CONFIG_PATH} cannot give the page headers: ${String(error)}`)
    return { ...ISOLATION_HEADERS }
  }
}

function currentHeaders(): Promise<Record<string, string>> {
  headers ??= fetch(STACK_CONFIG_PATH, { cache: 'no-store' }).then(headersFrom, (error: unknown) => {
    console.warn(`service worker: ${STACK_CONFIG_PATH} unreachable, adding isolation headers only: ${String(error)}`)
    headers = null
    return { ...ISOLATION_HEADERS }
  })
  return headers
}

async function withHeaders(response: Response): Promise<Response> {
  // Opaque, redirected and error responses must go back untouched for the browser to accept them.
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.redirected || response.status === 0) return response
  const merged = new Headers(response.headers)
  for (const [name, value] of Object.entries(await currentHeaders())) merged.set(name, value)
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: merged })
}

async function cacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE)
  const hit = await cache.match(request)
  if (hit) return hit
  const response = await fetch(request)
  // Build outputs under /assets/ are named by their content hash, so a cached copy never goes stale.
  if (response.ok) await cache.put(request, response.clone())
  return response
}

async function navigation(request: Request): Promise<Response> {
  let response: Response
  try {
    response = await fetch(request)
  } catch (error) {
    const shell = await caches.match(SHELL)
    if (shell) return shell
    throw error
  }
  // A client-side route (/ledger, /research/…) on a host without rewrites is a 404: it is the app.
  if (response.status === 404 && !new URL(request.url).pathname.split('/').at(-1)!.includes('.')) return (await caches.match(SHELL)) ?? response
  return response
}

async function config(request: Request): Promise<Response> {
  const response = await fetch(request, { cache: 'no-store' })
  if (response.ok) headers = headersFrom(response.clone())
  return response
}

sw.addEventListener('fetch', (event) => {
  const { request } = event
  const url = new URL(request.url)
  if (request.method !== 'GET' || url.origin !== sw.location.origin) return
  if (url.pathname === STACK_CONFIG_PATH) return event.respondWith(config(request).then(withHeaders))
  if (request.mode === 'navigate') return event.respondWith(navigation(request).then(withHeaders))
  if (url.pathname.startsWith('/assets/')) return event.respondWith(cacheFirst(request).then(withHeaders))
  event.respondWith(fetch(request).then(withHeaders))
})
