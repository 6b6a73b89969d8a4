// A plain static host for e2e: Python's http.server serving a folder, with no headers of its own beyond
// Content-Type and Last-Modified (so no cross-origin isolation, no CSP), like a bucket or GitHub Pages.
// Its access log tells which files each visit fetched.
import { spawn, type ChildProcess } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { freePort } from '../server/ports.ts'

export interface PlainHost {
  url: string
  /** Requests logged so far: path and status. */
  requests: Array<{ path: string; status: number }>
  /** Bytes of response bodies sent for `requests` (200s: the file's size; 304s: none). */
  bodyBytes(requests: ReadonlyArray<{ path: string; status: number }>): Promise<number>
  stop(): Promise<void>
}

export async function startPlainHost(dir: string): Promise<PlainHost> {
  const port = await freePort('127.0.0.1')
  const child: ChildProcess = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], { stdio: ['ignore', 'ignore', 'pipe'] })
  const requests: PlainHost['requests'] = []
  child.stderr!.on('data', (chunk: Buffer) => {
    for (const match of chunk.toString().matchAll(/"GET (\S+) HTTP\/1\.[01]" (\d{3})/g)) requests.push({ path: match[1]!, status: Number(match[2]) })
  })
  const url = `http://127.0.0.1:${port}/`
  const up = async () => (await fetch(url).catch(() => null))?.ok === true
  for (let tries = 0; !(await up()); tries++) {
    if (tries > 100) throw new Error(`python3 -m http.server did not answer at ${url} within 10 s`)
    await new Promise((r) => setTimeout(r, 100))
  }
  requests.length = 0
  return {
    url,
    requests,
    async bodyBytes(list) {
      let total = 0
      for (const r of list) if (r.status === 200) total += (await stat(join(dir, r.path === '/' ? 'index.html' : r.path.split('?')[0]!))).size
      return total
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
