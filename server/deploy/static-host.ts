// Vite plugin for `npm run build`: after the app is written, bundle the service worker (workers/service-
// worker.ts) with the list of files to precache and a version that changes whenever one of them does, and,
// when a deployment config.json is given, copy it into the build with the `_headers`, `_redirects` and
// `404.html` a plain static host needs. The config is decoded first, so a broken one fails the build.
import { createHash } from 'node:crypto'
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { build, type Plugin, type Rolldown } from 'vite'
import { decodeStackConfig, encodeStackConfig } from '../../src/stack/stack-config.ts'
import { headersFile, precacheList, REDIRECTS_FILE } from './static-host-files.ts'

const SERVICE_WORKER_ENTRY = new URL('../../workers/service-worker.ts', import.meta.url)

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)))
}

async function cacheVersion(outDir: string, paths: readonly string[]): Promise<string> {
  const hash = createHash('sha256')
  for (const path of paths) hash.update(path).update(await readFile(join(outDir, path)))
  return hash.digest('hex').slice(0, 16)
}

async function bundleServiceWorker(outDir: string, precache: string[]): Promise<void> {
  const result = await build({
    configFile: false,
    logLevel: 'warn',
    define: { __PRECACHE__: JSON.stringify(precache), __CACHE_VERSION__: JSON.stringify(await cacheVersion(outDir, precache)) },
    build: {
      write: false,
      emptyOutDir: false,
      target: 'es2023',
      lib: { entry: SERVICE_WORKER_ENTRY.pathname, formats: ['iife'], name: 'tesseraeServiceWorker', fileName: () => 'sw.js' },
    },
  })
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[]
  const chunk = outputs.flatMap((o) => o.output).find((o) => o.type === 'chunk')
  if (chunk === undefined || chunk.type !== 'chunk') throw new Error('the service worker bundle came out empty')
  await writeFile(join(outDir, 'sw.js'), chunk.code)
}

/** The deployment's config.json: TESSERAE_CONFIG names it, else ./config.json if there is one. */
function deploymentConfigPath(root: string): string | null {
  const named = process.env.TESSERAE_CONFIG
  if (named !== undefined && named !== '') return resolve(root, named)
  const local = join(root, 'config.json')
  return existsSync(local) ? local : null
}

export function staticHost(): Plugin {
  let outDir = ''
  let root = ''
  return {
    name: 'tesserae-static-host',
    apply: 'build',
    configResolved(config) {
      root = config.root
      outDir = resolve(config.root, config.build.outDir)
    },
    async closeBundle() {
      const configPath = deploymentConfigPath(root)
      if (configPath !== null) {
        let config
        try {
          config = decodeStackConfig(await readFile(configPath, 'utf8'))
        } catch (error) {
          throw new Error(`${configPath} is not a usable deployment config: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
        }
        await writeFile(join(outDir, 'config.json'), encodeStackConfig(config))
        await writeFile(join(outDir, '_headers'), headersFile(config))
        await writeFile(join(outDir, '_redirects'), REDIRECTS_FILE)
        // Hosts without rewrites (GitHub Pages) answer unknown paths with 404.html: make that the app too.
        await copyFile(join(outDir, 'index.html'), join(outDir, '404.html'))
        this.info?.(`deployment config ${configPath} → config.json, _headers, _redirects, 404.html`)
      }
      await bundleServiceWorker(outDir, precacheList(await listFiles(outDir)))
    },
  }
}
