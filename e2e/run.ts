// Runs the Playwright suite. On Linux as root it first moves into a fresh network namespace with only
// loopback and a veth pair (Chromium needs a default route to gather ICE candidates), so WebRTC tests cannot
// send a packet anywhere else. Elsewhere (a developer's laptop) it runs the same tests directly.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { NAMESPACE_SETUP } from './namespace.ts'

const args = process.argv.slice(2)
const self = fileURLToPath(import.meta.url)
const wantNamespace = process.env.TESSERAE_NETNS === undefined && process.platform === 'linux' && process.getuid?.() === 0
const haveTools = spawnSync('sh', ['-c', 'command -v unshare && command -v ip'], { stdio: 'ignore' }).status === 0

function run(command: string, commandArgs: string[], env: NodeJS.ProcessEnv): number {
  const result = spawnSync(command, commandArgs, { stdio: 'inherit', env })
  if (result.error) throw result.error
  return result.status ?? 1
}

let status: number
if (wantNamespace && haveTools) {
  status = run('unshare', ['-n', '--', 'sh', '-c', `${NAMESPACE_SETUP} && exec "$0" "$@"`, process.execPath, self, ...args], { ...process.env, TESSERAE_NETNS: '1' })
} else {
  if (wantNamespace) console.warn('unshare or ip is missing: running e2e tests without network isolation.')
  const cli = fileURLToPath(new URL('../node_modules/@playwright/test/cli.js', import.meta.url))
  status = run(process.execPath, [cli, 'test', ...args], process.env)
}
process.exit(status)
