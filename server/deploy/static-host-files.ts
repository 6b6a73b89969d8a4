// What a plain static host needs beside the built app: the headers file Netlify and Cloudflare Pages read
// (`_headers`), their SPA rewrite (`_redirects`), and the list of files the service worker precaches.
import { pageHeaders } from '../../src/stack/page-headers.ts'
import type { StackConfig } from '../../src/stack/stack-config.ts'

const IMMUTABLE = 'public, max-age=31536000, immutable'

/** Netlify / Cloudflare Pages `_headers`: every path gets the page headers; caching per kind of file. */
export function headersFile(config: StackConfig): string {
  const block = (path: string, headers: Record<string, string>) => [path, ...Object.entries(headers).map(([k, v]) => `  ${k}: ${v}`)].join('\n')
  return [
    '# Written by `npm run build` from config.json: the same headers server/static-server.ts sends.',
    block('/*', pageHeaders(config)),
    block('/assets/*', { 'Cache-Control': IMMUTABLE }),
    block('/config.json', { 'Cache-Control': 'no-store' }),
    block('/sw.js', { 'Cache-Control': 'no-cache' }),
    block('/index.html', { 'Cache-Control': 'no-cache' }),
    '',
  ].join('\n')
}

/** Client-side routes (/research, /ledger…) are the app. */
export const REDIRECTS_FILE = '/*  /index.html  200\n'

/** Files that are not part of the app a visitor loads, so never precached. */
const NOT_PRECACHED = [/\.map$/, /^sw\.js$/, /^config\.json$/, /^_headers$/, /^_redirects$/, /^404\.html$/, /^datasets\//]

/** Site paths for the service worker to precache, from the build's files (relative to the output folder). */
export function precacheList(files: readonly string[]): string[] {
  return files
    .map((f) => f.split('\\').join('/'))
    .filter((f) => !NOT_PRECACHED.some((pattern) => pattern.test(f)))
    .map((f) => `/${f}`)
    .sort()
}
